/**
 * The whole deployment around a shift whose meta cluster goes down mid-shift and
 * stays down (its sandbox registry stopped): the shift rolls back where it can, the
 * step's own retries try the rest, and the deployment fails saying which meta
 * cluster is not rolled back, its last known scores and the exact command; `status`
 * says so too. With the registry back, that command finishes the rollback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/cli/commands/shared.js';
import { renderSummary, statusDocument } from '../../../src/report/summary.js';
import { sandboxRegistry, stopSandboxRegistries } from '../../../src/sandbox/sandbox-registry.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { createHarness, METAS, SIM_ANALYSIS, scoresOf, wideStep, type Harness } from './harness.js';
import { journalEvents } from './journal.js';

const SHIFT = `  steps: [20, 50, 100]
  interval: 1s
${SIM_ANALYSIS}`;

describe('a meta cluster that goes down mid-shift and stays down', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('fails naming it, its last known scores and the command; resume finishes the rollback once it is back', async () => {
    h = await createHarness(SHIFT);
    const harness = h;
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const before = scoresOf(await h.lists(), ['eu1', 'eu2']);
    // Step 1 set everywhere: meta-us's registry goes away (stopped; its state file is kept, as a bridge keeps its database).
    const emit = h.sink.emit.bind(h.sink);
    h.sink.emit = (e) => {
      emit(e);
      if (e.code === 'traffic.step' && e.data?.percent === 20) void sandboxRegistry(harness.store.root, METAS[1]).then((sim) => sim.stop());
    };
    const step = () => createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } });
    const snap = await h.deploy([step()]);

    expect(snap.state).toBe('failed');
    const error = wideStep(snap, 'traffic-shift')?.error;
    expect(error?.code).toBe('RegistryError');
    expect(error?.message).toMatch(
      new RegExp(
        `^traffic shift rollback incomplete on ${METAS[1]} \\(.*; last known scores there: eu[12] \\d+, eu[12] \\d+\\)\\. Rolled back on ${METAS[0]}\\. ` +
          `Why it rolled back: meta cluster ${METAS[1]} failed: .*\\. Once the bridge answers, resume finishes the rollback there \\(it does not retry the step\\): \`ws-deployment resume ${snap.id}\`$`,
      ),
    );
    expect(scoresOf({ [METAS[0]]: await h.list(METAS[0]) }, ['eu1', 'eu2'])[METAS[0]]).toEqual({ ...before[METAS[0]], eu2: { ...before[METAS[0]]?.eu2, score: 0 } });
    expect(renderSummary(snap)).toMatch(new RegExp(`traffic shift: at step 1; rolling back, not finished \\(incomplete on ${METAS[1]}: .*; last known scores there: eu[12] \\d+, eu[12] \\d+\\): \`resume\` finishes the rollback`));

    expect(statusDocument(snap).shift?.rollbackIncomplete).toEqual([{ meta: METAS[1], error: expect.any(String), scores: expect.objectContaining({ eu1: expect.any(Number), eu2: expect.any(Number) }) }]);
    expect(journalEvents(h.store.root, snap.id, 'traffic.rollback.incomplete').length).toBeGreaterThan(0);

    // Back (a new registry on the same state), and the command the error named.
    h.sink.emit = emit;
    await stopSandboxRegistries();
    const resumed = await h.resume(snap.id, [step()]);
    expect(resumed.state).toBe('failed');
    expect(wideStep(resumed, 'traffic-shift')?.checkpoint?.progress).toMatchObject({ phase: 'rolled-back', reason: expect.stringMatching(new RegExp(`^meta cluster ${METAS[1]} failed: `)) });
    expect(wideStep(resumed, 'traffic-shift')?.error?.message).toMatch(new RegExp(`^traffic shift rolled back at step 1/3 \\(20 %\\): meta cluster ${METAS[1]} failed: `));
    const restored = scoresOf(await h.lists(), ['eu1', 'eu2']);
    for (const meta of METAS) expect(restored[meta]).toEqual({ ...before[meta], eu2: { ...before[meta]?.eu2, score: 0 } });
  });

  it('a rollback decided at the first change is finished by a resume where no one can answer the manual gates (CI)', async () => {
    h = await createHarness(`  steps: [20, 100]
  interval: 1s
  gates: { beforeStart: manual }
${SIM_ANALYSIS}`);
    const harness = h;
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const before = scoresOf(await h.lists(), ['eu1', 'eu2']);
    // An attended run: the beforeStart gate is answered, and meta-us's registry goes away before the first change.
    const emit = h.sink.emit.bind(h.sink);
    h.sink.emit = (e) => {
      emit(e);
      // Queued straight into the store: the event comes before the gate's hold is journaled, when `shift resume`'s own
      // check would still see a shift that has not started. The gate takes it from the queue either way.
      if (e.code === 'traffic.gate') void harness.store.list().then(([d]) => harness.store.sendControl(d?.id ?? '', 'resume', 'test'));
      if (e.code === 'traffic.resumed') void sandboxRegistry(harness.store.root, METAS[1]).then((sim) => sim.stop());
    };
    const snap = await h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } })]);
    expect(snap.state).toBe('failed');
    expect(wideStep(snap, 'traffic-shift')?.checkpoint?.progress).toMatchObject({ phase: 'start', rollingBack: { cause: 'error' } });

    // CI: no terminal, nothing queued. The gate was passed; the resume only finishes the rollback, it is not refused.
    h.sink.emit = emit;
    await stopSandboxRegistries();
    const resumed = await h.resume(snap.id, [createTrafficShiftStep({ pollMs: 100, nonInteractive: true, sandbox: { startsPerSecond: 60 } })]);
    expect(exitCodeOf(resumed), wideStep(resumed, 'traffic-shift')?.error?.message).toBe(1);
    expect(wideStep(resumed, 'traffic-shift')?.checkpoint?.progress).toMatchObject({ phase: 'rolled-back' });
    const restored = scoresOf(await h.lists(), ['eu1', 'eu2']);
    for (const meta of METAS) expect(restored[meta]).toEqual({ ...before[meta], eu2: { ...before[meta]?.eu2, score: 0 } });
  }, 240_000);
});
