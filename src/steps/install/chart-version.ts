/**
 * Chart versions as helm matches them, and a local chart's `chart.version` against its
 * Chart.yaml. Helm ignores `--version` for a chart given by path (real helm 3.18 and 4.1
 * both render a folder declaring 0.1.0 for `--version 9.9.9`), so a differing chart.version
 * would be shown by plan and recorded, never deployed, and the release upgraded on every
 * run (its deployed version never equals the wanted one).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { WsdError } from '../../core/errors.js';
import type { ChartConfig } from './config.js';

/**
 * Whether the deployed chart version is the one `--version wanted` selects: helm matches a
 * constraint `v1.2.3` or `1.2.3+build` to chart 1.2.3 (and `1.2.3` to a chart versioned
 * `v1.2.3`), so the `v` prefix and build metadata do not count (real helm 3.18 and 4.1).
 */
export function sameChartVersion(deployed: string | undefined, wanted: string): boolean {
  const bare = (version: string) => version.replace(/^v/, '').replace(/\+.*$/, '');
  return deployed !== undefined && bare(deployed) === bare(wanted);
}

/** The version a chart folder's Chart.yaml declares; undefined for a packaged `.tgz` or an unreadable folder (helm reports those itself). */
function declaredVersion(path: string): string | undefined {
  try {
    const chart = parse(readFileSync(join(path, 'Chart.yaml'), 'utf8')) as { version?: unknown } | null;
    return typeof chart?.version === 'string' ? chart.version : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses a local chart whose configured version is not the one helm will deploy, naming both and the fix. */
export function checkLocalChartVersion(chart: ChartConfig): void {
  if (chart.path === undefined || chart.version === undefined) return;
  const declared = declaredVersion(chart.path);
  if (declared === undefined || sameChartVersion(declared, chart.version)) return;
  throw new WsdError(
    'ConfigInvalid',
    `chart.version ${chart.version} is not the version of the local chart ${chart.path}: its Chart.yaml says ${declared}, and helm ignores --version for a chart given by path; set chart.version to ${declared} (or remove it)`,
  );
}
