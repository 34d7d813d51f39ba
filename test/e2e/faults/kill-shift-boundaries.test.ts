/**
 * SIGKILL inside the traffic shift and the retirement of the previous
 * generation, then `resume`. Generation 1 (cluster id 101) is deployed first, so
 * generation 2 (id 2) really shifts traffic off it and destroys it. The shift's
 * intervals are shortened to 1 s in the config copy. A clean generation-2 run
 * shows where the interesting boundaries are: just after the old scores were
 * saved, just after the first traffic change, after the shift, after the old
 * cluster was deregistered, after it was destroyed. After each crash and resume:
 * the deployment completes, the scores saved before the first change are never
 * overwritten, the old cluster is deregistered and destroyed exactly once, and
 * the registry ends with the new cluster alone, taking all traffic.
 * Generation 1 is deployed once and its state dir copied (`cp -r`: state dirs
 * are relocatable) for the clean run and for each crash; two crashes run at a time.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { runCli } from '../../helpers/cli.js';
import { forEachBounded } from '../../helpers/bounded.js';
import { clusterResources, deploymentOf, expectDenseSeqs, faultWorkspace, readJournal, tfstateFiles, type JournalRecord } from './fault-workspace.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

const NEW = 'gp-dev-ws-eu102-eu-west1';
const DONE = new Set(['step.succeeded', 'step.skipped']);
const key = (r: JournalRecord): string => `${r.cluster ?? ''}/${r.step ?? ''}`;
const count = (journal: JournalRecord[], match: (r: JournalRecord) => boolean): number => journal.filter(match).length;
const hasOriginal = (r: JournalRecord): boolean => r.type === 'step.checkpoint' && r.step === 'traffic-shift' && 'original' in ((r.outputs as object | undefined) ?? {});
const isEvent = (code: string) => (r: JournalRecord): boolean => r.type === 'event' && r.code === code;

/** Where to crash, found in a clean run's journal. */
const BOUNDARIES: Array<[string, (r: JournalRecord) => boolean]> = [
  ['old scores saved', isEvent('traffic.original-saved')],
  ['first traffic change', (r) => r.type === 'step.checkpoint' && r.step === 'traffic-shift' && (r.outputs as { progress?: { phase?: string } } | undefined)?.progress?.phase === 'steps'],
  ['shift succeeded', (r) => r.type === 'step.succeeded' && r.step === 'traffic-shift'],
  ['old cluster deregistered', isEvent('retire.deregistered')],
  ['old cluster destroyed', isEvent('retire.destroyed')],
];

