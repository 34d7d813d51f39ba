/** `ws-deployment plan`: what a deploy would do, per cluster and step; no side effects. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { Redactor } from '../../core/redact.js';
import { buildPlan } from '../../plan/build-plan.js';
import { renderPlan } from '../../report/plan-text.js';
import { FileStateStore } from '../../state/file-store.js';
import { allSteps } from '../../steps/all-steps.js';
import { deploymentSteps } from '../../steps/traffic/deployment-steps.js';
import { existenceProbe } from '../../steps/create-cluster/create-cluster.js';
import { globalOptions } from '../options.js';
import { applyCliOverrides, engineOptions, outputFormat } from './shared.js';
import { registerSecrets } from './secrets.js';

export default async function plan(command: Command): Promise<void> {
  const options = globalOptions(command);
  const format = outputFormat(command);
  const loaded = applyCliOverrides(await loadConfig(options.config), options);
  const redactor = registerSecrets(new Redactor(), loaded.config);
  // Reading the store's root only: plan never creates the state dir.
  const store = new FileStateStore(options.stateDir);
  const sharedDir = store.root;
  const doc = await buildPlan({
    loaded,
    steps: allSteps(),
    deploymentSteps: deploymentSteps({ store, nonInteractive: true }),
    options: engineOptions(options),
    clusterId: options.clusterId,
    probe: existenceProbe({ config: loaded.config, sharedDir, redactor }),
    redactor,
    sharedDir,
  });
  process.stdout.write(format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : renderPlan(doc));
}
