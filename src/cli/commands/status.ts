/** `ws-deployment status [ID]`: one deployment as a table or JSON (default: the newest); `--all` lists them. */
import type { Command } from 'commander';
import { WsdError } from '../../core/errors.js';
import { renderSummary, statusDocument } from '../../report/summary.js';
import { renderTable } from '../../report/table.js';
import { notificationStatus, renderNotificationStatus } from '../../report/notification-status.js';
import type { Snapshot } from '../../state/model.js';
import type { DeploymentSummary, StateStore } from '../../state/store.js';
import { openStore } from '../open-store.js';
import { globalOptions } from '../options.js';
import { outputFormat } from './shared.js';

export default async function status(command: Command, id?: string): Promise<void> {
  const options = globalOptions(command);
  const format = outputFormat(command);
  const { all } = command.opts<{ all: boolean }>();
  if (all && id) throw new WsdError('UsageError', 'status takes either a deployment id or --all, not both');
  const store = await openStore(options);
  try {
    if (all) {
      process.stdout.write(renderList(await listLive(store), format));
      return;
    }
    const chosen = id ?? (await store.list())[0]?.id;
    if (!chosen) throw new WsdError('DeploymentNotFound', `no deployments in ${options.state ? 'the state database' : options.stateDir}; start one with \`ws-deployment deploy\``);
    const snap = await liveState(store, (await store.open(chosen, { readOnly: true })).snapshot());
    const notes = notificationStatus(await store.readRecords(chosen));
    process.stdout.write(format === 'json' ? `${JSON.stringify({ ...statusDocument(snap), ...(notes ? { notifications: notes } : {}) }, null, 2)}\n` : `${renderSummary(snap)}${notes ? renderNotificationStatus(notes) : ''}`);
  } finally {
    await store.close();
  }
}

/** Every deployment, newest first, with the live state of those that claim to be running. */
async function listLive(store: StateStore): Promise<DeploymentSummary[]> {
  const out: DeploymentSummary[] = [];
  for (const d of await store.list()) {
    out.push(d.state === 'running' ? { ...d, state: (await liveState(store, (await store.open(d.id, { readOnly: true })).snapshot())).state } : d);
  }
  return out;
}

function renderList(list: DeploymentSummary[], format: 'text' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(list, null, 2)}\n`;
  if (list.length === 0) return 'no deployments\n';
  const rows = list.map((d) => [d.id, d.state, d.project, d.environment, d.createdAt, d.updatedAt]);
  return `${renderTable(['ID', 'STATE', 'PROJECT', 'ENVIRONMENT', 'CREATED', 'UPDATED'], rows)}\n`;
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
