/** Wires the core's dependencies for the commands that run or plan deployments. */
import type { Config } from '../../config/schema.js';
import type { EngineDeps } from '../../engine/deployment.js';
import { allSteps } from '../../steps/all-steps.js';
import { existenceProbe } from '../../steps/create-cluster/create-cluster.js';
import type { Runtime } from '../runtime.js';

export function engineDeps(runtime: Runtime, config: Config): EngineDeps {
  // The service-account key never appears in any output.
  return {
    store: runtime.store,
    sink: runtime.sink,
    signal: runtime.signal,
    redactor: runtime.redactor,
    steps: allSteps(),
    probe: existenceProbe({ config, sharedDir: runtime.store.root, redactor: runtime.redactor, signal: runtime.signal }),
  };
}
