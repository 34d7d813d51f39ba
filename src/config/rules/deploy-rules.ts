/**
 * What `plan`/`deploy` would ignore or refuse from the config alone, said by
 * `validate` at the config position instead: bridge access on a sandbox meta
 * cluster (which always uses the embedded registry), the `simulator` metrics
 * provider without sandbox meta clusters (it reads the sandbox registry's counters),
 * a created gke/k3s cluster without a Terraform module.
 */
import { asList, asRecord, itemPath, type CrossRule, type RuleIssue } from './rule.js';

/** Meta clusters are gke unless they say otherwise (the schema's default). */
function metaTypes(config: unknown): string[] {
  return asList(asRecord(config)?.metaClusters).map((item) => {
    const type = asRecord(item)?.type;
    return typeof type === 'string' ? type : 'gke';
  });
}

/** `bridge` is never read for a sandbox meta cluster: say so instead of ignoring it. */
export const noBridgeOnSandboxMeta: CrossRule = (config) => {
  const issues: RuleIssue[] = [];
  asList(asRecord(config)?.metaClusters).forEach((item, index) => {
    const fields = asRecord(item);
    if (fields?.type === 'sandbox' && fields.bridge !== undefined) {
      issues.push({
        path: ['metaClusters', index, 'bridge'],
        message: `${itemPath('metaClusters', index)} is type sandbox, which always uses the sandbox's embedded registry, so bridge would be ignored; remove bridge, or set type: gke to reach a real ws-manager-bridge`,
      });
    }
  });
  return issues;
};

/** The simulator provider reads the sandbox registry's counters: every meta cluster must be a sandbox one. */
export const simulatorNeedsSandboxMetas: CrossRule = (config) => {
  const provider = asRecord(asRecord(asRecord(asRecord(config)?.trafficShift)?.analysis)?.provider);
  if (provider?.type !== 'simulator') return [];
  const types = metaTypes(config);
  const real = types.flatMap((type, index) => (type === 'sandbox' ? [] : [`${itemPath('metaClusters', index)} (${type})`]));
  if (real.length === 0 && types.length > 0) return [];
  const why = real.length > 0 ? `${real.join(', ')} ${real.length === 1 ? 'is' : 'are'} not a sandbox meta cluster` : 'there is no meta cluster';
  return [
    {
      path: ['trafficShift', 'analysis', 'provider', 'type'],
      message: `the simulator provider reads the sandbox registry's counters and needs every meta cluster to be type sandbox, but ${why}; use provider type prometheus for real meta clusters`,
    },
  ];
};

/** Cluster types Terraform creates from `terraform.module.source` (the sandbox brings its own module). */
const NEEDS_MODULE = new Set(['gke', 'k3s']);

/**
 * A gke/k3s workspace cluster that is created needs the module that creates it,
 * unless an external generator writes the Terraform (`plan` refuses otherwise).
 * Said at each such cluster, at its `type` (at the item when gke is the default).
 */
export const moduleSourceForCreatedClusters: CrossRule = (config) => {
  const terraform = asRecord(asRecord(config)?.terraform);
  if (asRecord(terraform?.module)?.source !== undefined) return [];
  if (asRecord(terraform?.generator)?.mode === 'external') return [];
  const issues: RuleIssue[] = [];
  asList(asRecord(config)?.workspaceClusters).forEach((item, index) => {
    const fields = asRecord(item);
    if (!fields || fields.create === false) return;
    const type = fields.type ?? 'gke';
    if (typeof type !== 'string' || !NEEDS_MODULE.has(type)) return;
    issues.push({
      path: ['workspaceClusters', index, 'type'],
      message: `${itemPath('workspaceClusters', index)} is a ${type} cluster that Terraform creates, but terraform.module.source is not set; set it to the module that creates a workspace cluster (docs/terraform-module.md), or set create: false for an existing cluster`,
    });
  });
  return issues;
};
