/**
 * `status --watch`: polls the journal (read-only: no lock, so it never stands in
 * the way of the run it watches, from any terminal or machine that reaches the
 * state store) about once a second and shows {@link watchView}. On a TTY the view
 * is redrawn in place (log-update erases the rows it drew; every line is cut to
 * the width first so a wrapped line never leaves half of itself behind); on a pipe
 * only lines that changed are printed, without the ticking clocks. It returns the
 * deployment's exit code once the journal says it ended, or 130 once the process
 * running it is gone (killed, its terminal closed): the journal then says `running`
 * for ever, and a watch that waited for it would never end.
 */
import cliTruncate from 'cli-truncate';
import { createLogUpdate } from 'log-update';
import type { JournalRecord, Snapshot } from '../state/model.js';
import type { StateStore } from '../state/store.js';
import { watchView } from '../report/watch/watch-view.js';
import { isWsdError } from '../core/errors.js';
import { bareCommands, type NextCommands } from '../core/next-command.js';
import { exitCodeOf } from './commands/shared.js';
import { canRedraw } from './render/terminal.js';

export interface WatchOptions {
  out: NodeJS.WriteStream;
  pollMs?: number;
  /** Whether a process still runs the deployment (read without taking a lock); absent: not checked. */
  isLive?: (snap: Snapshot) => Promise<boolean>;
  /** Completes the commands the view suggests (core/next-command.ts). */
  next?: NextCommands;
}

export async function watchDeployment(store: StateStore, id: string, options: WatchOptions): Promise<number> {
  const { out } = options;
  // TERM=dumb cannot redraw: it gets the pipe's changed lines.
  const tty = canRedraw(out);
  const area = tty ? createLogUpdate(out, { showCursor: true }) : undefined;
  const records: JournalRecord[] = [];
  let printed = new Set<string>();
  const draw = (shown: string[]): void => {
    const lines = shown.map((l) => (options.next ?? bareCommands).text(l));
    if (area) {
      const width = out.columns || 80;
      area(lines.map((l) => cliTruncate(l, width)).join('\n'));
      return;
    }
    for (const l of lines) if (!printed.has(l)) out.write(`${l}\n`);
    printed = new Set(lines);
  };
  for (let first = true; ; first = false) {
    const fresh = await newRecords(store, id, records.at(-1)?.seq ?? 0);
    records.push(...fresh);
    const pending = await store.pendingControl(id);
    let view = watchView({ records, pending, now: Date.now(), clock: tty });
    // A journal that says running, quiet (or seen for the first time: a killed run is never drawn as
    // running): is anyone still running it? A run journals its end before it lets go of the lock, so
    // records that arrived meanwhile mean it ended (or goes on): look again.
    const gone =
      view.snapshot?.state === 'running' &&
      (first || fresh.length === 0) &&
      options.isLive !== undefined &&
      !(await options.isLive(view.snapshot)) &&
      (await newRecords(store, id, records.at(-1)?.seq ?? 0)).length === 0;
    if (gone) view = watchView({ records, pending, now: Date.now(), clock: tty, processGone: true });
    draw(view.lines);
    if (view.snapshot && view.snapshot.state !== 'running') {
      area?.done();
      out.write(`exit code ${exitCodeOf(view.snapshot)}\n`);
      return exitCodeOf(view.snapshot);
    }
    await new Promise((res) => setTimeout(res, options.pollMs ?? 1_000));
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
