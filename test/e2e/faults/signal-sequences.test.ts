/**
 * How CI runners and terminals stop a run, at every kind of point of a sandbox deployment.
 * GitHub Actions sends SIGINT, then SIGTERM ~7.5 s later, then SIGKILL; GitLab and Kubernetes
 * SIGTERM then SIGKILL; a closed ssh session SIGHUP. For each such sequence and each kill point
 * (chosen by what the journal holds, never by a sleep: terraform applying the new cluster, the
 * releases rendering, the alive test, registration, mid-shift, retirement of the old generation)
 * the run must exit promptly with a documented code (130, or killed by the SIGKILL), leave no
 * process of its own running but a tool child it journaled (which `resume` waits for), `status`
 * must say `interrupted`, and `resume` must finish the deployment with nothing created twice:
 * every cluster the journal knows is then registered and serving (this generation) or destroyed
 * (the previous one). Generation 1 is deployed once and copied for each case; cases run a few at
 * a time, each in its own copy.
 *
 * Also: SIGTERM while a second `deploy` starts (the lock is still held until the first has stopped).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { requireBinary } from '../../helpers/require-binary.js';
import { runCli, startCli, type CliResult } from '../../helpers/cli.js';
import { forEachBounded } from '../../helpers/bounded.js';
import { QUICK_GATE, withShiftTimes } from '../../helpers/sandbox-config.js';
import { deployGenerationOne, type GenerationOne, type SandboxCopy } from '../../helpers/sandbox-generation.js';
import { clusterResources, deploymentOf, journaledClusters, readJournal, tfstateFiles, type JournalRecord } from './fault-workspace.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

/** A signal, and how long after the previous one it is sent. */
type Sequence = ReadonlyArray<readonly [NodeJS.Signals, number]>;

export const SEQUENCES: Record<string, Sequence> = {
  SIGINT: [['SIGINT', 0]],
  SIGTERM: [['SIGTERM', 0]],
  SIGHUP: [['SIGHUP', 0]],
  // GitHub Actions; the delay is short so the second signal lands while the first is still being honoured.
  'SIGINT then SIGTERM': [
    ['SIGINT', 0],
    ['SIGTERM', 300],
  ],
  // GitLab, Kubernetes with a short grace period.
  'SIGTERM then SIGKILL': [
    ['SIGTERM', 0],
    ['SIGKILL', 300],
  ],
};

const children = (r: JournalRecord): Array<{ tool: string; pid?: number }> => ((r.outputs as { children?: Array<{ tool: string; pid?: number }> } | undefined)?.children ?? []);
const isEvent = (code: string) => (r: JournalRecord): boolean => r.type === 'event' && r.code === code;

/** Kill points: the first journal record that matches. Generation 2's create-cluster applies a slow resource (3 s), so terraform runs when its pid is journaled. */
export const KILL_POINTS: Record<string, (r: JournalRecord) => boolean> = {
  'terraform apply running': (r) => r.type === 'step.checkpoint' && r.step === 'create-cluster' && children(r).some((c) => c.tool === 'terraform apply' && c.pid !== undefined),
  'releases rendering': (r) => r.type === 'step.started' && r.step === 'install-gitpod',
  'alive test': (r) => r.type === 'step.started' && r.step === 'alive-test',
  registration: (r) => r.type === 'step.started' && r.step === 'register-cluster',
  'mid-shift': isEvent('traffic.step'),
  retirement: isEvent('retire.cordoned'),
};

/** Cases in flight at once: each is a deploy, a status and a resume, mostly waiting on terraform and shift intervals. */
const CONCURRENT = 4;
const GEN1 = 151;

/** Every live process now (zombies are gone, only not reaped: PID 1 of a container may never reap them): pid → ppid, start ticks. */
function processTable(): Map<number, { ppid: number; start: string }> {
  const table = new Map<number, { ppid: number; start: string }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') table.set(Number(name), { ppid: Number(fields[1]), start: fields[19] as string });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** What a process is, for a failure message. */
function describeProcess(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '(gone)';
  }
}

