/**
 * An operator's `shift abort` during a first generation's watch (no old clusters): nothing is rolled back and no
 * gate failed. Every reader of the journal says an operator aborted it — who (as `shift abort` names the sender)
 * and when — and that its clusters still take every new start: the summary and `status` (text, JSON), the list
 * (`status --all`, text and JSON), the HTML report and the `deployment-finished` webhook.
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

const WATCHED = `  steps: [100]
  interval: 1s
${SIM_ANALYSIS}
    firstGenerationWatch: 1h`;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe("an operator's abort of a first generation's watch", () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('is said as an abort by whom and when, its clusters still taking every start, by every reader', { timeout: 60_000 }, async () => {
    h = await createHarness(WATCHED);
    // Only the new cluster (eu2) is registered: a first generation, watched for an hour.
    await h.register('eu2', { cordoned: true });
    const run = h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } })]);
    const harness = h;
    let id = '';
    await waitFor("the first generation's watch", async () => {
      id = (await harness.store.list())[0]?.id ?? '';
      const p = id ? (wideStep((await harness.store.open(id, { readOnly: true })).snapshot(), 'traffic-shift')?.checkpoint?.progress as { phase?: string } | undefined) : undefined;
      return p?.phase === 'watch';
    });
    await sendShiftControl(h.store, 'abort', id);
    const snap = await run;
    expect(snap.state).toBe('failed');

    // Who sent it, as `shift abort` journals the sender; when the run took it.
    const doc = statusDocument(snap);
    expect(doc.outcome).toBe('first-generation-aborted');
    const aborted = doc.shift?.aborted;
    expect(aborted).toMatchObject({ where: "the first generation's watch", by: expect.stringMatching(/@.* \(shift abort\)$/), sentAt: expect.any(String), at: expect.any(String) });
    const words = `first generation aborted by ${aborted!.by} at ${aborted!.at}; nothing to roll back to, so its clusters still take every new workspace start`;
    // The journaled reason names them too, as a later generation's rollback reason does (abortWords).
    const progress = wideStep(snap, 'traffic-shift')?.checkpoint?.progress as { reason?: string } | undefined;
    expect(progress?.reason).toMatch(new RegExp(`^aborted by ${escapeRe(aborted!.by!)} at ${aborted!.at}; the first generation has no previous one`));
    expect(doc.next).toMatch(/^nothing resumes this deployment \(its first generation was aborted by an operator\)/);

    // The summary (deploy's end, `status ID`): the head, the step's error and the shift's line.
    const summary = renderSummary(snap);
    expect(summary.split('\n')[0]).toBe(`deployment ${id}: ${words} (cluster id 2)`);
    expect(wideStep(snap, 'traffic-shift')?.error?.message).toMatch(new RegExp(`^first generation's watch aborted by .* at ${aborted!.at}\\.\\nThe first generation has no previous one to fall back to, so its clusters were left as they are`));
    expect(summary).toContain(`traffic shift: the first generation's watch was aborted by ${aborted!.by} (taken ${aborted!.at}, sent ${aborted!.sentAt}); its clusters were left taking every new start`);

    // The list, as the CLI prints it.
    const list = await runCli(['status', '--all', '--state-dir', h.store.root, '--output', 'json']);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id, state: 'failed', outcome: 'first-generation-aborted', aborted })]);
    expect((await runCli(['status', '--all', '--state-dir', h.store.root])).stdout).toContain(words);

    // The report and the webhook, rendered from the journal's records.
    const records = await h.store.readRecords(id);
    const html = renderReportHtml(buildReportModel(records, new Date()));
    expect(html).toContain(esc(words));
    expect(html).toContain('aborted by an operator (first generation, left taking every start)');
    const state = { deploymentId: id };
    let replayed: Snapshot | undefined;
    const finished = records.flatMap((r) => {
      replayed = applyRecord(replayed, r);
      const at = replayed;
      return notificationsFor(r, state as Parameters<typeof notificationsFor>[1], () => at);
    }).find((n) => n.kind === 'deployment-finished');
    expect(finished).toMatchObject({ title: `deployment ${id} ${words}`, data: { outcome: 'first-generation-aborted' } });
    expect(finished?.text).toMatch(/^deployment traffic-shift: first generation's watch aborted by .*\n.*its clusters were left as they are/);

    // No reader calls it a failed gate, nor a rollback.
    for (const text of [summary, list.stdout, html, finished?.title ?? '', finished?.text ?? '']) expect(text).not.toMatch(/failed its gates|gates failed|rolled back/i);
  });
});
