/**
 * The small journal the state tests build on: deployment d-001 of one sandbox
 * cluster (eu101) with one step, and that step's first start. One copy, so a
 * change of the journal's record shapes is made here once.
 */

export const CLUSTER = 'gp-dev-ws-eu101-eu-west1';

/**
 * The first record of deployment `id` whose one sandbox cluster is eu`clusterId` (one step, create-cluster);
 * `inputs` replaces some of its inputs (another project or environment).
 */
export function createdFor(id: string, clusterId: number, inputs: { project?: string; environment?: string; configFile?: string } = {}) {
  return {
    type: 'deployment.created' as const,
    id,
    inputs: { configFile: '/c.yaml', configHash: 'h', project: 'p', environment: 'development', ...inputs },
    clusterId,
    clusters: [{ index: 0, name: `gp-dev-ws-eu${clusterId}-eu-west1`, shortName: `eu${clusterId}`, id: clusterId, region: 'europe-west1', prefix: 'eu', governedBy: 'meta', type: 'sandbox' as const }],
    steps: [['create-cluster' as const]],
  };
}

/** A journal's first record, as the engine writes it: deployment d-001, cluster {@link CLUSTER}. */
export const created = createdFor('d-001', 101);

/** Its one step's first start. */
export const started = { type: 'step.started' as const, cluster: CLUSTER, step: 'create-cluster' as const, attempt: 1 };
