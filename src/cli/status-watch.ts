/**
 * `status --watch`: polls the journal (read-only: no lock, so it never stands in
 * the way of the run it watches, from any terminal or machine that reaches the
 * state store) about once a second and shows {@link watchView}. On a TTY the view
 * is redrawn on the terminal's alternate screen (render/watch-screen.ts: a resize
 * or a frame taller than the terminal leaves nothing behind, and the operator's
 * screen comes back untouched with the last frame printed under it); on a pipe
 * only lines that changed are printed, without the ticking clocks. It returns the
 * deployment's exit code once the journal says it ended, or 130 once the process
 * running it is gone (killed, its terminal closed): the journal then says `running`
 * for ever, and a watch that waited for it would never end. Ctrl-C (or SIGTERM,
 * SIGHUP) stops the watch, not the deployment, and says so: 130, after the screen
 * is given back; on a pipe it says so on stderr (stdout holds only the view's lines,
 * for whatever reads them). A terminal without an alternate screen (render/terminal.ts)
 * gets the pipe's changed lines, without escape codes.
 */
import type { JournalRecord, Snapshot } from '../state/model.js';
import type { StateStore } from '../state/store.js';
import { watchView } from '../report/watch/watch-view.js';
import { supersededBy } from '../state/resumable.js';
import { isWsdError } from '../core/errors.js';
import { bareCommands, type NextCommands } from '../core/next-command.js';
import { exitCodeOf } from './commands/shared.js';
import { terminalAbilities } from './render/terminal.js';
import { watchScreen } from './render/watch-screen.js';
import { onStopSignal } from './stop-signals.js';

interface WatchOptions {
  out: NodeJS.WriteStream;
  pollMs?: number;
  /** Whether a process still runs the deployment (read without taking a lock); absent: not checked. */
  isLive?: (snap: Snapshot) => Promise<boolean>;
  /** Completes the commands the view suggests (core/next-command.ts). */
  next?: NextCommands;
  /** Where Ctrl-C's "the deployment goes on" goes when `out` is not a terminal (default: process.stderr). */
  err?: { write(text: string): unknown };
}

export async function watchDeployment(store: StateStore, id: string, options: WatchOptions): Promise<number> {
  // Ctrl-C stops the watch, not the deployment: the signal wakes the loop, which gives the screen back and says so.
  // The loop wakes only between reads: a second signal while one hangs (a slow PostgreSQL) exits at once, 130 as
  // documented, once the screen is given back and the line said.
  const stop: Stop = { signal: undefined, wake: () => {}, now: () => {} };
  const onSignal = (name: NodeJS.Signals): void => {
    if (stop.signal) {
      stop.now();
      process.exit(130);
    }
    stop.signal = name;
    stop.wake();
  };
  const release = onStopSignal(onSignal);
  try {
    return await follow(store, id, options, stop);
  } finally {
    release();
  }
}

interface Stop {
  /** The first stop signal, once one came. */
  signal: NodeJS.Signals | undefined;
  /** Ends the wait for the next poll. */
  wake: () => void;
  /** Gives the screen back and says the watch stopped, before a second signal exits the process. */
  now: () => void;
}

async function follow(store: StateStore, id: string, options: WatchOptions, stop: Stop): Promise<number> {
  const { out } = options;
  // A terminal without an alternate screen (TERM=dumb, vt100, a Linux console) gets the pipe's changed lines.
  const tty = terminalAbilities(out).alternateScreen;
  const screen = tty ? watchScreen(out) : undefined;
  const next = options.next ?? bareCommands;
  const records: JournalRecord[] = [];
  let configLearned = false;
  let printed = new Set<string>();
  const draw = (shown: string[]): void => {
    const lines = shown.map((l) => next.text(l));
    if (screen) return screen.draw(lines);
    for (const l of lines) if (!printed.has(l)) out.write(`${l}\n`);
    printed = new Set(lines);
  };
  /** The last frame stays (printed on the normal screen), then the outcome: nothing is redrawn after this. */
  const end = (line: string, code: number): number => {
    screen?.close();
    out.write(next.text(`${line}\n`));
    return code;
  };
  // The deployment runs in another process, which the operator's Ctrl-C here never reached. On a pipe or
  // in a file the lines are the watch's data (`| grep`, `> log`): a note about the watch goes to stderr.
  const stopped = (): number => {
    const line = `stopped watching (${stop.signal}); deployment ${id} goes on: \`ws-deployment status --watch ${id}\` follows it again`;
    if (out.isTTY) return end(line, 130);
    (options.err ?? process.stderr).write(next.text(`${line}\n`));
    return 130;
  };
  stop.now = () => void stopped();
  try {
    for (let first = true; ; first = false) {
      const fresh = await newRecords(store, id, records.at(-1)?.seq ?? 0);
      records.push(...fresh);
      const pending = await store.pendingControl(id);
      let view = watchView({ records, pending, now: Date.now(), clock: tty });
      // Its suggestions read the config it ran with, not the default one (core/next-command.ts); the records hold
      // it resolved against the state dir in use, as open() has it (state-paths.ts).
      if (view.snapshot && !configLearned) next.forDeployment(view.snapshot.inputs.configFile);
      configLearned ||= view.snapshot !== undefined;
      // A journal that says running, quiet (or seen for the first time: a killed run is never drawn as
      // running): is anyone still running it? A run journals its end before it lets go of the lock, so
      // records that arrived meanwhile mean it ended (or goes on): look again.
      const gone =
        view.snapshot?.state === 'running' &&
        (first || fresh.length === 0) &&
        options.isLive !== undefined &&
        !(await options.isLive(view.snapshot)) &&
        (await newRecords(store, id, records.at(-1)?.seq ?? 0)).length === 0;
      const snap = view.snapshot;
      // A lock copied with the state dir: the run goes on in the original, as `status` says (state/liveness.ts).
      const copied = gone && snap ? await store.lockNote?.({ project: snap.inputs.project, environment: snap.inputs.environment }) : undefined;
      // Stopped unfinished, and a newer deployment of its environment promoted since: nothing resumes it, as `status` says.
      const newer = snap && (gone || (snap.state !== 'running' && snap.state !== 'succeeded')) ? await supersededBy(store, snap) : undefined;
      if (gone || newer) view = watchView({ records, pending, now: Date.now(), clock: tty, processGone: gone, ...(copied ? { copied } : {}), ...(newer ? { supersededBy: newer } : {}) });
      if (stop.signal) break;
      draw(view.lines);
      if (view.snapshot && view.snapshot.state !== 'running') return end(`exit code ${exitCodeOf(view.snapshot)}`, exitCodeOf(view.snapshot));
      await new Promise<void>((res) => {
        const timer = setTimeout(res, options.pollMs ?? 1_000);
        stop.wake = () => (clearTimeout(timer), res());
      });
      if (stop.signal) break;
    }
    return stopped();
  } finally {
    // An error (the state store failed) gives the screen back too, before it is reported.
    screen?.close();
  }
}

/** A deployment whose journal file exists but holds no whole record yet (it is being created) has none to show yet. */
async function newRecords(store: StateStore, id: string, afterSeq: number): Promise<JournalRecord[]> {
  try {
    return await store.readRecords(id, afterSeq);
  } catch (error) {
    if (afterSeq === 0 && isWsdError(error) && error.code === 'StateCorrupt' && /has no journal records/.test(error.message)) return [];
    throw error;
  }
}
