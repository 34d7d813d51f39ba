/**
 * On a terminal, a manual gate asks. The core never prompts: a gate emits an
 * event and waits for a control command (`shift resume` / `shift abort`, from
 * any terminal or machine). When this process has a TTY, this sink answers that
 * event with a question on the terminal and sends the answer as the command.
 *
 * The question is only one way to decide: when the gate is decided elsewhere
 * (`shift resume|promote|abort` from another terminal, or the run ends or is
 * interrupted), the event that says so withdraws the question, so the process
 * goes on and exits with the deployment's real outcome instead of waiting for a
 * keypress. Ctrl-C at the question interrupts the run like Ctrl-C anywhere
 * else (exit 130): readline's raw mode turns it into a keypress, not a signal.
 * Ctrl-D (end of input) does the same: nobody is left to answer on this terminal.
 */
import { createInterface, type Interface } from 'node:readline/promises';
import type { EventInput, EventSink } from '../core/events.js';
import type { StateStore } from '../state/store.js';
import { bareCommands, type NextCommands } from '../core/next-command.js';
import type { LiveArea } from './render/tty-renderer.js';
import { operatorName } from '../core/operator.js';
import { discardTypeAhead, keepAnswerable } from './render/question-terminal.js';

const GATE_EVENTS = new Set(['traffic.gate', 'retire.gate']);

/** Events after which a gate no longer waits: decided (here or elsewhere), or the step or run ended. */
const DECIDED = new Set([
  'traffic.resumed',
  'traffic.promote',
  'traffic.rollback',
  'traffic.done',
  'retire.approved',
  'step.succeeded',
  'step.failed',
  'step.refused',
  'step.interrupted',
  'run.interrupt',
  'run.lock-lost',
  'deployment.succeeded',
  'deployment.failed',
  'deployment.interrupted',
]);

/** What each key does (a line, written once), then the prompt asked until the gate is decided (short: render/question-terminal.ts). */
const QUESTIONS: Record<string, { keys: string; prompt: string }> = {
  'traffic.gate': { keys: 'y = go on / a = abort and roll back / Enter = keep waiting', prompt: 'approve? [y/a/Enter] ' },
  'retire.gate': { keys: 'y = go on / a = refuse, change nothing / Enter = keep waiting', prompt: 'retire them? [y/a/Enter] ' },
};

interface GatePrompterOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** The live progress area: erased while the question is on screen. */
  area?: LiveArea;
  /** Ctrl-C at the question: interrupt the run (the runtime's SIGINT handling). */
  onInterrupt?: (signal: NodeJS.Signals) => void;
  /** Completes the command it suggests (core/next-command.ts). */
  next?: NextCommands;
}

export class GatePrompter implements EventSink {
  private deploymentId: string | undefined;
  private asking: { controller: AbortController; done: Promise<void> } | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly options: GatePrompterOptions = {},
  ) {}

  emit(event: EventInput): void {
    const id = event.data?.deploymentId;
    if (typeof id === 'string') this.deploymentId = id;
    if (this.asking && DECIDED.has(event.code)) {
      this.withdraw();
      return;
    }
    if (!GATE_EVENTS.has(event.code) || this.asking || !this.deploymentId) return;
    const controller = new AbortController();
    const gated = this.deploymentId;
    const done = this.ask(gated, event.code, controller.signal)
      // The gate still waits for `shift resume|abort` from anywhere: say why this terminal cannot answer.
      .catch((error: unknown) => {
        const text = `could not send the answer: ${error instanceof Error ? error.message : String(error)}; use \`ws-deployment shift resume|abort ${gated}\``;
        (this.options.output ?? process.stderr).write(`${(this.options.next ?? bareCommands).text(text)}\n`);
      })
      .finally(() => {
        if (this.asking?.controller === controller) this.asking = undefined;
      });
    this.asking = { controller, done };
  }

  /** Withdraws an open question (the run is over); resolves once the terminal is given back. */
  async close(): Promise<void> {
    const open = this.asking;
    this.withdraw();
    await open?.done;
  }

  private withdraw(): void {
    this.asking?.controller.abort();
  }

  private async ask(id: string, gate: string, signal: AbortSignal): Promise<void> {
    const output = this.options.output ?? process.stderr;
    this.options.area?.suspend();
    const input = this.options.input ?? process.stdin;
    // A key pressed while no question was on screen approves nothing.
    discardTypeAhead(input);
    const rl: Interface = createInterface({ input, output, terminal: true });
    keepAnswerable(rl, input);
    // Ctrl-C, and Ctrl-D (end of input: readline closes itself), are a clear no: the run stops, nothing is approved.
    // Without the close case Ctrl-D left the gate waiting under a vanished question, the live area drawn over its line.
    let leaving = false;
    const refuse = (key: string, signal: NodeJS.Signals = 'SIGINT'): void => {
      if (leaving) return;
      leaving = true;
      output.write(`${key}\ninterrupted at the manual gate: nothing was approved or changed\n`);
      this.options.onInterrupt?.(signal);
    };
    rl.on('SIGINT', () => refuse('^C'));
    rl.on('SIGQUIT', () => refuse('^\\', 'SIGQUIT'));
    rl.on('close', () => refuse('^D'));
    try {
      const question = QUESTIONS[gate] ?? QUESTIONS['traffic.gate'];
      output.write(`${question?.keys ?? ''}\n`);
      // Enter keeps waiting (anything else too, and is told so): ask again until the gate is decided, here or elsewhere.
      while (!signal.aborted) {
        const answer = (await rl.question(question?.prompt ?? '', { signal })).trim().toLowerCase();
        if (answer === 'y' || answer === 'yes') {
          await this.store.sendControl(id, 'resume', operatorName('answered at the prompt'));
          return;
        }
        if (answer === 'a' || answer === 'abort') {
          await this.store.sendControl(id, 'abort', operatorName('answered at the prompt'));
          return;
        }
        // `n`, `no`, a typo: said, not silently asked again (an operator who typed `no` took the gate as refused).
        if (answer !== '') output.write(`${JSON.stringify(answer.length > 20 ? `${answer.slice(0, 20)}…` : answer)} is not an answer, the gate still waits: ${question?.keys ?? ''}\n`);
      }
    } catch (error) {
      if (!signal.aborted) throw error;
      // Decided elsewhere: end the question's line; the event that decided it scrolls next (a refusal ended it already).
      if (!leaving) output.write('\n');
    } finally {
      leaving = true; // our own close below is not the operator's Ctrl-D
      rl.close();
      this.options.area?.resume();
    }
  }
}
