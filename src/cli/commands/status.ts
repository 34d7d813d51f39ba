/** `ws-deployment status [ID]`: one deployment as a table or JSON (default: the newest); `--all` lists them. */
import { lstatSync } from 'node:fs';
import type { Command } from 'commander';
import { WsdError } from '../../core/errors.js';
import { assertDeploymentId } from '../../state/file-store.js';
import { lineOf, renderSummary, statusDocument } from '../../report/summary.js';
import { renderTable } from '../../report/table.js';
import { notificationStatus, renderNotificationStatus } from '../../report/notification-status.js';
import { excludedPending, type Snapshot } from '../../state/model.js';
import { concludingAbort, promoted, rolledBack, supersededBy } from '../../state/resumable.js';
import type { OperatorAbort } from '../../traffic/shift-ports.js';
import { damageWords } from '../../state/journal-damage.js';
import type { DeploymentSummary, PendingControl, StateStore } from '../../state/store.js';
import { hasLiveProcess, liveState } from '../../state/liveness.js';
import { deploymentOutcome, type Outcome } from '../../report/outcome.js';
import { openStore, stderrWarnings } from '../open-store.js';
import { globalOptions } from '../options.js';
import { outputFormat } from './output-option.js';
import { watchDeployment } from '../status-watch.js';
import { overBecause, unappliedLine } from '../../report/unapplied-commands.js';
import { waitingGateLine } from '../../report/watch/watch-view.js';
import { heldGateDocument, queuedScope } from '../../report/shift-gates.js';
import { leftTools, leftToolsText } from './status-left-running.js';

export default async function status(command: Command, id?: string): Promise<void> {
  const options = globalOptions(command);
  const format = outputFormat(command);
  const { all, watch } = command.opts<{ all: boolean; watch: boolean }>();
  if (all && id) throw new WsdError('UsageError', 'status takes either a deployment id or --all, not both');
  if (watch && (all || format === 'json')) throw new WsdError('UsageError', '--watch shows one deployment as text; drop --all / --output json');
  // An id that cannot be one (`../etc`) is said as such first: whatever the state dir holds, it names nothing.
  if (id !== undefined) assertDeploymentId(id);
  if (!options.state) assertStateDirExists(options.stateDir);
  const store = await openStore(options, { sink: stderrWarnings });
  try {
    if (watch) {
      // Only where the lock holder can be read without taking the lock (file and PostgreSQL stores): a watch must
      // never stand in a run's way. A holder running another deployment of the environment does not keep this one alive.
      const isLive = store.lockHolder ? (snap: Snapshot) => hasLiveProcess(store, snap, 'status --watch') : undefined;
      const watched = id ?? (await newestRunning(store, options.state ? 'the state database' : options.stateDir));
      // Its suggestions read the config it ran with, not the default one: unknown until the watch reads it.
      options.next.forDeployment(undefined);
      process.exitCode = await watchDeployment(store, watched, { out: process.stdout, isLive, next: options.next });
      return;
    }
    if (all) {
      process.stdout.write(renderList(options.next.value(await listLive(store)), format));
      return;
    }
    const chosen = id ?? (await store.list())[0]?.id;
    if (!chosen) throw new WsdError('DeploymentNotFound', `no deployments in ${options.state ? 'the state database' : options.stateDir}; start one with \`ws-deployment deploy\``);
    // Its suggestions read the config it ran with, not the default one (core/next-command.ts): unknown until read.
    options.next.forDeployment(undefined);
    const read = await liveState(store, (await store.open(chosen, { readOnly: true })).snapshot());
    options.next.forDeployment(read.inputs.configFile);
    const newer = read.state === 'succeeded' || read.state === 'running' ? undefined : await supersededBy(store, read);
    const snap = newer ? { ...read, supersededBy: newer } : read;
    const records = await store.readRecords(chosen);
    const notes = notificationStatus(records);
    // A run waiting for an operator says so here too, with the command that answers it.
    const waiting = waitingGateLine(records, snap);
    // A shift held at a manual gate that no process runs (a CI resume stopped there): where, and what answers it.
    const held = heldGateDocument(snap);
    // Commands sent with `shift` that no process has taken yet (the deployment is not running): resume applies them,
    // unless the deployment is over (resume refuses it): then they are listed as never applied.
    const queued = await store.pendingControl(chosen);
    const over = overBecause(snap) !== undefined;
    const pending = over ? [] : queued;
    const unapplied = over && queued.length > 0 ? { unappliedCommands: queued } : {};
    // Tools a killed run left working on its clusters: the journal's last word is not the end of their changes.
    const tools = leftTools(snap);
    // The commands it suggests get the flags that reach this state: in JSON before quoting, in text as written.
    process.stdout.write(format === 'json' ? `${JSON.stringify(options.next.value({ ...statusDocument(snap), ...(waiting ? { waiting } : {}), ...(held ? { held } : {}), pendingCommands: pending.map((p) => ({ ...p, ...(scopeOf(snap, p) ? { answers: scopeOf(snap, p) } : {}) })), ...unapplied, ...(tools.length ? { leftRunning: tools } : {}), ...(notes ? { notifications: notes } : {}) }), null, 2)}\n` : options.next.text(`${renderSummary(snap)}${leftToolsText(snap, tools)}${lineOf(waiting)}${renderPending(snap, pending)}${over ? lineOf(unappliedLine(snap, queued)) : ''}${notes ? renderNotificationStatus(notes) : ''}`));
  } finally {
    await store.close();
  }
}

