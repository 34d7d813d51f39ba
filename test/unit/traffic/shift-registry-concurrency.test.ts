/**
 * How the shift's registry changes are issued: every meta at once, up to
 * CLUSTER_CONCURRENCY clusters in flight per meta (so a slow link's round trip
 * is paid once per chain, not once per few clusters), and one cluster's
 * changes strictly one after another, in order. Driven by a registry whose
 * calls complete only when the test lets them, so no timing is involved.
 */
import { describe, expect, it } from 'vitest';
import { nullSink } from '../../../src/core/events.js';
import { CLUSTER_CONCURRENCY, rollbackChanges, ShiftRegistry } from '../../../src/traffic/shift-registry.js';
import type { RegistryChange, RegistryCluster, RegistryPort } from '../../../src/traffic/shift-ports.js';

/** Holds every update until `releaseAll`; records what was in flight. */
class GatedRegistry implements RegistryPort {
  readonly inFlight = new Map<string, number>();
  readonly peak = new Map<string, number>();
  readonly perCluster = new Map<string, number>();
  readonly order = new Map<string, string[]>();
  overlapOnOneCluster = false;
  private waiting: Array<() => void> = [];

  async list(): Promise<RegistryCluster[]> {
    return [];
  }

  async update(meta: string, name: string, change: RegistryChange): Promise<void> {
    const key = `${meta}/${name}`;
    if ((this.perCluster.get(key) ?? 0) > 0) this.overlapOnOneCluster = true;
    this.perCluster.set(key, 1);
    this.inFlight.set(meta, (this.inFlight.get(meta) ?? 0) + 1);
    this.peak.set(meta, Math.max(this.peak.get(meta) ?? 0, this.inFlight.get(meta) ?? 0));
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.order.set(key, [...(this.order.get(key) ?? []), JSON.stringify(change)]);
    this.inFlight.set(meta, (this.inFlight.get(meta) ?? 0) - 1);
    this.perCluster.set(key, 0);
  }

  /** Lets every waiting call complete; resolves once the callers had a chance to issue their next ones. */
  async releaseAll(): Promise<number> {
    const now = this.waiting;
    this.waiting = [];
    for (const resolve of now) resolve();
    await new Promise((r) => setImmediate(r));
    return now.length;
  }
}

const clock = { now: () => 0, sleep: async () => undefined };
const METAS = ['m1', 'm2', 'm3'];
const cluster = (name: string) => ({ name, cluster: `gp-${name}`, region: 'europe-west1' });

describe('ShiftRegistry.apply concurrency', () => {
  it('keeps up to CLUSTER_CONCURRENCY clusters in flight on every meta at once, one cluster’s changes in order', async () => {
    const news = Array.from({ length: 50 }, (_, i) => cluster(`nw${i}`));
    const olds = Array.from({ length: 50 }, (_, i) => cluster(`od${i}`));
    const staff = 'has-permission=new-workspace-cluster';
    const original = Object.fromEntries([
      ...news.map((c) => [c.name, { name: c.name, state: 'CORDONED' as const, score: 50, maxScore: 100, static: false, admissionConstraints: [staff] }]),
      ...olds.map((c) => [c.name, { name: c.name, state: 'AVAILABLE' as const, score: 100, maxScore: 100, static: false, admissionConstraints: [] }]),
    ]);
    const registry = new GatedRegistry();
    const done = new ShiftRegistry(registry, METAS, clock, nullSink, 'd1').apply(() => rollbackChanges(original, news, olds, staff));
    let rounds = 0;
    let finished = false;
    void done.then(() => (finished = true));
    await new Promise((r) => setImmediate(r));
    while (!finished) {
      if ((await registry.releaseAll()) === 0) await new Promise((r) => setImmediate(r));
      rounds++;
      expect(rounds).toBeLessThan(100);
    }
    await done;
    for (const meta of METAS) expect(registry.peak.get(meta)).toBe(Math.min(CLUSTER_CONCURRENCY, news.length + olds.length));
    expect(CLUSTER_CONCURRENCY).toBeGreaterThanOrEqual(32);
    expect(registry.overlapOnOneCluster).toBe(false);
    // Each cluster's changes arrive in the order rollbackChanges lists them.
    expect(registry.order.get('m2/nw7')).toEqual(['{"score":0}', '{"cordoned":true}', `{"admissionConstraint":{"add":false,"constraint":"${staff}"}}`, `{"admissionConstraint":{"add":true,"constraint":"${staff}"}}`]);
    expect(registry.order.get('m3/od9')).toEqual(['{"score":100}', '{"cordoned":false}']);
    // A round is one round trip on a real link: 4 changes of a new cluster, then the old ones that waited for a slot.
    expect(rounds).toBeLessThanOrEqual(6);
  });
});
