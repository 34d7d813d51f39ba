/**
 * InstallMonitoring: monitoring-satellite, either as a chart (with generated
 * cluster identity values) or as a directory of manifests applied server-side
 * (CRDs first, wait until Established, then the rest).
 */
import type { PlanContext, Step } from '../step.js';
import { readManifestDir } from '../../tools/kube/apply.js';
import { readSection, type MonitoringSection } from './config.js';
import { installationValues } from './generated-values.js';
import { prepareRelease, type PreparedRelease } from './release.js';
import { readDigestKey } from './values-digest-key.js';
import { createComponentStep, type InstallStepOptions, type ManifestSet } from './release-step.js';

function section(ctx: PlanContext): MonitoringSection | undefined {
  return readSection(ctx.config, 'monitoring');
}

function prepareMonitoringRelease(ctx: PlanContext): PreparedRelease | undefined {
  const s = section(ctx);
  if (!s?.chart) return undefined;
  return prepareRelease(ctx.clusterDir, {
    release: s.release,
    namespace: s.namespace,
    chart: s.chart,
    timeoutSeconds: s.timeoutSeconds,
    valuesFiles: s.valuesFiles,
    set: s.set,
    secretSet: s.secretSet,
    generated: { ...installationValues(ctx.cluster, ctx.environment), clusterName: ctx.cluster.name },
  }, readDigestKey(ctx.sharedDir));
}

function monitoringManifests(ctx: PlanContext): ManifestSet | undefined {
  const s = section(ctx);
  if (!s?.manifests) return undefined;
  const directory = s.manifests.directory;
  return {
    name: s.release,
    namespace: s.namespace,
    source: directory,
    objects: readManifestDir(directory),
    waitForCrds: [],
    timeoutSeconds: s.timeoutSeconds,
  };
}

export function createInstallMonitoringStep(options: InstallStepOptions = {}): Step {
  return createComponentStep(
    {
      name: 'install-monitoring',
      enabled: (ctx) => section(ctx)?.enabled === true,
      release: prepareMonitoringRelease,
      manifests: monitoringManifests,
    },
    options,
  );
}

export const installMonitoringStep: Step = createInstallMonitoringStep();
