/**
 * Live progress for terminals: one status line per cluster, redrawn in place;
 * warnings and errors scroll above it. Tool output stays in the step log files
 * (or shows with -v as prefixed lines), never interleaved raw.
 *
 * Erasing and redrawing the area is `log-update`'s job: it counts the rows the
 * last frame took at the terminal's current width (wrapped lines included) and
 * caps the frame at the terminal's height, which a hand-counted `ESC[nA` got
 * wrong on narrow terminals (a wrapped line duplicated, a cluster's line lost).
 * On top of that every line is cut to the width with `cli-truncate` (which
 * measures wide characters), so one cluster is always exactly one row.
 *
 * Two rules keep the area from touching anything else on the screen:
 * - `suspend()` (a manual gate's question is being asked) erases the area and
 *   holds scrolling lines back until `resume()`, so no redraw lands on the prompt;
 * - `close()` erases the area for good before the command prints its results:
 *   nothing is ever redrawn over the summary (events after close are plain lines).
 */
import cliTruncate from 'cli-truncate';
import { createLogUpdate } from 'log-update';
import type { DeployEvent, EventInput, EventSink } from '../../core/events.js';
import { formatLine, type Writable } from './line-renderer.js';

interface ClusterLine {
  step: string;
  state: string;
  since: number;
}

/** Step events that mean the step is still under way (its releases may run together with others). */
const ACTIVE = new Set(['start', 'check', 'retry']);

/** A terminal stream: columns/rows are absent on a fake and on a pipe. */
export type TerminalStream = Writable & { columns?: number; rows?: number };

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

export class TtyRenderer implements EventSink, LiveArea {
  /** Per cluster, the last event of each step: steps of one cluster run together (the releases). */
  private readonly clusters = new Map<string, Map<string, ClusterLine>>();
  private readonly area: ReturnType<typeof createLogUpdate>;
  private timer: NodeJS.Timeout | undefined;
  private held: string[] = [];
  private suspended = false;
  private closed = false;

  constructor(
    private readonly out: TerminalStream,
    private readonly verbose: boolean,
  ) {
    // The cursor stays visible: a manual gate may ask a question in the middle of the run.
    this.area = createLogUpdate(out as unknown as NodeJS.WriteStream, { showCursor: true });
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
      this.area.clear();
      this.out.write(line);
      this.draw();
    }
  }

  suspend(): void {
    if (this.closed || this.suspended) return;
    this.suspended = true;
    this.stopTimer();
    this.area.clear();
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
    if (!this.suspended) this.area.clear();
    this.area.done();
    this.closed = true;
    this.suspended = false;
    this.flushHeld();
  }

  /** The area as it would be drawn now (one line per cluster, cut to the width). */
  lines(): string[] {
    const columns = this.out.columns && this.out.columns > 0 ? this.out.columns : DEFAULT_COLUMNS;
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
      return cliTruncate(text, Math.max(1, columns - 1));
    });
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

  private draw(): void {
    if (this.closed || this.suspended) return;
    const lines = this.lines();
    if (lines.length === 0) this.area.clear();
    else this.area(lines.join('\n'));
  }
}
