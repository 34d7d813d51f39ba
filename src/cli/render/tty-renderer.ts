/**
 * Live progress for terminals: one status line per cluster, redrawn in place;
 * warnings and errors scroll above it. Tool output stays in the step log files
 * (or shows with -v as prefixed lines), never interleaved raw.
 *
 * The area is the last rows above the cursor, which waits on an empty row under
 * it; a redraw moves up the rows the last frame takes now, erases below and writes
 * the new frame. Every line is cut to the width with `cli-truncate` (which measures
 * wide characters), so a cluster is one row, until the window is made narrower:
 * VTE, iTerm2, kitty, Alacritty, Windows Terminal, xterm.js (VS Code) and tmux
 * re-wrap the rows on screen, and a line then takes several. log-update counted the
 * rows at the width it drew at and left the top of the older frame behind; here a
 * resize redraws at once, counting the rows the way those terminals re-wrap. (xterm
 * and st cut rows instead: there the count is too high and a few rows above the area
 * are erased. The cursor cannot be parked at the top of the area instead: xterm.js
 * moves it down by every row a resize adds, also below it.) A frame taller than the
 * terminal is cut to its height, with a last row saying how many clusters are not
 * shown: rows that scrolled off the top could never be erased again, and copies of
 * the frame piled up in the scrollback.
 *
 * Two rules keep the area from touching anything else on the screen:
 * - `suspend()` (a manual gate's question is being asked) erases the area and
 *   holds scrolling lines back until `resume()`, so no redraw lands on the prompt;
 * - `close()` erases the area for good before the command prints its results:
 *   nothing is ever redrawn over the summary (events after close are plain lines).
 *
 * Ctrl-Z and `fg` (job-control.ts): while the job is stopped the shell writes under
 * the area (`^Z`, `[1]+ Stopped …`, its prompt, `fg`), so after `fg` the area is no
 * longer the rows above the cursor; moving up to erase it overwrote the shell's
 * lines. So a stop leaves the frame as it is (it is always whole, the cursor on the
 * row under it and never hidden), and `fg` forgets it and draws a new one at once
 * under what the shell wrote: the old frame stays above as it was at the stop.
 */
import type { DeployEvent, EventInput, EventSink } from '../../core/events.js';
import { holdTerminalMode } from '../job-control.js';
import { fitTerminalWidth } from './fit-width.js';
import { formatLine, type Writable } from './line-renderer.js';

interface ClusterLine {
  step: string;
  state: string;
  since: number;
}

/** Step events that mean the step is still under way (its releases may run together with others). */
const ACTIVE = new Set(['start', 'check', 'retry']);

/** A terminal stream: columns/rows are absent on a fake and on a pipe; `resize` is a TTY's event. */
type TerminalStream = Writable & { columns?: number; rows?: number; on?(event: 'resize', listener: () => void): unknown; off?(event: 'resize', listener: () => void): unknown };

/** What a prompt needs from the live area (see gate-prompter.ts). */
export interface LiveArea {
  /** Erase the area and hold every output back: something else owns the cursor now. */
  suspend(): void;
  /** Write what was held back and draw the area again. */
  resume(): void;
}

const REDRAW_MS = 100;
/** Used when the stream does not say (a fake in tests). */
const DEFAULT_COLUMNS = 80;
const DEFAULT_ROWS = 24;
const ERASE_BELOW = '\x1b[J';

export class TtyRenderer implements EventSink, LiveArea {
  /** Per cluster, the last event of each step: steps of one cluster run together (the releases). */
  private readonly clusters = new Map<string, Map<string, ClusterLine>>();
  /** The frame on screen (the cursor is on the row under it); empty when none is. */
  private shown: string[] = [];
  private readonly onResize = (): void => this.draw();
  private timer: NodeJS.Timeout | undefined;
  private held: string[] = [];
  private suspended = false;
  private closed = false;
  /** Gives up the hold on the terminal taken for Ctrl-Z and `fg` (see the file's comment). */
  private readonly release: () => void;

  constructor(
    private readonly out: TerminalStream,
    private readonly verbose: boolean,
  ) {
    out.on?.('resize', this.onResize);
    this.release = holdTerminalMode({ leave: () => undefined, retake: () => this.redrawBelow() });
  }

