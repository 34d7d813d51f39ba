/**
 * Query templates: `{{cluster}}`, `{{shortName}}`, `{{region}}`, `{{interval}}` /
 * `{{lookback}}` (the metric's query window) and `{{window}}` / `{{resolution}}`
 * (a comparison's point spacing: `rate(x[{{window}}])` at that step gives
 * non-overlapping, independent windows) are replaced per cluster before a query is sent. Values are validated rather than
 * escaped: cluster names and regions are plain identifiers, so anything else is a bug
 * or an injection attempt and must not reach PromQL.
 */
import { WsdError } from '../../core/errors.js';
import { formatDuration } from '../duration.js';

export const TEMPLATE_VARIABLES = ['cluster', 'shortName', 'region', 'interval', 'lookback', 'window', 'resolution'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/** The cluster a query is resolved for. */
export interface QueryTarget {
  /** Full GKE name, e.g. `gp-prod-ws-eu17-eu-west1`. */
  cluster: string;
  /** Registry / installation short name, e.g. `eu17`. */
  shortName: string;
  region: string;
}

const SAFE_VALUE = /^[A-Za-z0-9._:-]+$/;

/** Replaces every placeholder; durations become Prometheus durations such as `5m`. `windowMs` defaults to `intervalMs`. */
export function resolveQuery(template: string, target: QueryTarget, intervalMs: number, windowMs: number = intervalMs): string {
  const values: Record<TemplateVariable, string> = {
    cluster: target.cluster,
    shortName: target.shortName,
    region: target.region,
    interval: formatDuration(intervalMs),
    lookback: formatDuration(intervalMs),
    window: formatDuration(windowMs),
    resolution: formatDuration(windowMs),
  };
  return template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_whole, name: string) => {
    if (!(name in values)) {
      throw new WsdError('ConfigInvalid', `unknown placeholder "{{${name}}}" in query "${template}"; use ${TEMPLATE_VARIABLES.join(', ')}`);
    }
    const value = values[name as TemplateVariable];
    if (!SAFE_VALUE.test(value)) {
      throw new WsdError('Internal', `refusing to put "${value}" into a query for {{${name}}}: only letters, digits and . _ : - are allowed`, {
        source: 'internal',
      });
    }
    return value;
  });
}
