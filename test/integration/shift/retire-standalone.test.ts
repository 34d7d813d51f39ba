/**
 * `ws-deployment retire --cluster NAME`: the same retirement outside a
 * deployment — asks for --yes, holds the environment lock, never forces, and a
 * second run after a completed one changes nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Redactor } from '../../../src/core/redact.js';
import { retireStandalone } from '../../../src/steps/retire/retire-standalone.js';
import { progressFile } from '../../../src/steps/retire/retire-files.js';
import { createHarness, METAS, SIM_ANALYSIS, type Harness } from './harness.js';

const SHIFT = `  steps: [100]
  retire: { drainTimeout: 60s, destroy: true }
${SIM_ANALYSIS}`;

describe('retire command', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('needs --yes, then cordons, deregisters everywhere and says how to destroy a cluster it did not create', async () => {
    h = await createHarness(SHIFT);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: false, preferability: 'Prefer' });
    const base = { config: h.loaded.config, store: h.store, name: 'eu1', sink: h.sink, redactor: new Redactor(), signal: new AbortController().signal, pollMs: 100 };

    await expect(retireStandalone({ ...base, yes: false })).rejects.toThrow(/pass --yes to confirm/);
    for (const meta of METAS) expect((await h.list(meta)).map((c) => c.name)).toContain('eu1');

    const result = await retireStandalone({ ...base, yes: true });
    expect(result).toMatchObject({ name: 'eu1', done: true, deregistered: [...METAS] });
    expect(result.manual?.slice(0, 4)).toEqual(['gcloud', 'container', 'clusters', 'delete']);
    for (const meta of METAS) expect((await h.list(meta)).map((c) => c.name)).toEqual(['eu2']);
    expect(existsSync(progressFile(h.store.root, 'eu1'))).toBe(true);
    // Its output is labelled as the retire command's, not as a deployment step's.
    const retireEvents = h.sink.events.filter((e) => e.code.startsWith('retire.'));
    expect(retireEvents.length).toBeGreaterThan(0);
    expect(new Set(retireEvents.map((e) => e.step))).toEqual(new Set(['retire']));

    // Idempotent: a second run finds the journaled progress and is done.
    expect(await retireStandalone({ ...base, yes: true })).toMatchObject({ done: true });
  });

  it('retires anew a cluster registered again under the name of one it retired before (a reused id)', async () => {
    h = await createHarness(SHIFT);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: false, preferability: 'Prefer' });
    const base = { config: h.loaded.config, store: h.store, name: 'eu1', sink: h.sink, redactor: new Redactor(), signal: new AbortController().signal, pollMs: 100, yes: true };
    expect(await retireStandalone(base)).toMatchObject({ done: true });
    // A later generation takes id 1 again (the range wrapped, or --cluster-id 1).
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    expect(await retireStandalone(base)).toMatchObject({ done: true, deregistered: [...METAS] });
    for (const meta of METAS) expect((await h.list(meta)).map((c) => c.name)).toEqual(['eu2']);
  });

  it('retires anew a cluster whose saved progress, not finished, says it left a meta cluster that lists it now (an earlier eu1, or a file copied in)', async () => {
    h = await createHarness(SHIFT);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: false, preferability: 'Prefer' });
    // An earlier eu1's retirement, interrupted after its destroy (before `done` was saved).
    mkdirSync(dirname(progressFile(h.store.root, 'eu1')), { recursive: true });
    writeFileSync(progressFile(h.store.root, 'eu1'), JSON.stringify({ cordoned: [...METAS], deregistered: [...METAS], destroyed: true }));
    const base = { config: h.loaded.config, store: h.store, name: 'eu1', sink: h.sink, redactor: new Redactor(), signal: new AbortController().signal, pollMs: 100, yes: true };
    // Before: "cordoned, drained, deregistered; destroyed" and done, while eu1 stayed registered and AVAILABLE everywhere.
    expect(await retireStandalone(base)).toMatchObject({ done: true, deregistered: [...METAS] });
    for (const meta of METAS) expect((await h.list(meta)).map((c) => c.name)).toEqual(['eu2']);
    const said = h.sink.events.filter((e) => e.code === 'retire.stale-progress').map((e) => e.message);
    expect(said).toEqual([expect.stringMatching(new RegExp(`eu1\\.json says eu1 was deregistered from ${METAS.join(', ')}, which lists it now: it is not the progress of this eu1, so its retirement starts anew`))]);
  });

  it('refuses a damaged progress file with the fix', async () => {
    h = await createHarness(SHIFT);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: false, preferability: 'Prefer' });
    mkdirSync(dirname(progressFile(h.store.root, 'eu1')), { recursive: true });
    writeFileSync(progressFile(h.store.root, 'eu1'), 'garbage');
    const base = { config: h.loaded.config, store: h.store, name: 'eu1', sink: h.sink, redactor: new Redactor(), signal: new AbortController().signal, pollMs: 100, yes: true };
    await expect(retireStandalone(base)).rejects.toMatchObject({ code: 'StateCorrupt', message: expect.stringMatching(/retirement progress of eu1 in .* is damaged; delete that file and run again/) });
  });

  it('checks the cluster exists before asking for --yes, and warns when it is the only cluster of its region', async () => {
    h = await createHarness(SHIFT);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('us1', { cordoned: false, preferability: 'Prefer' });
    const base = { config: h.loaded.config, store: h.store, sink: h.sink, redactor: new Redactor(), signal: new AbortController().signal, pollMs: 100 };
    await expect(retireStandalone({ ...base, name: 'nope', yes: false })).rejects.toThrow(/cluster nope is registered with no meta cluster/);

    await expect(retireStandalone({ ...base, name: 'eu1', yes: false })).rejects.toThrow(/pass --yes to confirm/);
    const warned = h.sink.events.filter((e) => e.code === 'retire.last-of-region');
    expect(warned.map((e) => e.message)).toEqual(['eu1 is the only registered cluster of prefix eu: after it is retired, new workspaces of that region start in other regions']);
    for (const meta of METAS) expect((await h.list(meta)).find((c) => c.name === 'eu1')?.state).toBe('AVAILABLE');

    // With a second cluster of the prefix, no warning.
    await h.register('eu2', { cordoned: false, preferability: 'Prefer' });
    await expect(retireStandalone({ ...base, name: 'eu1', yes: false })).rejects.toThrow(/pass --yes to confirm/);
    expect(h.sink.events.filter((e) => e.code === 'retire.last-of-region')).toHaveLength(1);
  });

  it('refuses to retire the last cluster that takes new starts', async () => {
    h = await createHarness(SHIFT);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    await expect(retireStandalone({ config: h.loaded.config, store: h.store, name: 'eu1', yes: true, sink: h.sink, redactor: new Redactor(), signal: new AbortController().signal })).rejects.toThrow(/no cluster that takes new starts/);
    for (const meta of METAS) expect((await h.list(meta)).find((c) => c.name === 'eu1')?.state).toBe('AVAILABLE');
  });
});