/** Whether the process is about the case's folder: its cwd or its command line names it. */
function touches(pid: number, dir: string): boolean {
  try {
    if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) return true;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

/**
 * Follows the CLI's process tree while it runs (every descendant ever seen, by pid and start time),
 * so a child left behind is found after the CLI is gone, wherever it was reparented.
 */
function watchTree(root: number): { seen: Map<number, string>; parents: Map<number, number>; stop(): void } {
  const seen = new Map<number, string>();
  /** Each descendant's parent when first seen: a tool's own children stay its, wherever they are reparented. */
  const parents = new Map<number, number>();
  const look = (): void => {
    const table = processTable();
    const tree = new Set([root]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [pid, p] of table) {
        if (!tree.has(pid) && tree.has(p.ppid)) {
          tree.add(pid);
          grew = true;
        }
      }
    }
    for (const pid of tree) {
      if (pid === root || seen.has(pid)) continue;
      seen.set(pid, table.get(pid)?.start ?? '');
      parents.set(pid, table.get(pid)?.ppid ?? 0);
    }
  };
  look();
  const timer = setInterval(look, 20);
  return { seen, parents, stop: () => clearInterval(timer) };
}

/** Processes of the case still running once the CLI exited: descendants seen earlier, and any process about the case's folder. */
function survivors(seen: Map<number, string>, dir: string): number[] {
  const table = processTable();
  const left = new Set<number>();
  for (const [pid, start] of seen) if (table.get(pid)?.start === start) left.add(pid);
  for (const pid of table.keys()) if (pid !== process.pid && touches(pid, dir)) left.add(pid);
  return [...left];
}

/** A journal being written: none yet (the folder comes first), or a last line still being appended, is no record yet. */
const journalSoFar = (stateDir: string) => (id: string): JournalRecord[] => {
  try {
    return readJournal(stateDir, id);
  } catch {
    return [];
  }
};