/**
 * A state dir that does not exist is most likely a mistyped or forgotten --state-dir: every form of status says so
 * (exit 2), where `--all` printed an empty list (`[]`) and exited 0 as if the dir had been read and held nothing.
 */
function assertStateDirExists(dir: string): void {
  try {
    lstatSync(dir);
  } catch (error) {
    // Only a dir that is not there; one that cannot be read gets the store's own error.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return;
    throw new WsdError('DeploymentNotFound', `no deployments in ${dir}: the folder does not exist; pass the --state-dir (or --state) the deployments ran with, or start one with \`ws-deployment deploy\``, { details: { stateDir: dir } });
  }
}

/** `--watch` without an id: the newest deployment the journal calls running (read-only: no lock probe). */
async function newestRunning(store: StateStore, where: string): Promise<string> {
  const running = (await store.list()).find((d) => d.state === 'running');
  if (!running) throw new WsdError('DeploymentNotFound', `no running deployment in ${where} to watch; start one with \`ws-deployment deploy\`, or watch a finished one by its id (\`ws-deployment status --all\` lists them)`);
  return running.id;
}

type Listed = DeploymentSummary & { rolledBack?: true; excluded?: number; supersededBy?: string; outcome?: Outcome; outcomeWords?: string; aborted?: OperatorAbort };

/**
 * Every deployment, newest first, with the live state of those that claim to be running; a failure that is a rollback
 * says so, and an unfinished one that a newer promoted deployment of its environment superseded names it (resume refuses it).
 */
async function listLive(store: StateStore): Promise<Listed[]> {
  const out: Listed[] = [];
  const promotedIn = new Map<string, string>();
  for (const d of await store.list()) {
    if (d.damaged) {
      out.push(d);
      continue;
    }
    const env = `${d.project}\u0000${d.environment}`;
    const newer = promotedIn.get(env);
    const snap = d.state !== 'succeeded' || !newer ? (await store.open(d.id, { readOnly: true })).snapshot() : undefined;
    if (snap && !newer && promoted(snap)) promotedIn.set(env, d.id);
    const superseded = newer && d.state !== 'succeeded' ? { supersededBy: newer } : {};
    if (d.state === 'running' && snap) out.push({ ...d, state: (await liveState(store, snap)).state, ...superseded });
    else if (d.state === 'failed' && snap && rolledBack(snap)) out.push({ ...d, rolledBack: true, ...outcomeOf(snap) });
    // A failure is said as `status ID` says it (held at a gate, refused, failed after promotion).
    else if (d.state === 'failed' && snap && !newer) out.push({ ...d, ...outcomeOf(snap) });
    // How many steps a partial one left for `resume`.
    else if (d.state === 'partial' && snap) out.push({ ...d, ...(newer ? superseded : { excluded: excludedPending(snap).length }) });
    else out.push({ ...d, ...superseded });
  }
  return out;
}

function outcomeOf(snap: Snapshot): Pick<Listed, 'outcome' | 'outcomeWords' | 'aborted'> {
  const { outcome, words } = deploymentOutcome(snap);
  // A shift an operator aborted (a first generation's watch, or a rollback): who and when, as `status ID --output json` has it (shift.aborted).
  const aborted = concludingAbort(snap);
  return { outcome, outcomeWords: words, ...(aborted ? { aborted } : {}) };
}

function renderList(list: Listed[], format: 'text' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(list.map(({ outcomeWords: _w, ...d }) => d), null, 2)}\n`;
  if (list.length === 0) return 'no deployments\n';
  // A damaged journal hides what the damage covers: '?' rather than a guess.
  const rows = list.map((d) => [d.id, d.rolledBack ? (d.outcomeWords ?? 'rolled back') : d.excluded !== undefined ? `partial (${d.excluded} excluded)` : d.supersededBy ? `${d.state}, superseded` : (d.outcomeWords ?? d.state), d.project || '?', d.environment || '?', d.createdAt || '?', d.updatedAt || '?']);
  const damaged = list.flatMap((d) => (d.damaged ? [`${d.id}: ${damageWords(d.damaged)}; ${d.damaged.fix}\n`] : []));
  return `${renderTable(['ID', 'STATE', 'PROJECT', 'ENVIRONMENT', 'CREATED', 'UPDATED'], rows)}\n${damaged.join('')}`;
}

function renderPending(snap: Snapshot, pending: PendingControl[]): string {
  if (pending.length === 0) return '';
  // What each answers where the shift holds (a queued resume covers that gate only, promote every remaining one).
  const list = pending.map((p) => `${p.command} (sent ${p.sentAt.slice(11, 19)})${scopeOf(snap, p) ? `: ${scopeOf(snap, p)}` : ''}`).join(', ');
  const when = snap.state === 'running' ? 'its process takes them within a second' : `applied when \`ws-deployment resume ${snap.id}\` continues it`;
  return `pending shift commands: ${list}; ${when}\n`;
}

/** A pending command's scope at the held gate: only the first answer counts, the run takes it there. */
function scopeOf(snap: Snapshot, p: PendingControl): string | undefined {
  return queuedScope(snap, p.command);
}

