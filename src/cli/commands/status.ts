/** `ws-deployment status [ID]`: one deployment as a table or JSON (default: the newest). */
import type { Command } from 'commander';
import { WsdError } from '../../core/errors.js';
import { renderSummary, statusDocument } from '../../report/summary.js';
import type { Snapshot } from '../../state/model.js';
import type { StateStore } from '../../state/store.js';
import { openStore } from '../open-store.js';
import { globalOptions } from '../options.js';
import { outputFormat } from './shared.js';

export default async function status(command: Command, id?: string): Promise<void> {
  const options = globalOptions(command);
  const format = outputFormat(command);
  const store = await openStore(options);
  try {
    const chosen = id ?? (await store.list())[0]?.id;
    if (!chosen) throw new WsdError('DeploymentNotFound', `no deployments in ${options.state ? 'the state database' : options.stateDir}; start one with \`ws-deployment deploy\``);
    const snap = await liveState(store, (await store.open(chosen, { readOnly: true })).snapshot());
    process.stdout.write(format === 'json' ? `${JSON.stringify(statusDocument(snap), null, 2)}\n` : renderSummary(snap));
  } finally {
    await store.close();
  }
}

/**
 * A journal that says `running` while nobody holds the environment lock was
 * left by a process that died (SIGKILL, a lost CI pod): show it as interrupted.
 */
async function liveState(store: StateStore, snap: Snapshot): Promise<Snapshot> {
  if (snap.state !== 'running') return snap;
  try {
    const lock = await store.lock({ project: snap.inputs.project, environment: snap.inputs.environment }, { deploymentId: snap.id, command: 'status' });
    await lock.release();
  } catch {
    return snap; // held: it is running (or another run of this environment is)
  }
  return { ...snap, state: 'interrupted', error: { code: 'Interrupted', message: `the process running deployment ${snap.id} is gone; continue it with \`ws-deployment resume ${snap.id}\`` } };
}
