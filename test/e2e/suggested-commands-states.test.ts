/**
 * What the operator is told is what happens, in every state: the sandbox is brought into each state an
 * operator meets (held at a manual gate in CI, a first generation that failed, a rolled-back shift, a
 * retry refused, the lock held by a live run, a damaged deployment: its journal deleted while its
 * clusters' folders remain, or its snapshot ahead of its journal), every `ws-deployment …` command
 * suggested there (status text and JSON, the summary, stderr, the HTML report) is collected, and each
 * one is run as printed against a copy of that state: it is accepted (no usage error) and does what it
 * said (see `expectations`). The webhooks each run sent are read as well: every command in them
 * (`data.command`, `data.promote`, …) is run in the state that sent it, as the printed ones are. A `clusters`
 * command suggested where no config was named is no command but words saying what to add (its registry is
 * reached through the config): followed as they say, it lists the registry.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCli, type CliResult } from '../helpers/cli.js';
import { requireBinary } from '../helpers/require-binary.js';
import { QUICK_GATE } from '../helpers/sandbox-config.js';
import { useGeneration1 } from '../helpers/shift-workspace.js';
import { commandsIn, shWords } from '../helpers/suggested-commands.js';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

interface Suggestion {
  state: string;
  stateDir: string;
  command: string;
}

describe.skipIf(!hasTerraform)('suggested commands in each state', () => {
  // Its own HOME, without a default config (~/ws-deployment.yaml): the machine's own must not decide what is printed.
  const home = mkdtempSync(join(tmpdir(), 'wsd-states-home-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const startIn = (args: string[], o: { cwd?: string; env?: Record<string, string> } = {}): ReturnType<typeof startCli> => startCli(args, { ...o, env: { HOME: home, ...o.env } });
  const cli = (args: string[], o: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> => startIn(args, o).done;
  let hooks: Receiver | undefined;
  // Generation 1 runs without webhooks; every run of the test sends them (the configs below are made from this one).
  // The gate passes on its minSamples (QUICK_GATE): what is suggested does not depend on how much evidence a step
  // waits for, and at the example's confidence the retried shift and the resume to the held gate took 80 of 140 s.
  const ws = useGeneration1(
    290,
    async (w) => {
      hooks = await startReceiver('ok');
      w.addWebhooks([{ url: `${hooks.url}/hook` }]);
    },
    { times: { interval: '2s', bake: '2s', staff: '2s', confidence: QUICK_GATE } },
  );
  afterAll(async () => hooks?.close());
  const suggestions: Suggestion[] = [];
  /** The commands webhooks carried, with the state whose run sent them. */
  const hooked: Suggestion[] = [];
  const elsewhere = (): string => {
    const dir = join(ws.dir, 'elsewhere');
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const collect = (state: string, stateDir: string, ...texts: string[]): void => {
    for (const command of texts.flatMap(commandsIn)) if (!suggestions.some((s) => s.command === command && s.state === state)) suggestions.push({ state, stateDir, command });
  };
  /** The webhooks received since `mark` (a count of them), their commands collected as the state's. */
  const collectHooks = (state: string, stateDir: string, mark: number): void => {
    const bodies = hooks!.received.slice(mark).map((r) => JSON.stringify(r.body));
    for (const command of bodies.flatMap(commandsIn)) hooked.push({ state, stateDir, command });
    collect(state, stateDir, ...bodies);
  };
  const mark = (): number => hooks!.received.length;
  /** status (text, JSON), status --all and the report of `id`, collected. */
  const views = async (state: string, stateDir: string, id?: string, extra: string[] = []): Promise<void> => {
    const ids = id ? [id, ...extra] : extra;
    for (const args of [['status', ...ids], ['status', ...ids, '--output', 'json'], ['status', '--all', ...extra], ['status', '--all', '--output', 'json', ...extra], ['report', ...ids]]) {
      const r = await cli([...args, '--state-dir', stateDir], { cwd: elsewhere() });
      collect(state, stateDir, r.stdout, r.stderr);
    }
  };
  let n = 0;
  /** Runs `command` as printed against a copy of the state it was suggested in. */
  const run = async (s: Suggestion): Promise<CliResult & Suggestion> => {
    const copy = join(ws.dir, `run-${++n}`);
    rmSync(copy, { recursive: true, force: true });
    cpSync(s.stateDir, copy, { recursive: true });
    const args = shWords(s.command, {})
      .slice(1)
      .map((w) => (w === s.stateDir ? copy : w));
    return { ...s, ...(await cli(args, { cwd: elsewhere() })) };
  };

  it('every suggested command is accepted and does what it says', async () => {
    const base = ws.stateDir;
    const gen1 = await ws.newestId();

    // A first generation that failed (a fresh state dir).
    const firstDir = join(ws.dir, 'first');
    const watchConfig = join(dirname(ws.config), 'watch.yaml');
    writeFileSync(watchConfig, readFileSync(ws.config, 'utf8').replace(/sampleDeadline: 60s/, 'sampleDeadline: 60s\n    firstGenerationWatch: 10s'));
    let m = mark();
    const first = await cli(['deploy', '--config', watchConfig, '--state-dir', firstDir, '--cluster-id', '291', '--inject-fault', 'eu291:0.9']);
    expect(first.code, first.stderr).toBe(1);
    collect('first-generation-failed', firstDir, first.stdout, first.stderr);
    collectHooks('first-generation-failed', firstDir, m);
    await views('first-generation-failed', firstDir, await ws.newestId(firstDir));

    // A rolled-back shift (the retry is offered).
    const rolledDir = ws.copyState('rolled');
    m = mark();
    const rolled = await cli(['deploy', ...ws.args(rolledDir), '--cluster-id', '292', '--inject-fault', 'eu292:0.9']);
    expect(rolled.code, rolled.stderr).toBe(1);
    collect('rolled-back', rolledDir, rolled.stdout, rolled.stderr);
    collectHooks('rolled-back', rolledDir, m);
    const rolledId = await ws.newestId(rolledDir);
    await views('rolled-back', rolledDir, rolledId);

    // Held at a manual gate in CI: refused up front; then a run past beforeStart (--yes) killed, resumed in CI, holds at beforeIncrease.
    const gateConfig = join(dirname(ws.config), 'gate.yaml');
    writeFileSync(gateConfig, readFileSync(ws.config, 'utf8').replace('gates: { beforeDestroy: auto }', 'gates: { beforeIncrease: manual, beforeDestroy: auto }'));
    const heldDir = ws.copyState('held');
    m = mark();
    const refused = await cli(['deploy', '--config', gateConfig, '--state-dir', heldDir, '--cluster-id', '293']);
    expect(refused.code, refused.stderr).toBe(3);
    collect('gate refused up front', heldDir, refused.stdout, refused.stderr);
    collectHooks('gate refused up front', heldDir, m);
    const live = startIn(['deploy', '--config', gateConfig, '--state-dir', heldDir, '--cluster-id', '293', '--yes']);
    await live.waitFor(/traffic-shift: step 1\/3/, 180_000);
    live.child.kill('SIGKILL');
    collect('killed', heldDir, (await live.done).stderr);
    const heldId = await ws.newestId(heldDir);
    m = mark();
    const held = await cli(['resume', heldId, '--state-dir', heldDir]);
    expect(held.code, held.stderr).toBe(3);
    collect('held', heldDir, held.stdout, held.stderr);
    collectHooks('held', heldDir, m);
    await views('held', heldDir, heldId);

    // A retry refused: of a shift that did not roll back (held), and of one that succeeded.
    for (const [dir, id] of [[heldDir, heldId], [base, gen1]] as const) {
      const retry = await cli(['resume', id, '--retry-shift', '--state-dir', dir]);
      expect(retry.code, retry.stderr).toBe(3);
      collect('retry refused', dir, retry.stdout, retry.stderr);
    }
    // The held one's refusal, followed as written (its commands in order, on one copy), gets the run past the gate.
    const retryHeld = await cli(['resume', heldId, '--retry-shift', '--state-dir', heldDir]);
    const followed = join(ws.dir, 'followed');
    cpSync(heldDir, followed, { recursive: true });
    let last: CliResult | undefined;
    for (const command of commandsIn(retryHeld.stderr)) last = await cli(shWords(command, {}).slice(1).map((w) => (w === heldDir ? followed : w)), { cwd: elsewhere() });
    expect(last && [0, 1].includes(last.code ?? -1), `${retryHeld.stderr}\n${last?.stderr}`).toBe(true);

    // The lock held by a live run: what a second deploy, a resume and status say meanwhile.
    const lockDir = ws.copyState('lock');
    // The holder's gate at the example's confidence: its step 1 waits for ~35 starts (about half a minute), so the
    // lock is still held while the commands below run (at QUICK_GATE the whole shift could end in seconds).
    const lockConfig = join(dirname(ws.config), 'lock.yaml');
    const quick = readFileSync(ws.config, 'utf8');
    writeFileSync(lockConfig, quick.replace(`, confidence: ${QUICK_GATE}`, ''));
    expect(readFileSync(lockConfig, 'utf8')).not.toBe(quick);
    const holder = startIn(['deploy', '--config', lockConfig, '--state-dir', lockDir, '--cluster-id', '294']);
    await holder.waitFor(/traffic-shift: step 1\/3/, 180_000);
    const lockId = await ws.newestId(lockDir);
    for (const args of [['deploy', ...ws.args(lockDir), '--cluster-id', '295'], ['resume', lockId, '--state-dir', lockDir], ['resume', gen1, '--state-dir', lockDir]]) {
      const r = await cli(args);
      collect('locked', lockDir, r.stdout, r.stderr);
    }
    await views('locked', lockDir, lockId);
    const lockedSuggestions = suggestions.filter((s) => s.state === 'locked');
    const whileLocked = [];
    for (const s of lockedSuggestions) whileLocked.push({ ...s, ...(await cli(shWords(s.command, {}).slice(1), { cwd: elsewhere() })) });
    holder.child.kill('SIGINT');
    await holder.done;

    // Damaged: the journal deleted while the clusters' folders remain; the snapshot ahead of the journal.
    const deletedDir = ws.copyState('deleted');
    rmSync(join(deletedDir, gen1, 'journal.ndjson'));
    const lostDir = ws.copyState('lost');
    const journal = join(lostDir, gen1, 'journal.ndjson');
    writeFileSync(journal, `${readFileSync(journal, 'utf8').split('\n').filter(Boolean).slice(0, -2).join('\n')}\n`);
    const addConfig = /ws-deployment clusters list --state-dir (\S+) \(add --config <your config>\)/;
    for (const [state, dir] of [['journal deleted', deletedDir], ['records lost', lostDir]] as const) {
      // A damaged journal's fix suggests `clusters list`, whose registry is reached through the config: with the
      // config named, as a command; without, in words saying to add it (collected too: a command there would be run).
      for (const args of [['deploy', ...ws.args(dir), '--cluster-id', '296'], ['resume', gen1, ...ws.args(dir)], ['status', gen1, ...ws.args(dir)], ['resume', gen1, '--state-dir', dir], ['status', gen1, '--state-dir', dir]]) {
        const r = await cli(args);
        collect(state, dir, r.stdout, r.stderr);
      }
      // With the config named (the clusters' registry is found through it).
      await views(state, dir, gen1, ['--config', ws.config]);
    }

    // Without a config, the words say what to add; followed (its --config added), the command lists the registry.
    const bare = await cli(['status', gen1, '--state-dir', deletedDir], { cwd: elsewhere() });
    const words = addConfig.exec(bare.stderr);
    expect(words, bare.stderr).not.toBeNull();
    expect(bare.stderr).not.toMatch(/`ws-deployment clusters [^`]*`/);
    const listed = await cli(['clusters', 'list', '--state-dir', words![1]!, '--config', ws.config, '--output', 'json'], { cwd: elsewhere() });
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((c) => c.name)).toContain('eu290');
    // As the words say: without the config, the command is refused (exit 2, naming --config).
    const unfollowed = await cli(['clusters', 'list', '--state-dir', words![1]!], { cwd: elsewhere(), env: { HOME: elsewhere() } });
    expect(unfollowed.code).toBe(2);
    expect(unfollowed.stderr).toMatch(/--config/);

    // Records lost: the fix's way to accept the loss (move the snapshot out of the way) lets status read it again.
    const lost = await cli(['status', gen1, '--state-dir', lostDir]);
    const mv = /`mv (\S+) (\S+)`/.exec(lost.stderr);
    expect(mv, lost.stderr).not.toBeNull();
    renameSync(mv![1]!, mv![2]!);
    expect((await cli(['status', gen1, '--state-dir', lostDir])).code).toBe(0);

    const results = [...whileLocked];
    for (const s of suggestions.filter((x) => x.state !== 'locked')) results.push(await run(s));
    // Accepted (no usage error); what only reads (status, report, clusters list) succeeds; a retry offered runs.
    const reads = /^ws-deployment (status|report|clusters list)\b/;
    const broken = results.filter(
      (r) =>
        r.code === 2 ||
        /not found|usage|unknown (option|command)/i.test(r.stderr) ||
        (reads.test(r.command) && r.code !== 0) ||
        (r.state === 'rolled-back' && /--retry-shift/.test(r.command) && r.code !== 0),
    );
    expect(results.length).toBeGreaterThan(0);
    // Every command a webhook carried was run in the state whose run sent it; the gate's and the rollback's among them.
    expect(hooked.map((h) => h.state)).toEqual(expect.arrayContaining(['rolled-back', 'held']));
    for (const h of hooked) expect(results.some((r) => r.state === h.state && r.command === h.command), `[${h.state}] ${h.command}`).toBe(true);
    expect(broken.map((r) => `[${r.state}] ${r.command}: exit ${r.code}: ${r.stderr}`), `${results.length} commands run`).toEqual([]);
  }, 900_000);
});
