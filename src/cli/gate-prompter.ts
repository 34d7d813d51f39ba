/**
 * On a terminal, a manual gate asks. The core never prompts: a gate emits an
 * event and waits for a control command (`shift resume` / `shift abort`, from
 * any terminal or machine). When this process has a TTY, this sink answers that
 * event with a question on the terminal and sends the answer as the command.
 */
import { createInterface } from 'node:readline/promises';
import type { EventInput, EventSink } from '../core/events.js';
import type { StateStore } from '../state/store.js';

const GATE_EVENTS = new Set(['traffic.gate', 'retire.gate']);

export class GatePrompter implements EventSink {
  private deploymentId: string | undefined;
  private asking = false;

  constructor(
    private readonly store: StateStore,
    private readonly io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } = { input: process.stdin, output: process.stderr },
  ) {}

  emit(event: EventInput): void {
    const id = event.data?.deploymentId;
    if (typeof id === 'string') this.deploymentId = id;
    if (!GATE_EVENTS.has(event.code) || this.asking || !this.deploymentId) return;
    this.asking = true;
    void this.ask(this.deploymentId, event.message).finally(() => (this.asking = false));
  }

  private async ask(id: string, message: string): Promise<void> {
    const rl = createInterface({ input: this.io.input, output: this.io.output, terminal: true });
    try {
      const answer = (await rl.question(`${message}\napprove? [y = go on / a = abort and roll back / anything else = keep waiting] `)).trim().toLowerCase();
      if (answer === 'y' || answer === 'yes') await this.store.sendControl(id, 'resume');
      else if (answer === 'a' || answer === 'abort') await this.store.sendControl(id, 'abort');
    } finally {
      rl.close();
    }
  }
}

/** True when a person can answer on this terminal. */
export function canAsk(): boolean {
  return Boolean(process.stdin.isTTY) && !process.env.CI;
}
