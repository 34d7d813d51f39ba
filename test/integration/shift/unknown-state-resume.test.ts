/**
 * A shift journal written by an older ws-deployment, resumed by this one. Before a7bc1c2 the saved original state of
 * a cluster in a ClusterState the proto has no name for was its bare number (`7`), and until 2a1b223 it was `UNKNOWN`
 * without the number (the registry port dropped it); neither version refused to shift from such a cluster. A resume
 * must treat either as this version treats `UNKNOWN(7)`. Through the real shift controller and registry client,
 * against the reference bridge (eu16 in state 7 on it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { registerEu16To18 } from './harness.js';
import { realClock } from '../../../src/traffic/clock.js';
import { trafficShiftSchema, type TrafficShiftInput } from '../../../src/traffic/config.js';
import { ZERO_COUNTERS } from '../../../src/traffic/judges/step-verdict.js';
import { connectRegistry, type ConnectedRegistry } from '../../../src/traffic/registry-adapter.js';
import { runShift } from '../../../src/traffic/shift-controller.js';
import type { OriginalSnapshot, RegistryCluster } from '../../../src/traffic/shift-ports.js';
import { ReferenceBridge } from '../../helpers/reference-bridge/reference-bridge.js';
import { FakeMetricProvider } from '../../unit/traffic/fake-metric-provider.js';
import { MemoryJournal, QueueControl } from '../../unit/traffic/fake-shift-ports.js';

const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const OLDS = [
  { name: 'eu16', cluster: 'gp-prod-ws-eu16-eu-west1', region: 'europe-west1' },
  { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' },
];
const CONFIG = trafficShiftSchema.parse({
  steps: [50, 100],
  interval: '1s',
  analysis: { provider: { type: 'simulator' }, metrics: [{ name: 'start-failure-rate', query: 'fail_rate{c="{{shortName}}"}', threshold: { max: 0.05 } }] },
} as TrafficShiftInput);

describe('resuming a shift whose journal an older version wrote with a cluster in a state this tool does not know', () => {
  let bridge: ReferenceBridge | undefined;
  let registry: ConnectedRegistry | undefined;
  afterEach(async () => {
    await registry?.close();
    await bridge?.stop();
    registry = bridge = undefined;
  });

  async function resumeWith(eu16Saved: Partial<RegistryCluster> | { state: number }) {
    const b = new ReferenceBridge();
    bridge = b;
    await b.start();
    await registerEu16To18(b.address);
    b.setState('eu16', 7);
    const saved = (name: string, over: object): RegistryCluster => ({ name, state: 'AVAILABLE', score: 100, maxScore: 100, static: false, admissionConstraints: [], ...over }) as RegistryCluster;
    const journal = new MemoryJournal();
    // As the older version left it: the original saved, a crash at step 1 (50 %).
    journal.original = { 'meta-eu': { eu16: saved('eu16', { state: 'UNKNOWN', ...eu16Saved }), eu17: saved('eu17', {}), eu18: saved('eu18', { state: 'CORDONED', score: 50 }) } } as OriginalSnapshot;
    journal.progress = { phase: 'steps', stepIndex: 0, phaseStartedAtMs: Date.now(), measurementsInStep: 0, counters: ZERO_COUNTERS, paused: false };
    const sink = new MemorySink();
    registry = await connectRegistry([{ name: 'meta-eu', bridge: { address: b.address } }], { sink, deadlineMs: 2_000 });
    const provider = new FakeMetricProvider().set('fail_rate{c="eu18"}', [0.01]).set('fail_rate{c="eu17"}', [0.01]).set('fail_rate{c="eu16"}', [0.01]);
    const result = await runShift(
      { registry, metas: registry.metas, provider, clock: realClock, journal, control: new QueueControl(), sink, pollMs: 50 },
      { deploymentId: 'd1', config: CONFIG, newClusters: [NEW], oldClusters: OLDS },
    ).catch((e: Error) => e);
    return { result, sink, rows: b.rows().map((r) => ({ name: r.name, state: r.state, score: r.score })), updates: b.calls.Update };
  }

  const UNKNOWN_7 = 'eu16 was in state UNKNOWN(7) on meta-eu when the shift began, a state this ws-deployment does not know';
  for (const [form, saved, words] of [
    ['UNKNOWN(7) (this version)', { unknownState: 7 }, UNKNOWN_7],
    ['UNKNOWN without its number (a7bc1c2 to 2a1b223)', {}, 'eu16 was in state UNKNOWN on meta-eu when the shift began, a state this ws-deployment does not know'],
    ['the bare number 7 (before a7bc1c2)', { state: 7 }, UNKNOWN_7],
  ] as const) {
    it(`saved as ${form}: left out of the weights and the baseline (its score untouched), said so, and cordoned at the end with a warning`, async () => {
      const r = await resumeWith(saved);
      expect(r.result).toMatchObject({ outcome: 'promoted' });
      // eu16 keeps its score (the weights left it out); the end of the shift cordons it all the same, as for UNKNOWN(7).
      expect(r.rows).toEqual([
        { name: 'eu16', state: 'CORDONED', score: 100 },
        { name: 'eu17', state: 'CORDONED', score: 0 },
        { name: 'eu18', state: 'AVAILABLE', score: 100 },
      ]);
      const warnings = r.sink.events.filter((e) => e.level === 'warn').map((e) => [e.code, e.message]);
      expect(warnings).toEqual([
        ['traffic.baseline', `${words}: not part of the comparison baseline; the baseline is eu17`],
        [
          'traffic.unknown-state',
          'eu16 is in state UNKNOWN(7) on meta-eu, a state this ws-deployment does not know (a newer ws-manager-bridge?): cordoned all the same, replacing ' +
            'that state, so that it takes no new starts from the shift; upgrade ws-deployment to one that knows this state, or set the state yourself with ' +
            'gpctl against meta-eu (`gpctl clusters cordon --name eu16`, or `uncordon`) and re-run if it should take them',
        ],
      ]);
    }, 60_000);
  }
});
