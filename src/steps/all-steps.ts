/**
 * The ordered steps of a workspace cluster. Order is the safe order of
 * shared/design.md §5: nothing is registered before it is proven alive.
 */
import { aliveTestStep } from './alive/alive-test.js';
import { createCluster } from './create-cluster/create-cluster.js';
import { installGitpodStep } from './install/install-gitpod.js';
import { installJaegerStep } from './install/install-jaeger.js';
import { installMonitoringStep } from './install/install-monitoring.js';
import { registerClusterStep } from './register/register-step.js';
import type { Step } from './step.js';

export function allSteps(): Step[] {
  return [createCluster, installGitpodStep, installJaegerStep, installMonitoringStep, aliveTestStep, registerClusterStep];
}
