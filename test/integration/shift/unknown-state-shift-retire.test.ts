/**
 * A cluster in a ClusterState this tool's proto has no name for (state 7 from a newer bridge) against the reference
 * bridge, through the real registry client and the real shift and retire code: it is never a cluster to shift traffic
 * onto or from (the shift would overwrite the state with a cordon flag it cannot set back), never cordoned by a
 * retirement, never counted as the capacity that lets the old generation go; each refusal says UNKNOWN(7) and what
 * to do, and nothing is changed on the bridge.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isWsdError } from '../../../src/core/errors.js';
import { MemorySink, type EventInput } from '../../../src/core/events.js';
import { registerEu16To18 } from './harness.js';
import { assertOthersTakeTraffic } from '../../../src/steps/retire/retire-guards.js';
import { retireCluster } from '../../../src/steps/retire/retire-cluster.js';
import { realClock } from '../../../src/traffic/clock.js';
import { trafficShiftSchema, type TrafficShiftInput } from '../../../src/traffic/config.js';
import { connectRegistry, type ConnectedRegistry } from '../../../src/traffic/registry-adapter.js';
import { runShift, type ShiftResult } from '../../../src/traffic/shift-controller.js';
import { ReferenceBridge } from '../../helpers/reference-bridge/reference-bridge.js';
import { FakeMetricProvider } from '../../unit/traffic/fake-metric-provider.js';
import { MemoryJournal, QueueControl } from '../../unit/traffic/fake-shift-ports.js';

const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const OLDS = [
  { name: 'eu16', cluster: 'gp-prod-ws-eu16-eu-west1', region: 'europe-west1' },
  { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' },
];
const INPUT = {
  steps: [100],
  interval: '1s',
  analysis: { provider: { type: 'simulator' }, metrics: [{ name: 'start-failure-rate', query: 'fail_rate{c="{{shortName}}"}', threshold: { max: 0.05 } }] },
} as TrafficShiftInput;
const CONFIG = trafficShiftSchema.parse(INPUT);
/** A sink that lets a test act on the shift's own events (a change set off at a step, not after a delay). */
class HookSink extends MemorySink {
  hook: (e: EventInput) => void = () => {};
  override emit(event: EventInput): void {
    super.emit(event);
    this.hook(event);
  }
}
const REMEDY = (name: string) => `upgrade ws-deployment to one that knows this state, or set the state yourself with gpctl against meta-eu (\`gpctl clusters cordon --name ${name}\`, or \`uncordon\`) and re-run`;

