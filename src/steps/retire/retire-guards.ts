/**
 * Safety checks of a retirement: a human approves destruction (the
 * `beforeDestroy` gate, answered from another terminal with
 * `ws-deployment shift resume|abort`), and cordoning the old clusters must not
 * leave any meta cluster without a cluster that takes new starts (e.g. when the
 * traffic shift was skipped and the new clusters are still cordoned).
 */
import { WsdError } from '../../core/errors.js';
import type { ConnectedRegistry } from '../../traffic/registry-adapter.js';
import type { Clock } from '../../traffic/shift-ports.js';
import { hasUnknownState, unknownStateRemedy, unknownStateSeen } from '../../traffic/unknown-state.js';
import type { DeploymentStepContext } from '../step.js';

/** The beforeDestroy gate's approval as journaled: the command, who sent it (`user@host (how)`) and when, when it was taken. */
interface DestroyApproval {
  command: 'resume' | 'promote';
  by?: string;
  sentAt?: string;
  at: string;
}

/**
 * Waits for `resume`/`promote` (approve) or `abort` sent through the control channel. The approval is
 * checkpointed (`approved`) before this returns, so a run stopped right after it (SIGKILL) retires on
 * resume instead of asking again; one taken but not journaled yet is asked for again.
 */
export async function waitForApproval(ctx: Pick<DeploymentStepContext, 'deploymentId' | 'takeControl' | 'sink' | 'signal' | 'record' | 'checkpoint'>, what: string, clock: Clock, pollMs = 1_000): Promise<void> {
  // Journaled (engine/journaled-events.ts), so `status --watch` in another terminal shows the gate waiting. The
  // commands name this deployment: without an id `shift` answers the newest unfinished one, maybe another's gate.
  const id = ctx.deploymentId;
  ctx.sink.emit({ level: 'info', code: 'retire.gate', message: `manual gate beforeDestroy: about to ${what}; approve with \`ws-deployment shift resume ${id}\`, refuse with \`ws-deployment shift abort ${id}\` (or re-run with --yes)`, data: { gate: 'beforeDestroy', what } });
  while (true) {
    const taken = await ctx.takeControl();
    const command = taken?.command;
    if (command === 'resume' || command === 'promote') {
      const approved: DestroyApproval = { command, ...(taken?.by ? { by: taken.by } : {}), ...(taken?.sentAt ? { sentAt: taken.sentAt } : {}), at: new Date(clock.now()).toISOString() };
      await ctx.checkpoint({ approved, awaiting: null });
      const by = taken?.by ? ` by ${taken.by}` : '';
      // On the terminal too: a question still open there is withdrawn by it (gate-prompter.ts).
      ctx.sink.emit({ level: 'info', code: 'retire.approved', message: `manual gate beforeDestroy approved (${command})${by}: retiring` });
      await ctx.record('retire.approved', `beforeDestroy approved (${command})${by}`, { ...approved });
      return;
    }
    if (command === 'abort') {
      throw new WsdError('GateFailed', `retirement refused by an operator at the beforeDestroy gate; nothing was changed — the old clusters still take the share the shift left them (none after a promotion: they are cordoned)`);
    }
    await clock.sleep(pollMs, ctx.signal);
  }
}

/**
 * Commands queued before the beforeDestroy gate was reached were sent to the traffic shift (their reply said
 * what they do there: `promote` "then retired behind the beforeDestroy gate"); one the shift did not take
 * (sent as it finished) must not answer the gate. Taken and journaled as not applied, so the gate asks.
 */
export async function dropShiftCommands(ctx: Pick<DeploymentStepContext, 'takeControl' | 'sink' | 'record'>): Promise<void> {
  for (let taken = await ctx.takeControl(); taken; taken = await ctx.takeControl()) {
    const message = `"${taken.command}" sent ${taken.sentAt}${taken.by ? ` by ${taken.by}` : ''} was for the traffic shift, which finished before taking it: not applied, and not an answer to the beforeDestroy gate`;
    ctx.sink.emit({ level: 'warn', code: 'retire.stale-command', message });
    await ctx.record('retire.stale-command', message, { ...taken });
  }
}

/** Refuses when no cluster besides `retiring` would take new starts on some meta cluster. */
export async function assertOthersTakeTraffic(registry: ConnectedRegistry, retiring: readonly string[], signal?: AbortSignal): Promise<void> {
  for (const meta of registry.metas) {
    const clusters = await registry.list(meta, signal);
    const present = clusters.filter((c) => retiring.includes(c.name));
    if (present.length === 0) continue;
    const rest = clusters.filter((c) => !retiring.includes(c.name));
    // A state this tool cannot read (a newer bridge's) is no capacity to count on, whatever its score.
    const others = rest.filter((c) => c.state === 'AVAILABLE' && Math.min(c.score, c.maxScore) > 0);
    if (others.length === 0) {
      const unknown = rest.filter(hasUnknownState);
      const seen = unknown.map((c) => `${unknownStateSeen(c, meta)}, not counted`).join('; ');
      const others = unknown.length === 0 ? 'the others are cordoned or at score 0' : `${seen}; the others are cordoned or at score 0`;
      const remedy = unknown.length === 0 ? '' : `, or for ${unknown.map((c) => c.name).join(', ')}: ${unknownStateRemedy(unknown[0]?.name ?? '', meta)}`;
      throw new WsdError(
        'PreCheckRefused',
        `retiring ${present.map((c) => c.name).join(', ')} would leave meta cluster ${meta} with no cluster that takes new starts (${others}); shift traffic to the new clusters first (the traffic-shift step)${remedy}`,
      );
    }
  }
}