  emit(input: EventInput): void {
    const event = { ...input, time: input.time ?? new Date().toISOString() } as DeployEvent;
    if (event.cluster && event.step && event.code.startsWith('step.')) {
      const steps = this.clusters.get(event.cluster) ?? new Map<string, ClusterLine>();
      steps.delete(event.step); // re-inserted last: the newest event is the cluster's latest
      steps.set(event.step, { step: event.step, state: event.code.slice(5), since: Date.now() });
      this.clusters.set(event.cluster, steps);
    }
    const scrolls = event.level === 'warn' || event.level === 'error' || (event.level === 'info' && !event.cluster) || (this.verbose && event.level === 'debug');
    if (!scrolls) {
      this.schedule();
      return;
    }
    const line = `${formatLine(event)}\n`;
    if (this.closed) {
      this.out.write(line);
    } else if (this.suspended) {
      this.held.push(line);
    } else {
      this.erase();
      this.out.write(line);
      this.draw();
    }
  }

  suspend(): void {
    if (this.closed || this.suspended) return;
    this.suspended = true;
    this.stopTimer();
    this.erase();
  }

  resume(): void {
    if (!this.suspended) return;
    this.suspended = false;
    this.flushHeld();
    if (!this.closed) this.draw();
  }

  /** Erases the area and stops drawing: the command prints its results next, and nothing may redraw over them. */
  close(): void {
    if (this.closed) return;
    this.stopTimer();
    if (!this.suspended) this.erase();
    this.out.off?.('resize', this.onResize);
    this.release();
    this.closed = true;
    this.suspended = false;
    this.flushHeld();
  }

  /** The area as it would be drawn now (one line per cluster, cut to the width). */
  lines(): string[] {
    const columns = this.columns();
    const width = Math.max(0, ...[...this.clusters.keys()].map((k) => k.length));
    return [...this.clusters].map(([name, steps]) => {
      const all = [...steps.values()];
      const active = all.filter((l) => ACTIVE.has(l.state));
      // Every step under way, side by side; once none is, the latest one's outcome.
      const shown = active.length > 0 ? active : all.slice(-1);
      const parts = shown.map((line) => {
        const secs = Math.round((Date.now() - line.since) / 1000);
        return `${line.step.padEnd(shown.length > 1 ? 0 : 18)} ${line.state}${line.state === 'start' ? ` (${secs}s)` : ''}`;
      });
      const text = `${name.padEnd(width)}  ${parts.join('  |  ')}`;
      // One column spare: a line that fills the last column leaves some terminals waiting to wrap.
      // In ASCII where the locale is not UTF-8: measured as the terminal will show it.
      return fitTerminalWidth(text, Math.max(1, columns - 1));
    });
  }

  /** After `fg`: the rows above the cursor are the shell's now, so nothing is erased; a whole frame goes under them. */
  private redrawBelow(): void {
    this.shown = [];
    this.draw();
  }

  private flushHeld(): void {
    for (const line of this.held.splice(0)) this.out.write(line);
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer || this.closed || this.suspended) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, REDRAW_MS);
    this.timer.unref();
  }

  private columns(): number {
    return this.out.columns && this.out.columns > 0 ? this.out.columns : DEFAULT_COLUMNS;
  }

  /** The rows the frame on screen takes now: a terminal re-wraps its lines when made narrower than they are. */
  private rowsOnScreen(): number {
    const columns = this.columns();
    // Lines are ASCII but for the ellipsis cli-truncate adds (one column): their length is their width.
    return this.shown.reduce((rows, line) => rows + Math.max(1, Math.ceil([...line].length / columns)), 0);
  }

  /** What erases the frame on screen: up to its first row, then everything below. */
  private eraseCode(): string {
    const rows = this.rowsOnScreen();
    return rows > 0 ? `\x1b[${rows}A\r${ERASE_BELOW}` : '';
  }

  private erase(): void {
    const code = this.eraseCode();
    if (code) this.out.write(code);
    this.shown = [];
  }

  private draw(): void {
    if (this.closed || this.suspended) return;
    const lines = this.lines();
    // The cursor's row stays under the frame: a frame as tall as the screen would scroll its first row away.
    const rows = Math.max(1, (this.out.rows && this.out.rows > 0 ? this.out.rows : DEFAULT_ROWS) - 1);
    const fit = lines.length <= rows ? lines : [...lines.slice(0, rows - 1), fitTerminalWidth(`… ${lines.length - rows + 1} more clusters: a taller terminal shows them`, Math.max(1, this.columns() - 1))];
    // One write: a signal handler or another write never lands between erasing and drawing.
    this.out.write(`${this.eraseCode()}${fit.map((l) => `${l}\n`).join('')}`);
    this.shown = fit;
  }
}