describe.skipIf(!hasTerraform)('SIGKILL inside the traffic shift and retirement, then resume', () => {
  const ws = faultWorkspace({
    edit: (doc) => {
      const shift = doc.trafficShift as Record<string, unknown> & { analysis: { metrics: Array<Record<string, unknown>> }; retire: Record<string, unknown> };
      Object.assign(shift, { steps: [50, 100], interval: '1s', bake: '1s', staffStage: { permission: 'new-workspace-cluster', duration: '1s' } });
      for (const metric of shift.analysis.metrics) {
        metric.minSamples = 1;
        // This test is about crashes, not evidence: a loose bound lets a healthy 1 s window of ~10 starts pass at once.
        (metric.threshold as Record<string, unknown>).confidence = 0.75;
      }
      shift.retire.drainTimeout = '10s';
    },
  });
  const boundaries: Array<{ name: string; seq: number }> = [];
  afterAll(() => ws.cleanup());

  const generation1 = join(ws.dir, 'state-generation-1');

  /** A state dir holding generation 1, deployed and promoted: a copy of the one deployed in beforeAll. */
  function withGeneration1(stateDir: string): void {
    cpSync(generation1, stateDir, { recursive: true });
  }

  beforeAll(async () => {
    const gen1 = await runCli(['deploy', ...ws.args(generation1), '--cluster-id', '101']);
    expect(gen1.code, gen1.stderr).toBe(0);
    const stateDir = join(ws.dir, 'state-clean');
    withGeneration1(stateDir);
    const gen2 = await runCli(['deploy', ...ws.args(stateDir), '--cluster-id', '102']);
    expect(gen2.code, gen2.stderr).toBe(0);
    const journal = readJournal(stateDir, deploymentOf(stateDir, 102));
    expect(count(journal, isEvent('retire.destroyed'))).toBe(1); // the clean run really retires generation 1
    for (const [name, match] of BOUNDARIES) {
      const record = journal.find(match);
      expect(record, name).toBeDefined();
      // WSD_CRASH_AFTER_RECORD counts records other than throttled step.progress ones (state/crash-point.ts).
      const seq = journal.filter((r) => r.seq <= (record?.seq as number) && !isProgress(r)).length;
      boundaries.push({ name, seq });
    }
  }, 180_000);

  it('completes from each boundary, retiring the old generation exactly once', { timeout: 600_000 } /* a hang guard: five deploy+resume pairs, two at a time, on a loaded 2-core machine */, async () => {
    await forEachBounded(boundaries, 2, async ({ name, seq }, i) => {
      const at = `${name} (record ${seq})`;
      const stateDir = join(ws.dir, `state-${i}-${seq}`);
      withGeneration1(stateDir);
      const crashed = await runCli(['deploy', ...ws.args(stateDir), '--cluster-id', '102'], { env: { WSD_CRASH_AFTER_RECORD: String(seq) } });
      expect(crashed.signal, `${at}: ${crashed.stderr}`).toBe('SIGKILL');
      const id = deploymentOf(stateDir, 102);
      const before = readJournal(stateDir, id);
      // Timing-dependent records (decisions) may shift a record or two, but the crash is inside the deployment-wide steps.
      expect(['traffic-shift', 'retire-old-clusters'], `${at}: ${JSON.stringify(before.at(-1)).slice(0, 300)}`).toContain(before.at(-1)?.step);

      const resumed = await runCli(['resume', ...ws.args(stateDir)]); // the newest unfinished: generation 2
      expect(resumed.stderr, `${at}: ${resumed.stderr.slice(-2000)}`).not.toMatch(/\n\s+at /);
      expect(resumed.code, `${at}: ${resumed.stderr}`).toBe(0);
      const journal = readJournal(stateDir, id);
      // A crash after record N may leave the records committed in the same batch (one fsync per hop).
      expect(journal.slice(0, before.length), at).toEqual(before);
      expectDenseSeqs(journal);
      expect(journal.at(-1), at).toMatchObject({ type: 'deployment.finished', state: 'succeeded' });

      const doneBefore = new Set(before.filter((r) => DONE.has(r.type)).map(key));
      expect(journal.slice(before.length).filter((r) => r.type === 'step.started' && doneBefore.has(key(r))).map(key), `${at}: re-run after done`).toEqual([]);
      expect(count(journal, hasOriginal), `${at}: scores saved before the first change, once`).toBe(1);
      expect(count(journal, isEvent('retire.deregistered')), `${at}: deregistered`).toBe(1);
      expect(count(journal, isEvent('retire.destroyed')), `${at}: destroyed`).toBe(1);

      // The old cluster is destroyed and its emptied state file removed (no empty state files pile up).
      expect(tfstateFiles(stateDir), at).toEqual([`${NEW}.tfstate`]);
      expect(clusterResources(stateDir, NEW), `${at}: new cluster once`).toBe(1);
      const list = await runCli(['clusters', 'list', ...ws.args(stateDir), '--output', 'json']);
      // Reachable by everyone: the staff constraint it was registered behind is gone (a crash right after the first
      // step's progress, before its removal, once left it on, and the promoted cluster took staff starts only).
      expect(JSON.parse(list.stdout), at).toEqual([expect.objectContaining({ name: 'eu102', state: 'AVAILABLE', score: 100, admissionConstraints: [] })]);
    });
  });
});

function isProgress(r: { type: string; code?: unknown }): boolean {
  return r.type === 'event' && r.code === 'step.progress';
}
