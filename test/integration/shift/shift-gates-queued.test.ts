/**
 * The shift's manual gates answered ahead, for a `resume` where no one can answer (CI, no terminal): a
 * queued `shift resume` approves the gate the shift waits at and nothing more, so the run goes on to the
 * next manual gate and stops there, held, journaled and refused (exit 3) with the commands that answer
 * it, never waiting for nobody and never passing a gate unasked; a queued `shift promote` answers every
 * remaining gate (promotes fully, like Argo Rollouts' `promote --full`). `status` (the CLI, no stdin)
 * says where the shift holds and what each queued command answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sendShiftControl } from '../../../src/cli/commands/shift.js';
import { exitCodeOf } from '../../../src/cli/commands/shared.js';
import { renderSummary } from '../../../src/report/summary.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { runCli } from '../../helpers/cli.js';
import { createHarness, METAS, SIM_ANALYSIS, waitFor, wideStep, type Harness } from './harness.js';

const GATED = `  steps: [25, 50, 100]
  interval: 1s
  gates: { beforeIncrease: manual, beforePromotion: manual }
${SIM_ANALYSIS}`;

type Progress = { stepIndex?: number; paused?: boolean; gate?: string; phase?: string };

describe('queued answers to the shift gates in CI', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('a queued resume answers one gate, the next stops the run held; a queued promote answers them all', async () => {
    h = await createHarness(GATED);
    const harness = h;
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const progress = async (id: string) => wideStep((await harness.store.open(id, { readOnly: true })).snapshot(), 'traffic-shift')?.checkpoint?.progress as Progress | undefined;
    const eu2Scores = async () => Promise.all(METAS.map(async (meta) => (await harness.list(meta)).find((c) => c.name === 'eu2')?.score));

    // An attended run reaches the beforeIncrease gate and is interrupted there (the terminal closed).
    const stop = new AbortController();
    const run = h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } })], {}, stop.signal);
    let id = '';
    await waitFor('the deployment to start', async () => (id = (await harness.store.list())[0]?.id ?? '') !== '', 60_000);
    await waitFor('the beforeIncrease gate', async () => (await progress(id))?.gate === 'beforeIncrease', 120_000);
    stop.abort();
    expect((await run).state).toBe('interrupted');
    const ci = () => [createTrafficShiftStep({ pollMs: 100, nonInteractive: true, sandbox: { startsPerSecond: 60 } })];

    // Nothing queued: refused, naming the commands and their scopes; nothing moves.
    const refused = await h.resume(id, ci());
    expect(exitCodeOf(refused)).toBe(3);
    expect(wideStep(refused, 'traffic-shift')?.error?.message).toMatch(new RegExp(`the shift waits at the manual gate beforeIncrease: answer it ahead with \`ws-deployment shift resume ${id}\` \\(approves this gate only.*\`ws-deployment shift promote ${id}\` \\(promotes fully`));
    const at25 = await eu2Scores();
    expect(at25[0]).toBe(at25[1]);
    expect(at25[0]).toBeGreaterThan(0);

    // A queued resume: this gate only. The run passes beforeIncrease, measures step 2 and stops at beforePromotion.
    expect((await sendShiftControl(h.store, 'resume', id)).text).toMatch(/approves the manual gate beforeIncrease only.*next manual gate.*beforePromotion/);
    const cliStatus = await runCli(['status', id, '--state-dir', h.store.root]);
    expect(cliStatus.stdout).toMatch(/pending shift commands: resume \(sent [\d:]+\): approves the manual gate beforeIncrease only/);
    const held = await h.resume(id, ci());
    expect(held.state).toBe('failed');
    expect(exitCodeOf(held)).toBe(3);
    const message = wideStep(held, 'traffic-shift')?.error?.message ?? '';
    expect(message).toMatch(new RegExp(`^the shift holds at step 2/3 \\(50 %\\), waiting at the manual gate beforePromotion: no one can approve it here .*\`ws-deployment shift resume ${id}\`.*\`ws-deployment shift promote ${id}\`.*then \`ws-deployment resume ${id}\``));
    expect(await progress(id)).toMatchObject({ phase: 'steps', stepIndex: 1, paused: true, gate: 'beforePromotion' });
    expect(await h.store.pendingControl(id)).toEqual([]);
    // Every meta cluster agrees: step 2's scores, not promoted, not rolled back.
    const at50 = await eu2Scores();
    expect(at50[0]).toBe(at50[1]);
    expect(at50[0]).toBeGreaterThan(at25[0] ?? 0);
    expect(h.sink.events.some((e) => e.code === 'traffic.gate-unanswered')).toBe(true);
    // status (CLI, no stdin) says where it holds and what answers it.
    const after = await runCli(['status', id, '--state-dir', h.store.root]);
    expect(after.stdout).toMatch(new RegExp(`held at the manual gate beforePromotion \\(step 2/3, 50 %\\) and no process runs it: \`ws-deployment shift resume ${id}[^\`]*\` approves it, \`ws-deployment shift promote ${id}[^\`]*\` promotes fully, \`ws-deployment shift abort ${id}[^\`]*\` rolls back; then \`ws-deployment resume ${id}[^\`]*\``));
    expect(renderSummary(held)).toMatch(/waiting at the manual gate beforePromotion/);
    const json = JSON.parse((await runCli(['status', id, '--state-dir', h.store.root, '--output', 'json'])).stdout) as { held?: { gate: string; position: string; message: string } };
    expect(json.held).toMatchObject({ gate: 'beforePromotion', position: 'step 2/3, 50 %' });
    expect(json.held?.message).toContain(`shift promote ${id}`);

    // A queued promote: every remaining gate. The run promotes fully.
    expect((await sendShiftControl(h.store, 'promote', id)).text).toMatch(/queued/);
    const done = await h.resume(id, ci());
    expect(done.state, renderSummary(done)).toBe('succeeded');
    for (const meta of METAS) expect((await h.list(meta)).find((c) => c.name === 'eu1')).toMatchObject({ state: 'CORDONED' });
  }, 300_000);
});
