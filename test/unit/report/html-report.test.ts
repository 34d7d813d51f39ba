/**
 * The report model and HTML as pure functions of journal records: retries,
 * a rollback, decision evidence of any shape, and hostile text escaped.
 */
import { describe, expect, it } from 'vitest';
import { buildReportModel } from '../../../src/report/html/report-model.js';
import { renderReportHtml } from '../../../src/report/html/render-report.js';
import type { JournalRecord } from '../../../src/state/model.js';
import { nextCommands } from '../../../src/core/next-command.js';

const EU = 'gp-dev-ws-eu5-eu-west1';
let seq = 0;
const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const rec = (s: number, r: Record<string, unknown>): JournalRecord => ({ seq: ++seq, time: at(s), ...r }) as JournalRecord;

function journal(): JournalRecord[] {
  seq = 0;
  return [
    rec(0, { type: 'deployment.created', id: '20260101-120000-abcd', inputs: { configFile: 'x', configHash: 'h', project: 'p', environment: 'dev' }, clusterId: 5, clusters: [{ index: 0, name: EU, shortName: 'eu5', id: 5, region: 'europe-west1', prefix: 'eu', governedBy: 'meta', type: 'sandbox' }], steps: [['create-cluster', 'register-cluster']], deploymentSteps: ['traffic-shift'] }),
    rec(1, { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 }),
    rec(3, { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 2 }),
    rec(5, { type: 'step.succeeded', cluster: EU, step: 'create-cluster', outputs: {}, durationMs: 4000 }),
    rec(6, { type: 'step.skipped', cluster: EU, step: 'register-cluster', evidence: 'already registered <script>alert(1)</script>' }),
    rec(7, { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 }),
    rec(7, { type: 'event', level: 'info', code: 'traffic.clusters', step: 'traffic-shift', message: 'm', data: { newClusters: [{ name: 'eu5', cluster: EU, region: 'europe-west1' }], oldClusters: [{ name: 'eu4', cluster: 'gp-dev-ws-eu4-eu-west1', region: 'europe-west1' }], steps: [25, 100], gates: [{ name: 'errors', threshold: { max: 0.05 } }] } }),
    rec(8, { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { original: { meta: { eu5: { name: 'eu5', state: 'CORDONED', score: 50, maxScore: 100, static: false, admissionConstraints: [] }, eu4: { name: 'eu4', state: 'AVAILABLE', score: 100, maxScore: 100, static: false, admissionConstraints: [] } } } } }),
    rec(9, { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'steps', stepIndex: 0 } } }),
    rec(11, { type: 'event', level: 'info', code: 'traffic.decision', step: 'traffic-shift', message: 'fail', data: { at: at(11), verdict: 'fail', rule: 'limit.failures', message: 'errors too high', stepIndex: 0, percent: 25, decisions: [{ metric: 'errors', outcome: 'fail', rule: 'comparison.mann-whitney', dryRun: false, value: 0.2, samples: { new: 4, old: 39 }, baseline: { value: 0, samples: 39 }, statistics: { method: 'mann-whitney', u: 3.5, p: 0.001, effect: 0.8 } }] } }),
    rec(12, { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'rolled-back', stepIndex: 0, reason: 'errors too high', rolledBackFrom: 'step 1/2 (25 %)' } } }),
    rec(13, { type: 'step.failed', cluster: '*', step: 'traffic-shift', error: { code: 'GateFailed', message: 'rolled back' } }),
    rec(14, { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'rolled back' } }),
  ];
}

