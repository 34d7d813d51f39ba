/**
 * The small journal the state tests build on: deployment d-001 of one sandbox
 * cluster (eu101) with one step, and that step's first start. One copy, so a
 * change of the journal's record shapes is made here once.
 */

export const CLUSTER = 'gp-dev-ws-eu101-eu-west1';

/** A journal's first record, as the engine writes it. */
export const created = {
  type: 'deployment.created' as const,
  id: 'd-001',
  inputs: { configFile: '/c.yaml', configHash: 'h', project: 'p', environment: 'development' },
  clusterId: 101,
  clusters: [{ index: 0, name: CLUSTER, shortName: 'eu101', id: 101, region: 'europe-west1', prefix: 'eu', governedBy: 'meta', type: 'sandbox' as const }],
  steps: [['create-cluster' as const]],
};

/** Its one step's first start. */
export const started = { type: 'step.started' as const, cluster: CLUSTER, step: 'create-cluster' as const, attempt: 1 };