describe('a cluster in state 7 (unknown to this tool) in a shift and a retirement (reference bridge)', () => {
  let bridge: ReferenceBridge | undefined;
  let registry: ConnectedRegistry | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await registry?.close();
    await bridge?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    registry = bridge = dir = undefined;
  });

  /** eu16 and eu17 take starts, eu18 (new) is cordoned; `unknown` (if any) is then put in state 7. */
  async function setup(unknown?: string, sink = new MemorySink()) {
    const b = new ReferenceBridge();
    bridge = b;
    await b.start();
    await registerEu16To18(b.address);
    if (unknown) b.setState(unknown, 7);
    registry = await connectRegistry([{ name: 'meta-eu', bridge: { address: b.address } }], { sink, deadlineMs: 2_000 });
    const before = b.rows().map((r) => ({ name: r.name, state: r.state, score: r.score }));
    return { b, registry, before };
  }

  function shift(r: ConnectedRegistry, sink = new MemorySink(), control = new QueueControl(), config = CONFIG) {
    const provider = new FakeMetricProvider().set('fail_rate{c="eu18"}', [0.01]).set('fail_rate{c="eu17"}', [0.01]).set('fail_rate{c="eu16"}', [0.01]);
    return runShift(
      { registry: r, metas: r.metas, provider, clock: realClock, journal: new MemoryJournal(), control, sink, pollMs: 50 },
      { deploymentId: 'd1', config, newClusters: [NEW], oldClusters: OLDS },
    ).catch((e: Error) => e);
  }

  it('a shift from an old cluster in state 7 is refused before any change (it would cordon it at the end)', async () => {
    const s = await setup('eu16');
    const result = await shift(s.registry);
    expect(isWsdError(result) && result.code).toBe('PreCheckRefused');
    expect((result as Error).message).toBe(
      'eu16 is in state UNKNOWN(7) on meta-eu, a state this ws-deployment does not know (a newer ws-manager-bridge?): the shift cannot tell whether it ' +
        'takes new starts (so not weigh its share) and would cordon it at the end, replacing that state; it refuses to shift from it (leave it out with ' +
        `trafficShift.oldClusters if it is not of this generation); ${REMEDY('eu16')}; nothing was changed`,
    );
    expect(s.b.calls.Update).toBe(0);
    expect(s.b.rows().map((r) => ({ name: r.name, state: r.state, score: r.score }))).toEqual(s.before);
  });

  it('a shift onto a new cluster in state 7 is refused before any change (it would uncordon it)', async () => {
    const s = await setup('eu18');
    const result = await shift(s.registry);
    expect(isWsdError(result) && result.code).toBe('PreCheckRefused');
    expect((result as Error).message).toBe(
      'eu18 is in state UNKNOWN(7) on meta-eu, a state this ws-deployment does not know (a newer ws-manager-bridge?): the shift would uncordon it, ' +
        `replacing that state, and send it new starts, so it refuses to shift onto it; ${REMEDY('eu18')}; nothing was changed`,
    );
    expect(s.b.calls.Update).toBe(0);
    expect(s.b.rows().find((r) => r.name === 'eu18')?.state).toBe(7);
  });

  it('a rollback does not uncordon an old cluster the bridge put in state 7 mid-shift, and cordons a new one in state 7 all the same, saying so', async () => {
    const sink = new HookSink();
    const s = await setup(undefined, sink);
    const control = new QueueControl();
    sink.hook = (e) => {
      // At step 1 (50 %) a newer bridge puts both in state 7, and an operator aborts: the rollback restores the rest.
      if (e.code !== 'traffic.step') return;
      s.b.setState('eu16', 7);
      s.b.setState('eu18', 7);
      control.push('abort', 'sre@host (test)');
    };
    const result = await shift(s.registry, sink, control, trafficShiftSchema.parse({ ...INPUT, steps: [50, 100] }));
    expect((result as ShiftResult).outcome).toBe('rolled-back');
    expect(s.b.rows().map((r) => ({ name: r.name, state: r.state, score: r.score }))).toEqual([
      { name: 'eu16', state: 7, score: 100 },
      { name: 'eu17', state: 'AVAILABLE', score: 100 },
      { name: 'eu18', state: 'CORDONED', score: 0 },
    ]);
    const seen = (name: string) => `${name} is in state UNKNOWN(7) on meta-eu, a state this ws-deployment does not know (a newer ws-manager-bridge?)`;
    expect(sink.events.filter((e) => e.code === 'traffic.unknown-state').map((e) => e.message)).toEqual([
      `${seen('eu18')}: cordoned all the same, replacing that state, so that it takes no new starts from the shift; ${REMEDY('eu18')} if it should take them`,
      `${seen('eu16')}: not uncordoned (that would replace the state with AVAILABLE and send it new starts), left as the bridge has it; ${REMEDY('eu16')}`,
    ]);
  });

  it('retiring a cluster in state 7 is refused before its cordon', async () => {
    const s = await setup('eu16');
    dir = await mkdtemp(join(tmpdir(), 'wsd-unknown-retire-'));
    const records: string[] = [];
    const result = await retireCluster({
      target: { name: 'eu16' },
      registry: s.registry,
      project: 'p',
      drainTimeoutMs: 2_000,
      pollMs: 50,
      destroy: false,
      workDir: join(dir, 'work'),
      stateDir: dir,
      save: async () => {},
      record: async (code) => void records.push(code),
      clock: realClock,
      sink: new MemorySink(),
    }).catch((e: Error) => e);
    expect(isWsdError(result) && result.code).toBe('PreCheckRefused');
    expect((result as Error).message).toBe(
      'eu16 is in state UNKNOWN(7) on meta-eu, a state this ws-deployment does not know (a newer ws-manager-bridge?): retiring it would cordon it, ' +
        `replacing that state, then deregister it; ${REMEDY('eu16')}; eu16 was not retired (nothing changed on it)`,
    );
    expect([s.b.calls.Update, s.b.calls.Deregister, records]).toEqual([0, 0, []]);
    expect(s.b.rows().find((r) => r.name === 'eu16')?.state).toBe(7);
  });

  it('a cluster in state 7 is not the capacity that lets the old one retire, and the refusal names it', async () => {
    const s = await setup('eu16');
    const error = await assertOthersTakeTraffic(s.registry, ['eu17']).catch((e: Error) => e);
    expect(isWsdError(error) && error.code).toBe('PreCheckRefused');
    expect((error as Error).message).toBe(
      'retiring eu17 would leave meta cluster meta-eu with no cluster that takes new starts (eu16 is in state UNKNOWN(7) on meta-eu, a state this ' +
        'ws-deployment does not know (a newer ws-manager-bridge?), not counted; the others are cordoned or at score 0); shift traffic to the new ' +
        `clusters first (the traffic-shift step), or for eu16: ${REMEDY('eu16')}`,
    );
  });
});
