/**
 * An operator's `shift abort` of a shift with an old generation (not a first one) rolls it back. Every reader of the
 * journal says who aborted it and when, as they do for a first generation's abort: the step's error, the summary and
 * `status` (text, JSON), the list (`status --all`, text and JSON), the HTML report and both webhooks (`rolled-back`,
 * `deployment-finished`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sendShiftControl } from '../../../src/cli/commands/shift.js';
import { renderSummary, statusDocument } from '../../../src/report/summary.js';
import { buildReportModel } from '../../../src/report/html/report-model.js';
import { renderReportHtml } from '../../../src/report/html/render-report.js';
import { esc } from '../../../src/report/html/svg.js';
import { notificationsFor } from '../../../src/notify/notifications.js';
import { applyRecord, type Snapshot } from '../../../src/state/model.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { runCli } from '../../helpers/cli.js';
import { createHarness, SIM_ANALYSIS, waitFor, wideStep, type Harness } from './harness.js';

const LONG = `  steps: [10, 20, 30, 40, 50, 100]
  interval: 1s
${SIM_ANALYSIS}`;

describe("an operator's abort of a shift with an old generation", () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('is said as a rollback aborted by whom and when, by every reader', { timeout: 60_000 }, async () => {
    h = await createHarness(LONG);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const run = h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } })]);
    const harness = h;
    let id = '';
    await waitFor('step 1 of the shift', async () => {
      id = (await harness.store.list())[0]?.id ?? '';
      const p = id ? (wideStep((await harness.store.open(id, { readOnly: true })).snapshot(), 'traffic-shift')?.checkpoint?.progress as { phase?: string } | undefined) : undefined;
      return p?.phase === 'steps';
    });
    await sendShiftControl(h.store, 'abort', id);
    const snap = await run;
    expect(snap.state).toBe('failed');

    const doc = statusDocument(snap);
    expect(doc.outcome).toBe('rolled-back');
    const aborted = doc.shift?.aborted;
    expect(aborted).toMatchObject({ where: expect.stringMatching(/^step \d\/6/), by: expect.stringMatching(/@.* \(shift abort\)$/), sentAt: expect.any(String), at: expect.any(String) });
    const who = `aborted by ${aborted!.by} at ${aborted!.at}`;
    const words = `rolled back: ${who}`;

    // The summary (deploy's end, `status ID`): the head, the step's error and the shift's line.
    const summary = renderSummary(snap);
    expect(summary.split('\n')[0]).toBe(`deployment ${id}: ${words} (cluster id 2)`);
    expect(wideStep(snap, 'traffic-shift')?.error?.message).toContain(`rolled back at ${aborted!.where}: ${who}.`);
    expect(summary).toContain(`traffic shift: rolled back from ${aborted!.where}; ${who}\n`);

    // The list, as the CLI prints it.
    const list = await runCli(['status', '--all', '--state-dir', h.store.root, '--output', 'json']);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id, state: 'failed', outcome: 'rolled-back', rolledBack: true, aborted })]);
    expect((await runCli(['status', '--all', '--state-dir', h.store.root])).stdout).toContain(words);

    // The report and the webhooks, rendered from the journal's records.
    const records = await h.store.readRecords(id);
    const html = renderReportHtml(buildReportModel(records, new Date()));
    expect(html).toContain(esc(words));
    expect(html).toContain('rolled back (aborted by an operator)');
    const state = { deploymentId: id };
    let replayed: Snapshot | undefined;
    const sent = records.flatMap((r) => {
      replayed = applyRecord(replayed, r);
      const at = replayed;
      return notificationsFor(r, state as Parameters<typeof notificationsFor>[1], () => at);
    });
    expect(sent.find((n) => n.kind === 'deployment-finished')).toMatchObject({ title: `deployment ${id} ${words}`, data: { outcome: 'rolled-back' } });
    const rolled = sent.filter((n) => n.kind === 'rolled-back');
    expect(rolled).toHaveLength(1);
    expect(rolled[0]).toMatchObject({ text: `rolled back from ${aborted!.where}: ${who}`, data: { aborted, evidence: [] } });
    expect(rolled[0]?.data).not.toHaveProperty('decision');
  });
});
