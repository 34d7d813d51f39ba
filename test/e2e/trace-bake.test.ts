/**
 * The bake in the trace: a promoted second generation exports one trace whose
 * shift stages (children of the traffic-shift attempt, in order) end with
 * `shift bake`, after the last step; the bake's measurements are its span
 * events (decisions, passing), and it lies within its parent. Checked by the
 * local OTLP/HTTP receiver that decodes the OTLP JSON encoding itself.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli } from '../helpers/cli.js';
import { QUICK_GATE } from '../helpers/sandbox-config.js';
import { useTracedWorkspace } from '../helpers/traced-workspace.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('the bake in the trace', () => {
  // The gate passes on its minSamples (QUICK_GATE): the spans do not depend on how much evidence a step waits for,
  // and at the example's confidence step 1 alone held ~35 s.
  const { ws, receiver } = useTracedWorkspace({ times: { interval: '2s', bake: '2s', staff: '2s', confidence: QUICK_GATE } });

  beforeAll(async () => {
    await ws.deployGeneration(280);
  }, 180_000);

  it('a promoted shift has a bake stage span after its last step, holding the bake decisions', async () => {
    const run = await runCli(['deploy', ...ws.common, '--cluster-id', '281', '--otlp-endpoint', receiver().url]);
    expect(run.code, run.stderr).toBe(0);
    const spans = receiver().spans;
    const attempt = spans.find((s) => s.name === 'traffic-shift attempt 1');
    expect(attempt).toBeDefined();
    const stages = spans.filter((s) => s.parentSpanId === attempt!.spanId).sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
    const names = stages.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['shift staff stage', 'shift step 1/3', 'shift step 2/3', 'shift step 3/3', 'shift bake']));
    expect(names.indexOf('shift bake')).toBe(names.indexOf('shift step 3/3') + 1);
    const bake = stages.find((s) => s.name === 'shift bake')!;
    expect(bake.attributes).toMatchObject({ 'wsd.shift.percent': 100, 'wsd.shift.bake_ms': 2000 });
    const decisions = bake.events.filter((e) => e.name === 'decision');
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions.at(-1)?.attributes['wsd.decision.verdict']).toBe('pass');
    // The bake starts when step 3/3 ends and lies within the attempt.
    const last = stages.find((s) => s.name === 'shift step 3/3')!;
    expect(bake.startNs >= last.endNs).toBe(true);
    expect(bake.startNs >= attempt!.startNs && bake.endNs <= attempt!.endNs).toBe(true);
    expect(bake.status?.code ?? 0).not.toBe(2);
  }, 180_000);
});
