/**
 * The per-cluster sub-phase reaches `status --watch` through the journal: a real
 * sandbox deploy (real terraform) journals `step.progress` records read from
 * terraform's `-json` stream — a few per step, not one per terraform line — and
 * the watch's view of the journal as it stood then shows
 * `create-cluster running: terraform apply N/N resources`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { watchView } from '../../src/report/watch/watch-view.js';
import type { JournalRecord } from '../../src/state/model.js';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('sub-phases in status --watch', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir];
  afterAll(() => ws.cleanup());

  it('journals terraform apply progress per cluster, throttled, and the watch shows it', async () => {
    const run = await runCli(['deploy', ...common, '--cluster-id', '275']);
    expect(run.code, run.stderr).toBe(0);
    // Not a line in the CI log: the sub-phase is for the watch (and -v).
    expect(run.stderr).not.toMatch(/terraform apply \d+\/\d+ resources/);
    const id = (JSON.parse((await runCli(['status', ...common, '--output', 'json'])).stdout) as { id: string }).id;
    const records = readFileSync(join(ws.stateDir, id, 'journal.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);

    for (const cluster of ['gp-dev-ws-eu275-eu-west1', 'gp-dev-ws-us275-us-west1']) {
      const progress = records.filter((r): r is Extract<JournalRecord, { type: 'event' }> => r.type === 'event' && r.code === 'step.progress' && r.cluster === cluster && r.step === 'create-cluster');
      expect(progress.length, cluster).toBeGreaterThan(0);
      const last = progress.at(-1)!;
      expect(last.message).toMatch(/^terraform apply (\d+)\/\1 resources$/);
      // Throttled: at most one a second, plus the final one.
      const started = records.find((r) => r.type === 'step.started' && r.cluster === cluster && r.step === 'create-cluster')!;
      const ended = records.find((r) => r.type === 'step.succeeded' && r.cluster === cluster && r.step === 'create-cluster')!;
      expect(progress.length).toBeLessThanOrEqual(2 + Math.ceil((Date.parse(ended.time) - Date.parse(started.time)) / 1000));

      // The watch, had it read the journal right after that record.
      const upTo = records.slice(0, records.indexOf(last) + 1);
      const line = watchView({ records: upTo, pending: [], now: Date.parse(last.time), clock: false }).lines.find((l) => l.includes(cluster));
      expect(line).toMatch(new RegExp(`create-cluster running: ${last.message}$`));
    }
    // Sandbox releases are rendered, not installed: no rollouts to wait for, so no helm sub-phase.
    expect(records.some((r) => r.type === 'event' && r.code === 'step.progress' && /helm/.test(r.message))).toBe(false);
  }, 180_000);
});
