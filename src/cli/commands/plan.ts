/** `ws-deployment plan`: what a deploy would do, per cluster and step; no side effects. */
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { formatIssue } from '../../config/issues.js';
import { loadConfig } from '../../config/load.js';
import { Redactor } from '../../core/redact.js';
import { clusterIdHistory } from '../../plan/allocate-id.js';
import { buildPlan } from '../../plan/build-plan.js';
import { installedHelmMajor } from '../../tools/helm.js';
import { startRefusal } from '../../engine/start-verdict.js';
import { renderPlan } from '../../report/plan-text.js';
import { FileStateStore } from '../../state/file-store.js';
import type { StateStore } from '../../state/store.js';
import { allSteps } from '../../steps/all-steps.js';
import { deploymentSteps } from '../../steps/traffic/deployment-steps.js';
import { registeredNames } from '../../sandbox/meta-access.js';
import { existenceProbe } from '../../steps/create-cluster/create-cluster.js';
import { openStore } from '../open-store.js';
import { globalOptions } from '../options.js';
import { applyCliOverrides, engineOptions } from './shared.js';
import { outputFormat } from './output-option.js';
import { registerSecrets } from './secrets.js';

export default async function plan(command: Command): Promise<void> {
  const options = globalOptions(command);
  const format = outputFormat(command);
  const loaded = applyCliOverrides(await loadConfig(options.config, { versionsManifest: options.versionsManifest, pathFromEnv: options.configEnv }), options);
  const redactor = registerSecrets(new Redactor(), loaded.config);
  // The commands its refusal suggests name this config, also where it is the default one (core/next-command.ts).
  options.next.useConfig(loaded.file);
  for (const warning of loaded.warnings) process.stderr.write(`warning: ${formatIssue(warning)}\n`);
  // Reads only: plan never creates the state dir (a PostgreSQL store is opened for its listing).
  const store = options.state ? await openStore(options, { redactor }) : new FileStateStore(options.stateDir);
  const sharedDir = store.root;
  try {
    const { config } = loaded;
    // The id `deploy` would take now: after the newest deployment's, skipping every name that exists or is registered.
    const allocating = options.clusterId === undefined;
    const doc = await buildPlan({
      loaded,
      steps: allSteps(),
      deploymentSteps: deploymentSteps({ store, nonInteractive: true }),
      options: engineOptions(options),
      clusterId: options.clusterId,
      probe: existenceProbe({ config, sharedDir, redactor }),
      redactor,
      sharedDir,
      registeredNames: () => registeredNames(config.metaClusters, sharedDir, { baseDir: dirname(loaded.file), redactor }),
      // A given id is checked against the other environments' names only (deploy refuses one they use).
      ...(allocating ? await history(store, { project: config.project.id, environment: config.environment }) : { shared: (await clusterIdHistory(store, { project: config.project.id, environment: config.environment })).shared }),
      // Only real clusters run `helm upgrade`, whose flags differ between helm 3 and 4.
      helmMajor: config.workspaceClusters.some((c) => c.type !== 'sandbox') ? await installedHelmMajor() : undefined,
    });
    // What `deploy` with the same flags would do about the environment's earlier runs: its very check, said here.
    const { allowUnfinished } = command.opts<{ allowUnfinished?: boolean }>();
    const refusal = await startRefusal(loaded, { allowUnfinished }, { store });
    const shown = refusal ? { ...doc, refusal: options.next.value(refusal) } : doc;
    process.stdout.write(format === 'json' ? `${JSON.stringify(shown, null, 2)}\n` : renderPlan(shown));
  } finally {
    await store.close();
  }
}

/** Earlier deployments' cluster ids; a damaged journal that hides its id is said on stderr (the plan on stdout stays parseable). */
async function history(store: StateStore, key: { project: string; environment: string }): Promise<Omit<Awaited<ReturnType<typeof clusterIdHistory>>, 'unknown'>> {
  const { unknown, ...rest } = await clusterIdHistory(store, key);
  for (const message of unknown) process.stderr.write(`warning: ${message}\n`);
  return rest;
}
