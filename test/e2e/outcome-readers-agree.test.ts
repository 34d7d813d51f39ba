/**
 * Every reader says how a deployment ended in the same words: `status` (head line), `status --output json`
 * (`outcome`), `status --all` (STATE, and `outcome` in JSON) and the HTML report (its head), for journals of
 * each outcome written to a real file store. A superseded deployment is over everywhere: no reader tells the
 * operator to `resume` it (its interruption's message said so) or that `resume` runs its excluded steps.
 * And every reader suggests the same commands (the `ws-deployment …` ones, completed with the flags that reach
 * the state), in each state built here (held at a gate, paused, its rollback paused, failed, rolled back, a
 * first generation failed, partial, killed, superseded, running at a gate, with `shift` commands queued): what a
 * script reads in the JSON is what an operator reads in the text and the report. A damaged journal is refused by
 * each in the same words.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import { runCli } from '../helpers/cli.js';
import { commandsIn } from '../helpers/suggested-commands.js';
import { CASES, holdLiveLocks, makeCase, type OutcomeCase } from './outcome-readers-agree.fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'wsd-outcome-readers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
// The config the deployments ran with exists: the commands that read one (retire) are commands, not words.
const config = join(root, 'c.yaml');
writeFileSync(config, 'version: v1\n');

const make = (store: FileStateStore, c: OutcomeCase): Promise<void> => makeCase(store, c, config);

describe('every reader says the same outcome', { timeout: 120_000 }, () => {
  it('status, status --output json, status --all (text and JSON) and the report agree, per outcome', async () => {
    const store = new FileStateStore(root);
    for (const c of CASES) await make(store, c);
    const held = await holdLiveLocks(store, root);
    onTestFinished(async () => {
      for (const lock of held) await lock.release();
    });
    const all = await runCli(['status', '--all', '--state-dir', root]);
    const allJson = JSON.parse((await runCli(['status', '--all', '--output', 'json', '--state-dir', root])).stdout) as Array<{ id: string; outcome?: string; supersededBy?: string }>;
    for (const c of CASES) {
      const text = await runCli(['status', c.id, '--state-dir', root]);
      expect(text.stdout.split('\n')[0], c.id).toBe(`deployment ${c.id}: ${c.words} (cluster id 101)`);
      const json = JSON.parse((await runCli(['status', c.id, '--output', 'json', '--state-dir', root])).stdout) as { outcome: string; retirement?: { line: string } };
      expect(json.outcome, c.id).toBe(c.outcome);
      // A retirement stopped part-way: which old clusters are destroyed and which still registered or existing, in one line.
      expect(json.retirement?.line, c.id).toBe(c.retirement);
      if (c.retirement) expect(text.stdout, c.id).toContain(`\n${c.retirement}\n`);
      const row = all.stdout.split('\n').find((l) => l.startsWith(c.id)) ?? '';
      const listed = allJson.find((d) => d.id === c.id)!;
      if (c.outcome === 'superseded') {
        expect(row).toMatch(/ interrupted, superseded /);
        expect(listed.supersededBy).toBe('20260101-000004-aaaa');
      } else if (c.outcome === 'partial') {
        expect(row, c.id).toContain(' partial (2 excluded) ');
      } else {
        expect(row, c.id).toContain(` ${c.words} `);
        // `status --all --output json` has an outcome for a failed deployment only.
        if (!['succeeded', 'interrupted', 'running'].includes(c.outcome)) expect(listed.outcome, c.id).toBe(c.outcome);
      }
      const out = join(root, `${c.id}.html`);
      expect((await runCli(['report', c.id, '--output', out, '--state-dir', root])).code).toBe(0);
      const html = readFileSync(out, 'utf8');
      expect(/<p class="state [^"]*" data-state="[^"]*">([^<]*)<\/p>/.exec(html)?.[1], c.id).toBe(c.words);
      expect(/<p class="retirement">([^<]*)<\/p>/.exec(html)?.[1], c.id).toBe(c.retirement);
      // Nothing tells the operator to resume what nothing resumes.
      if (c.outcome === 'superseded') {
        for (const said of [text.stdout, html]) expect(said).not.toMatch(/continue it with/);
        expect(html).toContain('superseded: the newer deployment 20260101-000004-aaaa moved this environment');
      }
      // The same commands, whatever the formatting (backticks, HTML escaping, JSON strings).
      const suggested = (output: string): string[] => [...new Set(commandsIn(output))].sort();
      const jsonSaid = (await runCli(['status', c.id, '--output', 'json', '--state-dir', root])).stdout;
      expect.soft(suggested(jsonSaid), `${c.id}: status --output json`).toEqual(suggested(text.stdout));
      expect.soft(suggested(html), `${c.id}: report`).toEqual(suggested(text.stdout));
      // Each state that leaves something to do names its command (a first generation that failed: a new deployment, in words).
      if (c.outcome !== 'succeeded' && c.outcome !== 'first-generation-failed') expect(suggested(text.stdout).length, c.id).toBeGreaterThan(0);
    }
  });
});

describe('a damaged deployment', { timeout: 120_000 }, () => {
  it('status, status --output json and report refuse it in the same words, with the same fix', async () => {
    const dir = join(root, 'damaged');
    const failed = CASES.find((c) => c.outcome === 'failed')!;
    await make(new FileStateStore(dir), { ...failed, id: '20260102-000001-aaaa' });
    const journal = join(dir, '20260102-000001-aaaa', 'journal.ndjson');
    const lines = readFileSync(journal, 'utf8').split('\n');
    lines[1] = 'garbage{{';
    writeFileSync(journal, lines.join('\n'));
    rmSync(join(dir, '20260102-000001-aaaa', 'snapshot.json'), { force: true });
    const said = [
      await runCli(['status', '20260102-000001-aaaa', '--state-dir', dir]),
      await runCli(['status', '20260102-000001-aaaa', '--output', 'json', '--state-dir', dir]),
      await runCli(['report', '20260102-000001-aaaa', '--output', join(root, 'damaged.html'), '--state-dir', dir]),
    ];
    for (const r of said) expect(r.code, r.stderr).toBe(1);
    expect(said[0]!.stderr).toMatch(/line 2 is not valid JSON.*restore .* from a backup of the state dir/);
    expect(said.map((r) => r.stderr)).toEqual(said.map(() => said[0]!.stderr));
  });
});

describe('a state dir copied while its deployment runs', { timeout: 120_000 }, () => {
  it('every reader of the copy says the run goes on in the original, and suggests the same commands', async () => {
    const original = join(root, 'original');
    const store = new FileStateStore(original);
    const killed = CASES.find((c) => c.id === '20260101-000008-aaaa')!;
    await make(store, killed);
    // This test process is the live run holding the original's lock.
    const lock = await store.lock({ project: 'p', environment: killed.env }, { deploymentId: killed.id, command: 'deploy' });
    onTestFinished(() => lock.release());
    const copy = join(root, 'copy');
    cpSync(original, copy, { recursive: true });
    const text = (await runCli(['status', killed.id, '--state-dir', copy])).stdout;
    const json = (await runCli(['status', killed.id, '--output', 'json', '--state-dir', copy])).stdout;
    const out = join(root, 'copy.html');
    expect((await runCli(['report', killed.id, '--output', out, '--state-dir', copy])).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    // The watch (on a pipe) of the copy ends at once, as the others say it.
    const watched = await runCli(['status', '--watch', killed.id, '--state-dir', copy]);
    expect(watched.code).toBe(130);
    for (const said of [text, JSON.parse(json).error.message as string, html, watched.stdout]) expect(said).toContain('this state dir is a copy: its lock was copied from');
    const suggested = (output: string): string[] => [...new Set(commandsIn(output))].sort();
    expect(suggested(text).length).toBeGreaterThan(0);
    expect(suggested(json)).toEqual(suggested(text));
    expect(suggested(html)).toEqual(suggested(text));
    expect(suggested(watched.stdout)).toEqual(suggested(text));
  });
});
