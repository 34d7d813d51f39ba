/**
 * A failed deployment ends with what the operator does next, said the same by every reader of its journal (the
 * summary `deploy` and `status` print, `status --output json`, the HTML report): `resume` retries a failure that
 * did not conclude it; one concluded by its outcome (a rolled-back shift) is over, and says so instead.
 */
import { describe, expect, it } from 'vitest';
import { buildReportModel } from '../../../src/report/html/report-model.js';
import { renderReportHtml } from '../../../src/report/html/render-report.js';
import { esc } from '../../../src/report/html/svg.js';
import { renderSummary, statusDocument } from '../../../src/report/summary.js';
import { applyRecord, type JournalInput, type JournalRecord, type Snapshot } from '../../../src/state/model.js';
import type { StepName } from '../../../src/steps/step.js';

const ID = '20260101-120000-abcd';
const EU = 'gp-dev-ws-eu5';
const created: JournalInput = {
  type: 'deployment.created',
  id: ID,
  inputs: { configFile: 'x', configHash: 'h', project: 'p', environment: 'dev' },
  clusterId: 5,
  clusters: [{ index: 0, name: EU, shortName: 'eu5', id: 5, region: 'eu', prefix: 'gp', governedBy: 'meta', type: 'sandbox' }],
  steps: [['create-cluster', 'install-gitpod']],
  deploymentSteps: ['traffic-shift', 'retire-old-clusters'],
};
const ok = (cluster: string, step: StepName): JournalInput[] => [{ type: 'step.started', cluster, step, attempt: 1 }, { type: 'step.succeeded', cluster, step, outputs: {}, durationMs: 5 }] as JournalInput[];
const failed = (cluster: string, step: StepName, code: string, outputs?: Record<string, unknown>): JournalInput[] =>
  [{ type: 'step.started', cluster, step, attempt: 1 }, ...(outputs ? [{ type: 'step.checkpoint', cluster, step, outputs }] : []), { type: 'step.failed', cluster, step, error: { code, message: `${step} broke` } }] as JournalInput[];
const end = (code: string): JournalInput => ({ type: 'deployment.finished', state: 'failed', error: { code, message: `it ended: ${code}` } });

function records(inputs: JournalInput[]): JournalRecord[] {
  return inputs.map((r, i) => ({ ...r, seq: i + 1, time: new Date(Date.UTC(2026, 0, 1, 12, 0, i)).toISOString() }) as JournalRecord);
}

const RESUME = new RegExp(`^fix the cause, then \`ws-deployment resume ${ID}\`$`);
const CASES: Record<string, { journal: JournalInput[]; next: RegExp }> = {
  'a failed step': { journal: [created, ...ok(EU, 'create-cluster'), ...failed(EU, 'install-gitpod', 'StepFailed'), end('DeploymentFailed')], next: RESUME },
  'a refused step': { journal: [created, ...ok(EU, 'create-cluster'), ...failed(EU, 'install-gitpod', 'PreCheckRefused'), end('PreCheckRefused')], next: RESUME },
  'a retirement that failed after the promotion': {
    journal: [created, ...ok(EU, 'create-cluster'), ...ok(EU, 'install-gitpod'), ...ok('*', 'traffic-shift'), ...failed('*', 'retire-old-clusters', 'StepFailed'), end('DeploymentFailed')],
    next: RESUME,
  },
  'a rolled-back shift (concluded)': {
    journal: [created, ...ok(EU, 'create-cluster'), ...ok(EU, 'install-gitpod'), ...failed('*', 'traffic-shift', 'ShiftRolledBack', { concluded: 'its traffic shift rolled back: fail', progress: { phase: 'rolled-back', reason: 'fail' } }), end('DeploymentFailed')],
    // Over for `resume`, but its shift can start again: the retry first, a new generation as the other way.
    next: new RegExp(`^fix the cause \\(the evidence: \`ws-deployment status ${ID}\`\\), then start its traffic shift again from the first step with \`ws-deployment resume ${ID} --retry-shift\`; or deploy a new generation`),
  },
  'a first generation that failed its watch (concluded)': {
    journal: [created, ...ok(EU, 'create-cluster'), ...ok(EU, 'install-gitpod'), ...failed('*', 'traffic-shift', 'GateFailed', { concluded: 'its first generation failed its gates: fail', progress: { phase: 'failed', reason: 'fail' } }), end('DeploymentFailed')],
    next: /^nothing resumes this deployment \(its first generation failed its gates\): .*deploy a new generation/,
  },
  'a first generation that failed its gates (concluded)': {
    journal: [created, ...ok(EU, 'create-cluster'), ...ok(EU, 'install-gitpod'), ...failed('*', 'traffic-shift', 'GateFailed', { concluded: 'its first generation failed its gates: fail; the first generation has no previous one to fall back to, so its clusters were left as they are (they take all new starts): fix them or deploy a new generation', progress: { phase: 'failed', reason: 'fail' } }), end('DeploymentFailed')],
    next: /^nothing resumes this deployment \(its first generation failed its gates\): .*deploy a new generation/,
  },
};