async function waitForRecord(stateDir: string, match: (r: JournalRecord) => boolean, running: Promise<CliResult>, what: string, clusterId = GEN1 + 1): Promise<void> {
  let exited = false;
  void running.then(() => (exited = true));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const journals = readdirSync(stateDir).filter((d) => /^\d{8}-\d{6}-/.test(d)).map(journalSoFar(stateDir));
    if (journals.some((j) => j[0]?.clusterId === clusterId && j.some(match))) return;
    if (exited) throw new Error(`the run ended before ${what}`);
    if (Date.now() > deadline) throw new Error(`no journal record for ${what} in 120 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Pids and tokens of the tool children the deployment journaled. */
function journaledChildren(journal: readonly JournalRecord[]): Set<number> {
  return new Set(journal.flatMap((r) => children(r).flatMap((c) => (c.pid === undefined ? [] : [c.pid]))));
}

function sandboxConfig(example: string): string {
  const doc = parse(withShiftTimes(example, { confidence: QUICK_GATE })) as Record<string, unknown> & { workspaceClusters: unknown[] };
  doc.workspaceClusters = doc.workspaceClusters.slice(0, 1);
  doc.terraform = { variables: { sandbox_apply_seconds: 3 } };
  return stringify(doc);
}

/** One case: generation 2 deployed, stopped by `sequence` at `point`, checked, resumed, checked. */
async function signalCase(ws: SandboxCopy, sequenceName: string, pointName: string): Promise<void> {
  const at = `${sequenceName} at ${pointName}`;
  const sequence = SEQUENCES[sequenceName] as Sequence;
  const run = startCli(['deploy', ...ws.common, '--cluster-id', String(GEN1 + 1)]);
  const tree = watchTree(run.child.pid as number);
  let result: CliResult;
  try {
    await waitForRecord(ws.stateDir, KILL_POINTS[pointName] as (r: JournalRecord) => boolean, run.done, `${at}: the kill point`);
    for (const [signal, delay] of sequence) {
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      run.child.kill(signal);
    }
    // Promptly: tools get their kill grace (10 s); anything much longer is a hang.
    const guard = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${at}: still running 60 s after the signal`)), 60_000).unref());
    result = await Promise.race([run.done, guard]);
  } finally {
    tree.stop();
  }
  // 130, whatever signal and however many; or killed by the SIGKILL when the run was still stopping then.
  const killed = sequence.some(([s]) => s === 'SIGKILL') && result.signal === 'SIGKILL';
  if (!killed) expect({ code: result.code, signal: result.signal }, `${at}: ${result.stderr.slice(-1500)}`).toEqual({ code: 130, signal: null });
  expect(result.stderr, at).not.toMatch(/\n\s+at /);

  const id = deploymentOf(ws.stateDir, GEN1 + 1);
  const before = readJournal(ws.stateDir, id);
  // What outlives the run: only tool children it journaled (resume waits for them), and only when it could not wait itself.
  const left = survivors(tree.seen, ws.dir);
  const journaled = journaledChildren(before);
  // A journaled tool's own descendants (terraform's local-exec `sh -c sleep 3`) are its to end: once the CLI is
  // killed they may outlive it with the tool, or for a moment after it, as terraform lets them; resume waits for the
  // tool. Seen under load (the sleep left over at 'SIGTERM then SIGKILL at terraform apply running').
  const ofJournaled = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && hops < 64; p = tree.parents.get(p), hops++) if (journaled.has(p)) return true;
    return false;
  };
  const unjournaled = left.filter((pid) => !ofJournaled(pid));
  expect(unjournaled.map((pid) => `${pid}: ${describeProcess(pid)}`), `${at}: processes left running that the journal does not name`).toEqual([]);
  if (sequence.length === 1) expect(left.map((pid) => `${pid}: ${describeProcess(pid)}`), `${at}: a single signal is waited out, children too`).toEqual([]);

  const status = await runCli(['status', id, ...ws.common, '--output', 'json']);
  expect(status.code, `${at}: ${status.stderr}`).toBe(0);
  expect((JSON.parse(status.stdout) as { state: string }).state, `${at}: status`).toBe('interrupted');

  const resumed = await runCli(['resume', id, ...ws.common]);
  expect(resumed.stderr, `${at}: ${resumed.stderr.slice(-2000)}`).not.toMatch(/\n\s+at /);
  expect(resumed.code, `${at}: ${resumed.stderr.slice(-2000)}`).toBe(0);
  expect(resumed.stdout, at).toMatch(new RegExp(`succeeded \\(cluster id ${GEN1 + 1}\\)`));

  // Nothing created twice, nothing orphaned: generation 2 exists once and serves, generation 1 is destroyed and deregistered.
  const journal = readJournal(ws.stateDir, id);
  const clusters = journaledClusters(journal);
  expect(tfstateFiles(ws.stateDir), at).toEqual(clusters.map((c) => `${c.full}.tfstate`).sort());
  for (const c of clusters) expect(clusterResources(ws.stateDir, c.full), `${at}: terraform_data.cluster in ${c.full}`).toBe(1);
  const list = await runCli(['clusters', 'list', ...ws.common, '--output', 'json']);
  expect(list.code, list.stderr).toBe(0);
  const registered = JSON.parse(list.stdout) as Array<{ name: string; state: string; score: number }>;
  expect(registered.map((c) => c.name).sort(), at).toEqual(clusters.map((c) => c.short).sort());
  for (const c of registered) expect(c, at).toMatchObject({ state: 'AVAILABLE', score: 100 });
  // Done before the signal: not started again.
  const doneBefore = new Set(before.filter((r) => r.type === 'step.succeeded' || r.type === 'step.skipped').map((r) => `${r.cluster}/${r.step}`));
  const rerun = journal.slice(before.length).filter((r) => r.type === 'step.started' && doneBefore.has(`${r.cluster}/${r.step}`));
  expect(rerun.map((r) => `${r.cluster}/${r.step}`), `${at}: steps re-run after being journaled done`).toEqual([]);
}

