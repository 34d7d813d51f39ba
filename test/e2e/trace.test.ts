/**
 * One OpenTelemetry trace per run, exported by the real OTLP/HTTP exporter to a
 * local receiver that decodes the OTLP JSON encoding itself: a first generation
 * with the collector down (set through OTEL_EXPORTER_OTLP_ENDPOINT) deploys as
 * if tracing were off; a second generation whose new cluster fails starts rolls
 * back, and its trace is one tree (deployment > step > attempt > shift stage)
 * whose rollback span holds the failing decision. The token in the endpoint URL
 * appears nowhere.
 */
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli } from '../helpers/cli.js';
import { type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { useTracedWorkspace } from '../helpers/traced-workspace.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');
const TOKEN = 'otlp-T0KEN-9f8e7d6c5b4a';

describe.skipIf(!hasTerraform)('a trace per deployment', () => {
  const { ws, receiver: started } = useTracedWorkspace();
  const common = ws.common;

  it('a collector that is down changes nothing but a warning', async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const first = await runCli(['deploy', ...common, '--cluster-id', '230'], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } });
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/could not export the trace|trace collector did not answer/);
  }, 180_000);

  it('a rollback exports one trace whose rollback span holds the failing decision', async () => {
    const receiver = started();
    const run = await runCli(['deploy', ...common, '--cluster-id', '231', '--inject-fault', 'eu231:0.9', '--otlp-endpoint', `${receiver.url}/otlp/${TOKEN}`]);
    expect(run.code).toBe(1);
    expect(receiver.paths.every((p) => p === `/otlp/${TOKEN}/v1/traces`)).toBe(true);
    const spans = receiver.spans;
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['ws-deployment']));

    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const roots = spans.filter((s) => !s.parentSpanId);
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    expect(root.name).toMatch(/^deployment \d{8}-\d{6}-\w+$/);
    expect(root.attributes).toMatchObject({ 'wsd.cluster_id': 231, 'wsd.environment': expect.any(String) });
    expect(root.status?.code).toBe(2); // ERROR: the deployment failed
    // Every parent link resolves inside the trace.
    for (const s of spans) if (s.parentSpanId) expect(byId.has(s.parentSpanId), `${s.name}'s parent`).toBe(true);
    const parent = (s: ReceivedSpan): ReceivedSpan | undefined => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);

    // One span per step per cluster under the root, each attempt a child of its step.
    const steps = spans.filter((s) => s.parentSpanId === root.spanId);
    const eu = 'gp-dev-ws-eu231-eu-west1';
    expect(steps.filter((s) => s.attributes['wsd.cluster'] === eu).map((s) => s.name)).toEqual(expect.arrayContaining(['create-cluster', 'install-gitpod', 'register-cluster']));
    const attempts = spans.filter((s) => / attempt \d+$/.test(s.name));
    expect(attempts.length).toBeGreaterThan(0);
    for (const a of attempts) expect(parent(a)?.name).toBe(a.name.replace(/ attempt \d+$/, ''));

    // Shift stages are children of the traffic-shift attempt; decisions are their events.
    const stages = spans.filter((s) => s.name.startsWith('shift '));
    expect(stages.map((s) => s.name)).toEqual(expect.arrayContaining(['shift rollback']));
    for (const s of stages) expect(parent(s)?.name).toBe('traffic-shift attempt 1');
    expect(stages.at(-1)?.name).toBe('shift rollback');
    // The failing measurement is an event on the stage it judged, before the rollback began.
    const judged = stages.slice(0, -1).flatMap((s) => s.events.filter((e) => e.name === 'decision').map((e) => e.attributes['wsd.decision.verdict']));
    expect(judged).toContain('fail');
    const rollback = stages.find((s) => s.name === 'shift rollback')!;
    expect(rollback.attributes['wsd.rollback.reason']).toMatch(/start-failure-ratio/);
    const decision = rollback.events.find((e) => e.name === 'decision');
    expect(decision?.attributes).toMatchObject({ 'wsd.decision.verdict': 'fail', 'wsd.decision.metrics': expect.arrayContaining(['start-failure-ratio']) });
    expect(decision?.attributes['wsd.decision.metric.start-failure-ratio.outcome']).toBe('fail');
    expect(decision?.attributes[`wsd.decision.metric.start-failure-ratio.${eu}.value`]).toBeGreaterThan(0.1);
    // Spans carry the journal's times: a child lies within its parent.
    for (const s of spans) {
      const p = parent(s);
      if (p) expect(s.startNs >= p.startNs && s.endNs <= p.endNs, `${s.name} within ${p.name}`).toBe(true);
    }

    expect(receiver.raw.join('\n')).not.toContain(TOKEN);
    expect(`${run.stdout}${run.stderr}`).not.toContain(TOKEN);
    expect(run.stderr).toContain(spans[0]!.traceId);
  }, 240_000);
});