describe('HTML report model', () => {
  it('has one bar per step with each attempt, the stages, scores and the rollback', () => {
    const m = buildReportModel(journal(), new Date(at(20)));
    expect(m.bars.map((b) => [b.step, b.state, b.attempts.map((a) => a.outcome)])).toEqual([
      ['create-cluster', 'succeeded', ['retried', 'succeeded']],
      ['register-cluster', 'skipped', []],
      ['traffic-shift', 'failed', ['failed']],
    ]);
    expect(m.shift?.stages.map((s) => [s.label, s.percent])).toEqual([['step 1/2 (25 %)', 25], ['rolled back', 0]]);
    expect(m.shift?.rollback).toMatchObject({ time: at(12), reason: 'errors too high', from: 'step 1/2 (25 %)' });
    // 25 % next to one old cluster at 100: the scores read as percentages (25 / 75); rollback restores.
    const eu5 = m.shift?.scores.find((s) => s.cluster === 'eu5')?.points.map((p) => p.score);
    const eu4 = m.shift?.scores.find((s) => s.cluster === 'eu4')?.points.map((p) => p.score);
    expect(eu5).toEqual([50, 25, 0]);
    expect(eu4).toEqual([100, 75, 100]);
    expect(m.registries.find((r) => r.cluster === 'eu5')).toMatchObject({ state: 'CORDONED', score: 0 });
  });

  it('shows whatever evidence a decision record carries and the configured threshold', () => {
    const m = buildReportModel(journal());
    expect(m.gates[0]).toMatchObject({ metric: 'errors', threshold: { max: 0.05 } });
    expect(m.gates[0]?.points[0]).toMatchObject({ outcome: 'fail', values: [{ value: 0.2 }], samples: { new: 4, old: 39 } });
    expect(m.gates[0]?.points[0]?.evidence).toMatchObject({ u: 3.5, p: 0.001, effect: 0.8, 'baseline.value': 0, 'baseline.samples': 39 });
    const html = renderReportHtml(m);
    expect(html).toContain('u=3.5');
    expect(html).toContain('class="threshold max" data-value="0.05"');
    expect(html).toContain(`class="rollback-marker" data-time="${at(12)}"`);
  });

  it('a partial deployment names the resume command with the state it was read from, as status does', () => {
    const records = journal().slice(0, 5);
    records.push(rec(6, { type: 'step.excluded', cluster: '*', step: 'traffic-shift', by: '--skip' }), rec(7, { type: 'deployment.finished', state: 'partial', excluded: 1 }));
    const html = renderReportHtml(nextCommands({ stateDir: '/srv/wsd-state' }).value(buildReportModel(records, new Date(at(20)))));
    expect(html).toContain('<p class="partial" data-excluded="1">1 step not run yet');
    expect(html).toContain("run them with `ws-deployment resume 20260101-120000-abcd --state-dir /srv/wsd-state`");
  });

  it('escapes journal text and references nothing outside the file', () => {
    const html = renderReportHtml(buildReportModel(journal()));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });

  it('cuts a killed run off at its last record, however long after it the report is made', () => {
    // Cut after each record up to the shift: whatever was in flight then.
    for (let n = 2; n <= 8; n++) {
      const records = journal().slice(0, n);
      const lastTime = records.at(-1)?.time as string;
      for (const later of [0, 60, 86_400]) {
        const m = buildReportModel(records, new Date(Date.parse(lastTime) + later * 1000), { processGone: true });
        expect(m.snapshot.state).toBe('interrupted');
        expect(m.bars.map((b) => b.state)).not.toContain('running');
        expect(m.span.t1).toBe(Math.max(Date.parse(records[0]?.time as string) + 1000, Date.parse(lastTime)));
        for (const b of m.bars.filter((x) => x.state === 'interrupted')) expect(b.end).toBe(lastTime);
      }
    }
  });
});

describe('the final registries: the new clusters\' constraints as the shift left them', () => {
  const STAFF = 'has-permission=new-workspace-cluster';
  /** A shift of eu5 (registered behind the staff constraint) that ends in `phases`; `recorded`: the constraint journaled with the clusters. */
  function shift(phases: string[], recorded = true): JournalRecord[] {
    seq = 0;
    const clusters = { newClusters: [{ name: 'eu5', cluster: EU, region: 'europe-west1' }], oldClusters: [{ name: 'eu4', cluster: 'gp-dev-ws-eu4-eu-west1', region: 'europe-west1' }], steps: [25, 100], ...(recorded ? { staffConstraint: STAFF } : {}) };
    return [
      rec(0, { type: 'deployment.created', id: '20260101-120000-abcd', inputs: { configFile: 'x', configHash: 'h', project: 'p', environment: 'dev' }, clusterId: 5, clusters: [{ index: 0, name: EU, shortName: 'eu5', id: 5, region: 'europe-west1', prefix: 'eu', governedBy: 'meta', type: 'sandbox' }], steps: [['create-cluster']], deploymentSteps: ['traffic-shift'] }),
      rec(1, { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 }),
      rec(1, { type: 'event', level: 'info', code: 'traffic.clusters', step: 'traffic-shift', message: 'm', data: clusters }),
      rec(2, { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { original: { meta: { eu5: { name: 'eu5', state: 'CORDONED', score: 50, maxScore: 100, static: false, admissionConstraints: [STAFF] }, eu4: { name: 'eu4', state: 'AVAILABLE', score: 100, maxScore: 100, static: false, admissionConstraints: [] } } } } }),
      rec(3, { type: 'event', level: 'info', code: 'traffic.staff', step: 'traffic-shift', message: `staff stage: new clusters take starts of ${STAFF} holders only` }),
      ...phases.map((phase, i) => rec(4 + i, { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase, stepIndex: phase === 'done' ? 1 : 0 } } })),
    ];
  }
  const row = (records: JournalRecord[], name: string) => buildReportModel(records).registries.find((r) => r.cluster === name);

  it('past the staff stage and promoted: without the staff constraint; in the staff stage: behind it; rolled back: as registered', () => {
    expect(row(shift(['staff', 'steps', 'bake', 'done']), 'eu5')).toMatchObject({ state: 'AVAILABLE', constraints: [], note: 'promoted: takes all new starts' });
    expect(row(shift(['staff', 'steps']), 'eu5')).toMatchObject({ state: 'AVAILABLE', constraints: [] });
    expect(row(shift(['staff']), 'eu5')).toMatchObject({ state: 'AVAILABLE', constraints: [STAFF] });
    expect(row(shift(['staff', 'steps', 'rolled-back']), 'eu5')).toMatchObject({ state: 'CORDONED', constraints: [STAFF] });
    // A journal from before the constraint was recorded with the clusters: the staff stage's line names it.
    expect(row(shift(['staff', 'steps', 'bake', 'done'], false), 'eu5')).toMatchObject({ constraints: [] });
  });

  it('an old cluster whose score the shift under way changed is not said unchanged', () => {
    expect(row(shift(['staff', 'steps']), 'eu4')).toMatchObject({ state: 'AVAILABLE', score: 75, note: 'shift in progress (step 1/2 (25 %))' });
  });
});
