/**
 * How a traffic shift stops short of its end (held for a human, a rollback some meta cluster did not take) and the
 * commands that answer a hold: what the step and the CLI need to know of the shift without loading its controller
 * (which `plan` and `validate` never run).
 */
import { WsdError } from '../core/errors.js';
import { scoresText, type ControlCommand, type IncompleteRollback } from './shift-ports.js';

export type GateName = 'beforeStart' | 'beforeIncrease' | 'beforePromotion';

/** What holds a shift for a human: a manual gate, the pause after inconclusive results, an operator's pause. */
export type HoldName = GateName | 'inconclusive' | 'pause';

export function holdWords(name: HoldName): string {
  if (name === 'inconclusive') return 'the pause on an inconclusive result';
  if (name === 'pause') return "an operator's pause";
  return `manual gate ${name}`;
}

/** Queued commands that answer a manual gate: resume approves this gate, promote every remaining one, abort rolls back. */
export const GATE_ANSWERS: readonly ControlCommand[] = ['resume', 'promote', 'abort'];

/**
 * A manual gate reached where no one can answer it and no answer is queued: the shift holds there (scores
 * unchanged, journaled as paused at the gate) and the run stops, to be answered with `shift` and resumed.
 */
export class GateUnanswered extends Error {
  constructor(
    /**
     * The manual gate; `inconclusive`: the pause for a human after inconclusive results (inconclusiveLimit);
     * `pause`: an operator's `shift pause`.
     */
    readonly gate: HoldName,
    readonly where: string,
    /** `pause`: who paused it (`user@host (how)`), when the sender said. */
    readonly by?: string,
    /** Held half-way through a gradual rollback: `resume` finishes it at once (no `shift` command changes that). */
    readonly rollingBack = false,
  ) {
    super(`${holdWords(gate)} at ${where}: no one can answer it here (no terminal, or CI) and no answer was queued`);
  }
}

/**
 * A rollback some meta clusters did not take (their bridge stayed down): rolled back everywhere else, journaled as
 * under way, and `resume` finishes it. Transient when every failure may pass, so the step's own retries try again.
 */
export class RollbackIncomplete extends WsdError {
  constructor(
    readonly reason: string,
    readonly incomplete: IncompleteRollback[],
    readonly rolledBack: string[],
    transient: boolean,
  ) {
    const where = incomplete.map((i) => `${i.meta} (${i.error}; last known scores there: ${scoresText(i.scores)})`).join('; ');
    super(
      'RegistryError',
      `traffic shift rollback incomplete on ${where}. ` +
        `${rolledBack.length > 0 ? `Rolled back on ${rolledBack.join(', ')}. ` : ''}Why it rolled back: ${reason}. ` +
        `Once the bridge answers, resume finishes the rollback there (it does not retry the step)`,
      { transient, details: { reason, incomplete, rolledBack } },
    );
  }
}
