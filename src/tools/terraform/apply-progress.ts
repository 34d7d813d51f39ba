/**
 * Counts an apply's progress from terraform's `-json` UI stream: the resources
 * it plans to change (`planned_change`, emitted before the first change) and
 * those done (`apply_complete`). `terraform apply 12/31 resources` is then the
 * truth as terraform reports it, without scraping its human text.
 */
interface StreamLine {
  type?: string;
  change?: { action?: string };
}

export class ApplyProgress {
  private planned = 0;
  private done = 0;

  constructor(private readonly verb: 'apply' | 'destroy' = 'apply') {}

  /** Reads one output line; returns the new progress text when it changed. */
  onLine(line: string): string | undefined {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) return undefined;
    let message: StreamLine;
    try {
      message = JSON.parse(trimmed) as StreamLine;
    } catch {
      return undefined;
    }
    if (message.type === 'planned_change' && message.change?.action !== 'noop') this.planned++;
    else if (message.type === 'apply_complete') this.done++;
    else return undefined;
    return this.text();
  }

  /** True once every planned change completed. */
  complete(): boolean {
    return this.planned > 0 && this.done >= this.planned;
  }

  text(): string {
    return `terraform ${this.verb} ${this.done}/${this.planned} resources`;
  }
}
