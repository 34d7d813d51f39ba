/**
 * The deployment-wide steps in their safe order (design §5): shift traffic onto
 * the new clusters, then retire the old ones. The CLI wires these into
 * `EngineDeps.deploymentSteps` (deploy, resume, plan, dry run).
 */
import { parseFaultSpec } from '../../sandbox/sandbox-traffic.js';
import type { StateStore } from '../../state/store.js';
import { createRetireStep } from '../retire/retire-step.js';
import type { DeploymentStep } from '../step.js';
import { createTrafficShiftStep } from './traffic-shift-step.js';

interface DeploymentStepsOptions {
  store: StateStore;
  /** No human can approve a manual gate (CI, or stdin is not a terminal). */
  nonInteractive: boolean;
  /** `deploy --inject-fault <cluster>:<failure-rate>` values (sandbox only). */
  injectFaults?: readonly string[];
}

export function deploymentSteps(options: DeploymentStepsOptions): DeploymentStep[] {
  const faults = (options.injectFaults ?? []).map(parseFaultSpec);
  return [
    createTrafficShiftStep({ nonInteractive: options.nonInteractive, sandbox: { faults }, store: options.store }),
    createRetireStep({ store: options.store, nonInteractive: options.nonInteractive }),
  ];
}
