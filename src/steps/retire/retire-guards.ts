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
import type { DeploymentStepContext } from '../step.js';

/** Waits for `resume`/`promote` (approve) or `abort` sent through the control channel. */
export async function waitForApproval(ctx: Pick<DeploymentStepContext, 'takeControl' | 'sink' | 'signal' | 'record'>, what: string, clock: Clock, pollMs = 1_000): Promise<void> {
  // Journaled (engine/journaled-events.ts), so `status --watch` in another terminal shows the gate waiting.
  ctx.sink.emit({ level: 'info', code: 'retire.gate', message: `manual gate beforeDestroy: about to ${what}; approve with \`ws-deployment shift resume\`, refuse with \`ws-deployment shift abort\` (or re-run with --yes)`, data: { gate: 'beforeDestroy', what } });
  while (true) {
    const command = await ctx.takeControl();
    if (command === 'resume' || command === 'promote') {
      // On the terminal too: a question still open there is withdrawn by it (gate-prompter.ts).
      ctx.sink.emit({ level: 'info', code: 'retire.approved', message: `manual gate beforeDestroy approved (${command}): retiring` });
      await ctx.record('retire.approved', `beforeDestroy approved (${command})`, { command });
      return;
    }
    if (command === 'abort') {
      throw new WsdError('GateFailed', `retirement refused by an operator at the beforeDestroy gate; nothing was changed — the old clusters still take the share the shift left them (none after a promotion: they are cordoned)`);
    }
    await clock.sleep(pollMs, ctx.signal);
  }
}

/** Refuses when no cluster besides `retiring` would take new starts on some meta cluster. */
export async function assertOthersTakeTraffic(registry: ConnectedRegistry, retiring: readonly string[], signal?: AbortSignal): Promise<void> {
  for (const meta of registry.metas) {
    const clusters = await registry.list(meta, signal);
    const present = clusters.filter((c) => retiring.includes(c.name));
    if (present.length === 0) continue;
    const others = clusters.filter((c) => !retiring.includes(c.name) && c.state === 'AVAILABLE' && Math.min(c.score, c.maxScore) > 0);
    if (others.length === 0) {
      throw new WsdError(
        'PreCheckRefused',
        `retiring ${present.map((c) => c.name).join(', ')} would leave meta cluster ${meta} with no cluster that takes new starts (the others are cordoned or at score 0); shift traffic to the new clusters first (the traffic-shift step)`,
      );
    }
  }
}
