/**
 * `resume ID --retry-shift` read a `retire/NAME.json` of one of its new clusters as "retired by `retire --cluster`"
 * whatever it said: a stale one (the name reused since, or a file copied in) refused the retry of a deployment whose
 * clusters every meta cluster lists (reproduced with the CLI on a sandbox state dir: exit 3, "new cluster eu102 was
 * retired"). Now it applies the rule `retire --cluster` applies: progress the meta clusters' Lists contradict is
 * warned about (the file and why) and not obeyed; progress they agree with still refuses. Real traffic-shift step,
 * real registry client, sandbox registries over gRPC.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { progressFile } from '../../../src/steps/retire/retire-files.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { createHarness, METAS, SIM_ANALYSIS, wideStep, type Harness } from './harness.js';

const SHIFT = `  steps: [20, 50, 100]
  interval: 1s
${SIM_ANALYSIS}`;

describe('resume --retry-shift beside a retire/NAME.json of a new cluster', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('refuses where the meta clusters agree with it, retries with a warning where they contradict it', async () => {
    h = await createHarness(SHIFT);
    const harness = h;
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    // Rolled back by an operator's abort, sent when step 1 is set everywhere (the shift's own event, not a delay).
    const emit = h.sink.emit.bind(h.sink);
    h.sink.emit = (e) => {
      emit(e);
      if (e.code === 'traffic.step' && e.data?.percent === 20) void harness.store.list().then(([d]) => harness.store.sendControl(d?.id ?? '', 'abort', 'test'));
    };
    const step = () => createTrafficShiftStep({ pollMs: 100, nonInteractive: true, sandbox: { startsPerSecond: 60 } });
    const snap = await h.deploy([step()]);
    h.sink.emit = emit;
    expect(wideStep(snap, 'traffic-shift')?.checkpoint?.progress).toMatchObject({ phase: 'rolled-back' });
    const file = progressFile(h.store.root, 'eu2');
    mkdirSync(dirname(file), { recursive: true });
    const journal = join(h.store.root, snap.id, 'journal.ndjson');
    const before = readFileSync(journal, 'utf8');

    // A retirement under way, as the Lists show it (cordoned, still registered): refused, nothing journaled.
    writeFileSync(file, JSON.stringify({ cordoned: [...METAS], deregistered: [] }));
    await expect(h.resume(snap.id, [step()], { retryShift: true })).rejects.toMatchObject({ code: 'ResumeRefused', message: expect.stringMatching(/new cluster eu2 was retired \(`ws-deployment retire --cluster`\): a retry has nothing to shift to; deploy a new generation\. Nothing was changed$/) });
    expect(readFileSync(journal, 'utf8')).toBe(before);
    expect(h.sink.events.filter((e) => e.code === 'retire.stale-progress')).toEqual([]);

    // An earlier eu2's retirement (deregistered, destroyed), while every meta cluster lists this eu2: not obeyed.
    writeFileSync(file, JSON.stringify({ cordoned: [...METAS], deregistered: [...METAS], destroyed: true }));
    const retried = await h.resume(snap.id, [step()], { retryShift: true });
    expect(retried.state, wideStep(retried, 'traffic-shift')?.error?.message).toBe('succeeded');
    const warned = h.sink.events.filter((e) => e.code === 'retire.stale-progress');
    expect(warned.map((e) => e.message)).toEqual([`${file} says eu2 was deregistered from ${METAS.join(', ')}, which lists it now: it is not the progress of this eu2's retirement, so it is not taken as one (delete the file to be rid of this warning)`]);
    expect(warned[0]).toMatchObject({ level: 'warn', cluster: 'eu2' });
    for (const meta of METAS) expect((await h.list(meta)).find((c) => c.name === 'eu2'), meta).toMatchObject({ state: 'AVAILABLE', score: 100 });
  }, 120_000);
});
