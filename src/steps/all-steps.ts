/**
 * The ordered steps of a workspace cluster. Order is the safe order of
 * shared/design.md §5: nothing is registered before it is proven alive.
 */
import { createCluster } from './create-cluster/create-cluster.js';
import type { Step } from './step.js';

export function allSteps(): Step[] {
  return [createCluster];
}
