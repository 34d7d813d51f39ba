/**
 * InstallJaeger: the jaeger-operator chart, then a `Jaeger` resource once the
 * operator's CRD (`jaegers.jaegertracing.io`) is established.
 */
import type { PlanContext, Step } from '../step.js';
import { readSection, type JaegerSection } from './config.js';
import { prepareRelease, type PreparedRelease } from './release.js';
import { readDigestKey } from './values-digest-key.js';
import { createComponentStep, type InstallStepOptions, type ManifestSet } from './release-step.js';

/** The CRD the operator chart installs; the Jaeger resource waits for it. */
const JAEGER_CRD = 'jaegers.jaegertracing.io';

function section(ctx: PlanContext): JaegerSection | undefined {
  return readSection(ctx.config, 'jaeger');
}

function prepareJaegerRelease(ctx: PlanContext): PreparedRelease | undefined {
  const s = section(ctx);
  if (!s) return undefined;
  return prepareRelease(ctx.clusterDir, {
    release: s.release,
    namespace: s.namespace,
    chart: s.chart,
    timeoutSeconds: s.timeoutSeconds,
    valuesFiles: s.valuesFiles,
    set: s.set,
    secretSet: s.secretSet,
  }, readDigestKey(ctx.sharedDir));
}

/** The `Jaeger` resource (jaegertracing.io/v1). */
function jaegerInstance(ctx: PlanContext): ManifestSet | undefined {
  const s = section(ctx);
  if (!s) return undefined;
  const namespace = s.instance.namespace ?? s.namespace;
  const labels = { 'app.kubernetes.io/managed-by': 'ws-deployment', 'gitpod.io/cluster': ctx.cluster.shortName };
  return {
    name: `${s.release}-instance`,
    namespace,
    source: 'jaeger.instance',
    objects: [{ apiVersion: 'jaegertracing.io/v1', kind: 'Jaeger', metadata: { name: s.instance.name, namespace, labels }, spec: s.instance.spec } as never],
    waitForCrds: [JAEGER_CRD],
    timeoutSeconds: s.timeoutSeconds,
  };
}

export function createInstallJaegerStep(options: InstallStepOptions = {}): Step {
  return createComponentStep(
    {
      name: 'install-jaeger',
      enabled: (ctx) => section(ctx)?.enabled === true,
      release: prepareJaegerRelease,
      manifests: jaegerInstance,
      // Tracing only: the shift's gates do not read it (monitoring may feed them, so it is not marked).
      notNeededForTraffic: true,
    },
    options,
  );
}

export const installJaegerStep: Step = createInstallJaegerStep();