describe('the next step of a failed deployment', () => {
  for (const [name, { journal, next }] of Object.entries(CASES)) {
    it(`${name}: the summary, the status JSON and the HTML report say the same next step`, () => {
      const recs = records(journal);
      const snap = recs.reduce<Snapshot | undefined>((s, r) => applyRecord(s, r), undefined)!;
      const doc = statusDocument(snap);
      expect(doc.next).toMatch(next);
      expect(renderSummary(snap).split('\n')).toContain(`next: ${doc.next}`);
      const model = buildReportModel(recs, new Date(Date.UTC(2026, 0, 1, 13)));
      expect(model.next).toBe(doc.next);
      const html = renderReportHtml(model);
      expect(html).toContain(`<p class="next">next: ${esc(doc.next)}</p>`);
      // `resume` is named only where it would retry.
      expect(doc.next!.includes(`ws-deployment resume ${ID}\``)).toBe(!name.includes('concluded'));
    });
  }

  it('a first generation that failed its gates is not said to be rolled back: its clusters still take every start', () => {
    const recs = records(CASES['a first generation that failed its gates (concluded)']!.journal);
    const snap = recs.reduce<Snapshot | undefined>((s, r) => applyRecord(s, r), undefined)!;
    const words = 'first generation failed its gates; nothing to roll back to, so its clusters still take every new workspace start';
    expect(statusDocument(snap).outcome).toBe('first-generation-failed');
    const summary = renderSummary(snap);
    expect(summary.split('\n')[0]).toBe(`deployment ${ID}: ${words} (cluster id 5)`);
    expect(summary).toContain('traffic shift: the first generation failed its gates in the watch; its clusters were left taking every new start');
    expect(summary).not.toMatch(/rolled back/);
    const html = renderReportHtml(buildReportModel(recs, new Date(Date.UTC(2026, 0, 1, 13))));
    expect(html).toContain(esc(words));
    expect(html).not.toMatch(/rolled back/);
  });

  it('says nothing where another line already does, or nothing is to be done', () => {
    const succeeded = records([created, ...ok(EU, 'create-cluster'), ...ok(EU, 'install-gitpod'), ...ok('*', 'traffic-shift'), ...ok('*', 'retire-old-clusters'), { type: 'deployment.finished', state: 'succeeded' } as JournalInput]);
    const snap = succeeded.reduce<Snapshot | undefined>((s, r) => applyRecord(s, r), undefined)!;
    expect(statusDocument(snap).next).toBeUndefined();
    expect(renderSummary(snap)).not.toContain('next:');
    expect(renderReportHtml(buildReportModel(succeeded, new Date()))).not.toContain('class="next"');
  });
});
