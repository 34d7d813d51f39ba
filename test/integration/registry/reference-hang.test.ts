/**
 * A List the bridge takes and never answers (the reference bridge, hung): the
 * operator gets waiting lines (meta cluster, attempt k of n, how long), the wait
 * is bounded (two unanswered attempts, not five), and the error names the bridge
 * and the fix. Short configured deadlines: no long waits.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { swapClusters } from '../../../src/registry/swap.js';
import { clustersCli as cli, referenceFixture } from './support/reference.js';
import { registerInput, rejection, tempDir } from './support/sim.js';

const ref = referenceFixture();
const { bridge, client } = ref;
let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => void (tmp = await tempDir('wsd-rehang-')));
afterEach(() => ref.cleanup());
afterAll(() => tmp.cleanup());

describe('a List the bridge takes and never answers', () => {
  it('client: a waiting line per interval, attempt k of n; two unanswered attempts, then an error naming the bridge and the fix', async () => {
    const b = await bridge();
    b.hang('List');
    const sink = new MemorySink();
    const c = await client(b, sink, { deadlineMs: 400, progressMs: 150, retry: { attempts: 5, initialDelayMs: 5, maxDelayMs: 10 } });
    const error = await rejection(c.list());
    expect(error).toMatchObject({ code: 'RegistryUnavailable', transient: true });
    expect(error.message).toMatch(
      new RegExp(`^the cluster registry of meta-eu \\(ws-manager-bridge at ${b.address}\\) took list 2 times and never answered \\(0\\.4 s each, [0-9.]+ s in all\\): the bridge is hung or overloaded; check its pod in meta-eu \\(logs, restart it\\)$`),
    );
    // Bounded: a hung bridge gets two attempts, not five.
    expect(b.calls.List).toBe(2);
    const waiting = sink.events.filter((e) => e.code === 'registry.waiting').map((e) => e.message);
    expect(waiting.some((m) => /^still waiting for the cluster registry of meta-eu \(127\.0\.0\.1:\d+\) to answer list: [0-9.]+ s into attempt 1 of 5 \(gives up after 0\.4 s\), [0-9.]+ s in all$/.test(m))).toBe(true);
    expect(waiting.some((m) => m.includes('into attempt 2 of 5'))).toBe(true);
    expect(sink.events.filter((e) => e.code === 'registry.retry').map((e) => e.message)).toEqual([
      expect.stringMatching(/^list on meta-eu: no answer within 0\.4 s \(gives up after 2 unanswered\); attempt 2 of 5 in 5 ms, [0-9.]+ s so far$/),
    ]);
  });

  it('CLI: `clusters list` with metaClusters[].bridgeTimeout shows the waiting lines on stderr and fails naming the bridge', async () => {
    const b = await bridge();
    b.hang('List');
    const examples = join(import.meta.dirname, '..', '..', '..', 'examples');
    const config = readFileSync(join(examples, 'sandbox.yaml'), 'utf8')
      .replaceAll('./sandbox/', `${join(examples, 'sandbox')}/`)
      // The sandbox shift reads the sandbox registry's counters; this meta cluster is a real bridge.
      .replace(/\ntrafficShift:[^]*$/, '\n')
      .replace(/metaClusters:\n {2}- name: dev-meta-eu01\n {4}region: europe-west1\n {4}type: sandbox\n/, `metaClusters:\n  - name: dev-meta-eu01\n    region: europe-west1\n    bridge: { address: "${b.address}" }\n    bridgeTimeout: 1s\n`);
    expect(config).toContain('bridgeTimeout: 1s');
    const file = join(tmp.dir, 'hung.yaml');
    await writeFile(file, config);
    const run = await cli(['--config', file, 'clusters', 'list']);
    expect(run.error?.message).toMatch(/^the cluster registry of dev-meta-eu01 \(ws-manager-bridge at 127\.0\.0\.1:\d+\) took list 2 times and never answered \(1\.0 s each, .*check its pod in dev-meta-eu01 \(logs, restart it\), then run the command again$/);
    expect(run.warn).toMatch(/^list on dev-meta-eu01: no answer within 1\.0 s \(gives up after 2 unanswered\); attempt 2 of 5/m);
    expect(b.calls.List).toBe(2);
  });
});

describe('an Update the bridge takes, applies and answers too late', () => {
  it('is said to have possibly been applied, by the client and by a swap stopped at it (not "nothing was applied")', async () => {
    const b = await bridge();
    const c = await client(b, new MemorySink(), { deadlineMs: 1_000 });
    const governed = { hints: { preferability: 'None' as const, cordoned: false, govern: true } };
    await c.register(registerInput('eu1', governed));
    await c.register(registerInput('eu2', { ...governed, hints: { ...governed.hints, preferability: 'Prefer' } }));
    // Applied as it arrives, answered 8 s later: far past each 1 s deadline, however loaded the machine.
    b.slow('Update', 8_000);
    const error = await rejection(swapClusters(c, 'eu1', 'eu2'));
    expect(error.message).toMatch(
      /^swap of eu1 and eu2 stopped half-way \(it is not atomic\) at "eu1: score 100": the cluster registry of meta-eu \(ws-manager-bridge at [0-9.:]+\) took update of eu1 \(score 100\) 2 times and never answered \(1\.0 s each, [0-9.]+ s in all; it may have applied it all the same, as `clusters list` shows\): the bridge is hung or overloaded; check its pod in meta-eu \(logs, restart it\); nothing before it was applied, and "eu1: score 100" itself may have been \(its answer never came\)\. Check with `clusters list` and finish by hand$/,
    );
    // What happened: the bridge did apply it.
    expect(b.rows().find((r) => r.name === 'eu1')?.score).toBe(100);
  });
});
