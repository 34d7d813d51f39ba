/** Wires the core's dependencies for the commands that run or plan deployments. */
import { dirname } from 'node:path';
import type { LoadedConfig } from '../../config/load.js';
import type { EngineDeps } from '../../engine/deployment.js';
import { allSteps } from '../../steps/all-steps.js';
import { deploymentSteps } from '../../steps/traffic/deployment-steps.js';
import { registeredNames } from '../../sandbox/meta-access.js';
import { existenceProbe } from '../../steps/create-cluster/create-cluster.js';
import { canAsk } from '../render/question-terminal.js';
import type { Runtime } from '../runtime.js';
import { observedStore, type JournalObserver } from '../../state/observed-store.js';

export function engineDeps(runtime: Runtime, loaded: LoadedConfig, extra: { injectFault?: string[]; observers?: JournalObserver[] } = {}): EngineDeps {
  const { config } = loaded;
  // The service-account key never appears in any output.
  const store = observedStore(runtime.store, extra.observers ?? []);
  return {
    store,
    sink: runtime.sink,
    signal: runtime.signal,
    redactor: runtime.redactor,
    steps: allSteps(),
    deploymentSteps: deploymentSteps({ store: runtime.store, nonInteractive: nonInteractive(), injectFaults: extra.injectFault }),
    probe: existenceProbe({ config, sharedDir: runtime.store.root, redactor: runtime.redactor, signal: runtime.signal }),
    registeredNames: () => registeredNames(config.metaClusters, runtime.store.root, { baseDir: dirname(loaded.file), sink: runtime.sink, redactor: runtime.redactor, signal: runtime.signal }),
  };
}

/** Nobody can answer a manual gate: CI, or no terminal on stdin. */
function nonInteractive(): boolean {
  return !canAsk();
}
