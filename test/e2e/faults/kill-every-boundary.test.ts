/**
 * SIGKILL at every journal boundary of a one-cluster deployment, then `resume`.
 * The deployment-wide steps run too: with no previous generation the traffic
 * shift promotes at once and there is nothing to retire, so they are quick, and
 * their checkpoints are boundaries like any other.
 * A clean run first counts the journal records R; then, for every N in 1..R-1,
 * a fresh state dir is deployed with WSD_CRASH_AFTER_RECORD=N (the process
 * kills itself right after record N is durable) and resumed. Each time the
 * deployment must complete with every cluster existing exactly once, and no step
 * journaled as done by record N may start again. The boundaries are independent
 * (one state dir each), so three run at a time.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { runCli } from '../../helpers/cli.js';
import { forEachBounded } from '../../helpers/bounded.js';
import { deploymentIds, expectClustersOnce, expectDenseSeqs, faultWorkspace, journaledClusters, readJournal, type JournalRecord } from './fault-workspace.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

const DONE = new Set(['step.succeeded', 'step.skipped']);
const CLUSTER_STEPS = ['create-cluster', 'install-gitpod', 'install-jaeger', 'install-monitoring', 'alive-test', 'register-cluster'];
const DEPLOYMENT_STEPS = ['traffic-shift', 'retire-old-clusters'];
const key = (r: JournalRecord): string => `${r.cluster ?? ''}/${r.step ?? ''}`;
/** Boundaries in flight at once: each is a deploy and a resume, mostly waiting on terraform, helm and fsync. */
const CONCURRENT = 3;

describe.skipIf(!hasTerraform)('SIGKILL at every journal boundary, then resume', () => {
  const ws = faultWorkspace();
  let records = 0;
  afterAll(() => ws.cleanup());

  beforeAll(async () => {
    const stateDir = join(ws.dir, 'state-full');
    const full = await runCli(['deploy', ...ws.args(stateDir)]);
    expect(full.code, full.stderr).toBe(0);
    const journal = readJournal(stateDir, deploymentIds(stateDir)[0] as string);
    expect(journal.at(-1)).toMatchObject({ type: 'deployment.finished', state: 'succeeded' });
    // WSD_CRASH_AFTER_RECORD counts records other than throttled step.progress ones (state/crash-point.ts).
    records = journal.filter((r) => !(r.type === 'event' && (r as { code?: unknown }).code === 'step.progress')).length;
  });

  it('completes from every boundary, each cluster once, no finished step re-run', { timeout: 900_000 } /* a hang guard: ~28 deploy+resume pairs, three at a time, slow on a loaded 2-core machine */, async () => {
    // created, 8 × (started, succeeded), checkpoints, events, finished: fewer means the run changed shape.
    expect(records).toBeGreaterThanOrEqual(18);
    const boundaries = Array.from({ length: records - 1 }, (_, i) => i + 1);
    await forEachBounded(boundaries, CONCURRENT, async (n) => {
      const at = `boundary ${n} of ${records}`;
      const stateDir = join(ws.dir, `state-${n}`);
      const args = ws.args(stateDir);

      const crashed = await runCli(['deploy', ...args], { env: { WSD_CRASH_AFTER_RECORD: String(n) } });
      expect(crashed.signal, `${at}: ${crashed.stderr}`).toBe('SIGKILL');
      const [id] = deploymentIds(stateDir);
      expect(id, at).toBeDefined();
      const before = readJournal(stateDir, id as string);
      // Records appended together (a cluster's releases start together) share one group commit:
      // the kill after record N comes once N's whole batch is durable.
      expect(before.at(-1)?.seq, at).toBeGreaterThanOrEqual(n);

      // No id: `resume` must find the newest unfinished deployment by itself, whatever the crash left on disk.
      const resumed = await runCli(['resume', ...args]);
      expect(resumed.stderr, `${at}: ${resumed.stderr.slice(-2000)}`).not.toMatch(/\n\s+at /);
      expect(resumed.code, `${at}: ${resumed.stderr}`).toBe(0);
      expect(resumed.stdout, at).toMatch(/succeeded \(cluster id \d+\)/);
      expect(deploymentIds(stateDir), `${at}: resume must not start a new deployment`).toEqual([id]);

      const journal = readJournal(stateDir, id as string);
      expect(journal.slice(0, before.length), `${at}: records before the crash are kept as they were`).toEqual(before);
      expectDenseSeqs(journal);
      expect(journal.at(-1), at).toMatchObject({ type: 'deployment.finished', state: 'succeeded' });

      // Done at the crash → never started again.
      const doneBefore = new Set(before.filter((r) => DONE.has(r.type)).map(key));
      const restarted = journal.slice(before.length).filter((r) => r.type === 'step.started' && doneBefore.has(key(r)));
      expect(restarted.map(key), `${at}: steps re-run after being journaled done`).toEqual([]);
      // And every step ends done exactly once.
      const clusters = journaledClusters(journal);
      const units = [...clusters.flatMap((c) => CLUSTER_STEPS.map((step) => `${c.full}/${step}`)), ...DEPLOYMENT_STEPS.map((step) => `*/${step}`)];
      for (const unit of units) {
        expect(journal.filter((r) => DONE.has(r.type) && key(r) === unit), `${at}: ${unit} done records`).toHaveLength(1);
      }
      await expectClustersOnce({ config: ws.config, stateDir }, clusters);
    });
  });
});
