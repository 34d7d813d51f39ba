/**
 * Live progress for terminals: one status line per cluster, redrawn in place;
 * warnings and errors scroll above it. Tool output stays in the step log files
 * (or shows with -v as prefixed lines), never interleaved raw.
 */
import type { DeployEvent, EventInput, EventSink } from '../../core/events.js';
import { formatLine, type Writable } from './line-renderer.js';

interface ClusterLine {
  step: string;
  state: string;
  since: number;
}

/** Step events that mean the step is still under way (its releases may run together with others). */
const ACTIVE = new Set(['start', 'check', 'retry']);

const REDRAW_MS = 100;

export class TtyRenderer implements EventSink {
  /** Per cluster, the last event of each step: steps of one cluster run together (the releases). */
  private readonly clusters = new Map<string, Map<string, ClusterLine>>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: Writable,
    private readonly verbose: boolean,
  ) {}

  emit(input: EventInput): void {
    const event = { ...input, time: input.time ?? new Date().toISOString() } as DeployEvent;
    if (event.cluster && event.step && event.code.startsWith('step.')) {
      const steps = this.clusters.get(event.cluster) ?? new Map<string, ClusterLine>();
      steps.delete(event.step); // re-inserted last: the newest event is the cluster's latest
      steps.set(event.step, { step: event.step, state: event.code.slice(5), since: Date.now() });
      this.clusters.set(event.cluster, steps);
    }
    const scrolls = event.level === 'warn' || event.level === 'error' || (event.level === 'info' && !event.cluster) || (this.verbose && event.level === 'debug');
    if (scrolls) {
      this.clear();
      this.out.write(`${formatLine(event)}\n`);
      this.draw();
    } else {
      this.schedule();
    }
  }

  /** Leaves the final state on screen and stops redrawing. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.clear();
    this.draw();
    this.drawn = 0;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.clear();
      this.draw();
    }, REDRAW_MS);
    this.timer.unref();
  }

  private clear(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    const width = Math.max(0, ...[...this.clusters.keys()].map((k) => k.length));
    for (const [name, steps] of this.clusters) {
      const all = [...steps.values()];
      const active = all.filter((l) => ACTIVE.has(l.state));
      // Every step under way, side by side; once none is, the latest one's outcome.
      const shown = active.length > 0 ? active : all.slice(-1);
      const text = shown.map((line) => {
        const secs = Math.round((Date.now() - line.since) / 1000);
        return `${line.step.padEnd(shown.length > 1 ? 0 : 18)} ${line.state}${line.state === 'start' ? ` (${secs}s)` : ''}`;
      });
      this.out.write(`${name.padEnd(width)}  ${text.join('  |  ')}\n`);
    }
    this.drawn = this.clusters.size;
  }
}
