/**
 * Client-side rendering of a release, for `--dry-run` and for sandbox clusters
 * (which have no Kubernetes API). With helm on PATH the chart is rendered by
 * `helm template`; without it we record the exact helm invocation and the
 * merged values, so the result is still inspectable.
 * Output folder: `<clusterDir>/releases/<release>/`.
 */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { isWsdError } from '../../core/errors.js';
import { templateArgv, upgradeArgv, type Helm } from '../../tools/helm.js';
import type { StepContext, StepName } from '../step.js';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { releaseRecord, writePrepared, type PreparedRelease, type ReleaseRecord } from './release.js';

/** Placeholder shown in recorded argv where a real cluster would pass its kubeconfig. */
export const SANDBOX_KUBECONFIG = '<cluster kubeconfig>';

export function releaseDir(clusterDir: string, release: string): string {
  return join(clusterDir, 'releases', release);
}

export interface RenderResult extends ReleaseRecord {
  /** `helm template` when helm rendered the chart, `recorded` when only the invocation was recorded. */
  rendering: 'helm template' | 'recorded';
  directory: string;
}

/** Renders (or records) the release into its folder and returns the summary record. */
export async function renderRelease(ctx: StepContext, step: StepName, helm: Helm, prepared: PreparedRelease, kubeconfig = SANDBOX_KUBECONFIG): Promise<RenderResult> {
  const dir = releaseDir(ctx.clusterDir, prepared.spec.release);
  writePrepared(prepared);
  writeFileAtomic(join(dir, 'values.yaml'), stringify(prepared.values));
  writeFileAtomic(
    join(dir, 'invocation.json'),
    `${JSON.stringify(
      {
        upgrade: ctx.redactor.redactValue(upgradeArgv(prepared.spec, kubeconfig)),
        template: ctx.redactor.redactValue(templateArgv(prepared.spec)),
        valuesFiles: prepared.spec.valuesFiles,
        digest: prepared.digest,
      },
      null,
      2,
    )}\n`,
  );

  let rendering: RenderResult['rendering'] = 'recorded';
  let helmAvailable = true;
  try {
    await helm.ensureVersion();
  } catch (error) {
    if (!isWsdError(error) || error.code !== 'ToolMissing') throw error;
    helmAvailable = false;
    ctx.sink.emit({
      // The sandbox works without helm by design; a dry run of a real cluster should say so louder.
      level: ctx.cluster.type === 'sandbox' ? 'info' : 'warn',
      code: 'release.render',
      cluster: ctx.cluster.name,
      step,
      message: `release ${prepared.spec.release}: ${error.message}; recorded the helm invocation and merged values instead of rendering`,
    });
  }
  if (helmAvailable) {
    const manifest = await helm.template(prepared.spec);
    writeFileAtomic(join(dir, 'manifest.yaml'), ctx.redactor.redact(manifest));
    rendering = 'helm template';
  }
  const record: RenderResult = { ...releaseRecord(prepared, 'rendered'), rendering, directory: dir };
  writeFileAtomic(join(dir, 'release.json'), `${JSON.stringify(record, null, 2)}\n`);
  ctx.sink.emit({
    level: 'info',
    code: 'release.render',
    cluster: ctx.cluster.name,
    step,
    message: `release ${prepared.spec.release} ${rendering === 'helm template' ? 'rendered with helm template' : 'recorded'} into ${dir}`,
    data: { release: prepared.spec.release, digest: prepared.digest, rendering },
  });
  return record;
}
