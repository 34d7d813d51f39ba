/**
 * Client-side rendering of a release, for `--dry-run` and for sandbox clusters
 * (which have no Kubernetes API): `helm lint` (local charts), `helm template`,
 * then every rendered object is checked against the Kubernetes schemas. A dry
 * run of a real cluster without helm records the exact helm invocation and the
 * merged values instead; the sandbox refuses to run without helm.
 * Output folder: `<clusterDir>/releases/<release>/`.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { WsdError, isWsdError } from '../../core/errors.js';
import { parseManifests } from '../../tools/kube/apply.js';
import { checkObjects, type SchemaReport } from '../../tools/kube/schema-check.js';
import type { Helm } from '../../tools/helm.js';
import { templateArgv, upgradeArgv } from '../../tools/helm-argv.js';
import type { StepContext, StepName } from '../step.js';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { releaseRecord, shownValues, writePrepared, type PreparedRelease, type ReleaseRecord } from './release.js';

/** Placeholder shown in recorded argv where a real cluster would pass its kubeconfig. */
export const SANDBOX_KUBECONFIG = '<cluster kubeconfig>';

export function releaseDir(clusterDir: string, release: string): string {
  return join(clusterDir, 'releases', release);
}

interface RenderResult extends ReleaseRecord {
  /** `helm template` when helm rendered the chart, `recorded` when only the invocation was recorded. */
  rendering: 'helm template' | 'recorded';
  directory: string;
  /** The helm that rendered it (`v4.1.4`). */
  helmVersion?: string;
  /** Objects rendered, objects checked against Kubernetes schemas, kinds no schema covers (CRDs). */
  objects?: number;
  checked?: number;
  uncheckedKinds?: string[];
}

/** The version a local chart declares in its Chart.yaml (what helm records for the release). */
function localChartVersion(prepared: PreparedRelease): string | undefined {
  const { path, version } = prepared.spec.chart;
  if (path === undefined || version !== undefined) return undefined;
  try {
    const chart = parse(readFileSync(join(path, 'Chart.yaml'), 'utf8')) as { version?: unknown };
    return typeof chart?.version === 'string' ? chart.version : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses a rendered set whose objects break the Kubernetes schema, naming each object and field. */
export function assertSchemaClean(report: SchemaReport, what: string): void {
  if (report.violations.length === 0) return;
  const lines = report.violations.map((v) => `${v.object}: ${v.problems.join('; ')}`);
  throw new WsdError('StepFailed', `${what} renders objects Kubernetes would refuse:\n  ${lines.join('\n  ')}\nfix the values (or the chart) so these fields have the schema's types`, {
    details: { violations: report.violations },
  });
}

/** Renders the release into its folder (real `helm template` + `helm lint` of local charts, schema-checked) and returns the summary record. */
export async function renderRelease(ctx: StepContext, step: StepName, helm: Helm, prepared: PreparedRelease, kubeconfig = SANDBOX_KUBECONFIG): Promise<RenderResult> {
  const dir = releaseDir(ctx.clusterDir, prepared.spec.release);
  writePrepared(prepared);
  // Merged values hold the secret ones too: hidden by key, and redacted like every other file we write.
  writeFileAtomic(join(dir, 'values.yaml'), stringify(shownValues(prepared, ctx.redactor)));
  let helmVersion: string | undefined;
  try {
    helmVersion = await helm.ensureVersion();
  } catch (error) {
    // The sandbox promises real rendering: without helm it stops with the fix. A dry run of a
    // real cluster still records what it would run, with a warning.
    if (!isWsdError(error) || error.code !== 'ToolMissing' || ctx.cluster.type === 'sandbox') throw error;
    ctx.sink.emit({
      level: 'warn',
      code: 'release.render',
      cluster: ctx.cluster.name,
      step,
      message: `release ${prepared.spec.release}: ${error.message}; recorded the helm invocation and merged values instead of rendering`,
    });
  }
  writeFileAtomic(
    join(dir, 'invocation.json'),
    `${JSON.stringify(
      {
        upgrade: ctx.redactor.redactValue(upgradeArgv(prepared.spec, kubeconfig, helmVersion ? helm.major : undefined)),
        template: ctx.redactor.redactValue(templateArgv(prepared.spec)),
        valuesFiles: prepared.spec.valuesFiles,
        digest: prepared.digest,
        ...(helmVersion ? { helmVersion } : {}),
      },
      null,
      2,
    )}\n`,
  );

  let record: RenderResult = { ...releaseRecord(prepared, 'rendered'), rendering: 'recorded', directory: dir };
  if (helmVersion) {
    // Lint needs the chart folder: charts from a repository are linted by their publishers.
    if (prepared.spec.chart.path !== undefined) {
      const lint = await helm.lint(prepared.spec);
      writeFileAtomic(join(dir, 'lint.txt'), ctx.redactor.redact(lint));
    }
    const manifest = await helm.template(prepared.spec);
    writeFileAtomic(join(dir, 'manifest.yaml'), ctx.redactor.redact(manifest));
    const report = await checkObjects(parseManifests(manifest, `helm template ${prepared.spec.release}`));
    writeFileAtomic(join(dir, 'schema-check.json'), `${JSON.stringify(report, null, 2)}\n`);
    assertSchemaClean(report, `release ${prepared.spec.release}`);
    record = { ...record, version: localChartVersion(prepared) ?? record.version, rendering: 'helm template', helmVersion, objects: report.objects, checked: report.checked, uncheckedKinds: report.uncheckedKinds };
  }
  writeFileAtomic(join(dir, 'release.json'), `${JSON.stringify(record, null, 2)}\n`);
  const counts = record.objects !== undefined ? ` (helm ${helmVersion}, ${record.objects} objects, ${record.checked} checked against Kubernetes schemas)` : '';
  ctx.sink.emit({
    level: 'info',
    code: 'release.render',
    cluster: ctx.cluster.name,
    step,
    message: `release ${prepared.spec.release} ${record.rendering === 'helm template' ? 'rendered with helm template' : 'recorded'} into ${dir}${counts}`,
    data: { release: prepared.spec.release, digest: prepared.digest, rendering: record.rendering },
  });
  return record;
}