// Generation 1 once for both suites: each case and the second deploy work in a copy of it.
let gen1: GenerationOne;
beforeAll(async () => {
  if (hasTerraform) gen1 = await deployGenerationOne(GEN1, sandboxConfig);
}, 120_000);
afterAll(() => gen1?.cleanup());

describe.skipIf(!hasTerraform)('signal sequences at every kind of point', () => {
  it('exits promptly with its documented code, leaves nothing unjournaled running, and resumes to completion', { timeout: 600_000 } /* a hang guard */, async () => {
    // Each sequence at three of the six points, shifted by one per sequence: every point meets two or three
    // sequences, every sequence three points (the whole cross product takes twice as long for little more).
    const points = Object.keys(KILL_POINTS);
    const cases = Object.keys(SEQUENCES).flatMap((sequence, i) => [0, 1, 2].map((k) => ({ sequence, point: points[(i + k * 2) % points.length] as string })));
    // Every case runs and every failure is reported, not just the first.
    const failures: string[] = [];
    await forEachBounded(cases, CONCURRENT, async ({ sequence, point }) => {
      const ws = gen1.copy();
      try {
        await signalCase(ws, sequence, point);
      } catch (error) {
        failures.push((error as Error).message);
      }
      // A process of the case still writing into its folder makes the removal fail: say so, do not hide the case's own failure.
      try {
        ws.cleanup();
      } catch (error) {
        failures.push(`${sequence} at ${point}: cleanup: ${(error as Error).message}`);
      }
    });
    expect(failures).toEqual([]);
  });
});

describe.skipIf(!hasTerraform)('a second deploy while the first stops after SIGTERM', () => {
  it('is refused (3) naming the first while it stops, then as unfinished; the first resumes to completion', { timeout: 300_000 }, async () => {
    const ws = gen1.copy();
    try {
      const first = startCli(['deploy', ...ws.common, '--cluster-id', String(GEN1 + 11)]);
      const pid = first.child.pid as number;
      await waitForRecord(ws.stateDir, KILL_POINTS['terraform apply running'] as (r: JournalRecord) => boolean, first.done, 'terraform apply', GEN1 + 11);
      // Held mid-stop: the SIGTERM is delivered (handled, or pending until SIGCONT), the process has not exited.
      first.child.kill('SIGTERM');
      first.child.kill('SIGSTOP');
      try {
        const second = await runCli(['deploy', ...ws.common, '--cluster-id', String(GEN1 + 12)]);
        expect(second.code, second.stderr).toBe(3);
        expect(second.stderr).toMatch(new RegExp(`is locked by pid ${pid} on \\S+, deployment \\S+ \\(deploy\\)`));
      } finally {
        first.child.kill('SIGCONT');
      }
      expect((await first.done).code).toBe(130);
      const id = deploymentOf(ws.stateDir, GEN1 + 11);
      const again = await runCli(['deploy', ...ws.common, '--cluster-id', String(GEN1 + 12)]);
      expect(again.code, again.stderr).toBe(3);
      expect(again.stderr).toContain(`deployment ${id} of this environment did not finish (interrupted`);
      // Neither refusal started a deployment of its own.
      expect(readdirSync(ws.stateDir).filter((d) => /^\d{8}-\d{6}-/.test(d))).toHaveLength(2);
      const resumed = await runCli(['resume', id, ...ws.common]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(new RegExp(`succeeded \\(cluster id ${GEN1 + 11}\\)`));
    } finally {
      ws.cleanup();
    }
  });
});
