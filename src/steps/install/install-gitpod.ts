/**
 * InstallGitpod: the Gitpod workspace-cluster chart with global values files,
 * then the cluster's own, then values generated for this cluster (short name,
 * region, domain, workspace host, versions from the versions manifest).
 */
import { WsdError } from '../../core/errors.js';
import type { PlanContext, Step } from '../step.js';
import { readSection, rootDomain, type GitpodSection } from './config.js';
import { readVersionsManifest } from '../../config/files/versions-manifest.js';
import { gitpodGeneratedValues } from './generated-values.js';
import { prepareRelease, type PreparedRelease } from './release.js';
import { readDigestKey } from './values-digest-key.js';
import { createComponentStep, type InstallStepOptions } from './release-step.js';

function section(ctx: PlanContext): GitpodSection | undefined {
  return readSection(ctx.config, 'gitpod');
}

/** The Gitpod release of this cluster (reads values files and the versions manifest; no side effects). */
export function prepareGitpodRelease(ctx: PlanContext): PreparedRelease | undefined {
  const s = section(ctx);
  if (!s) return undefined;
  const domain = s.domain ?? rootDomain(ctx.config);
  if (!domain) throw new WsdError('ConfigInvalid', 'gitpod.domain is not set (and there is no root domain); set the base domain, e.g. "gitpod.io"');
  if (!s.versionsManifest) {
    throw new WsdError('ConfigInvalid', 'install-gitpod needs the versions manifest that pins component versions: pass --versions-manifest FILE or set gitpod.versionsManifest');
  }
  const versions = readVersionsManifest(s.versionsManifest);
  return prepareRelease(ctx.clusterDir, {
    release: s.release,
    namespace: s.namespace,
    chart: s.chart,
    timeoutSeconds: s.timeoutSeconds,
    valuesFiles: [...s.valuesFiles, ...ctx.cluster.valuesFiles],
    set: s.set,
    secretSet: s.secretSet,
    generated: gitpodGeneratedValues({ cluster: ctx.cluster, environment: ctx.environment, domain, versions }),
  }, readDigestKey(ctx.sharedDir));
}

export function createInstallGitpodStep(options: InstallStepOptions = {}): Step {
  return createComponentStep(
    {
      name: 'install-gitpod',
      enabled: (ctx) => section(ctx)?.enabled === true,
      release: prepareGitpodRelease,
    },
    options,
  );
}

/** The install-gitpod step with production timings. */
export const installGitpodStep: Step = createInstallGitpodStep();
