/**
 * A command asked for `--output json` that fails (a damaged or unreadable journal, an unknown id, a missing or wrong
 * state dir, a bad flag, a bad config, an unreachable registry) prints nothing on stdout: a script's
 * `ws-deployment status ID --output json | jq …` never meets a line that is not JSON, nor half a document. The error
 * goes to stderr, as every error of this tool and of kubectl, helm or gh with `-o json` (and as one NDJSON `cli.error`
 * event with --json-log, the tool's machine-readable errors), and the exit code is not 0.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import { runCli } from '../helpers/cli.js';
import { CASES, makeCase } from './outcome-readers-agree.fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'wsd-json-errors-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const damaged = join(root, 'damaged');
const folder = join(root, 'folder');
const aFile = join(root, 'a-file');
const badConfig = join(root, 'bad.yaml');
const ID = '20260102-000001-aaaa';

beforeAll(async () => {
  const failed = CASES.find((c) => c.outcome === 'failed')!;
  writeFileSync(join(root, 'c.yaml'), 'version: v1\n');
  for (const dir of [damaged, folder]) await makeCase(new FileStateStore(dir), { ...failed, id: ID }, join(root, 'c.yaml'));
  // A line of the journal damaged, the snapshot (a cache) gone: the journal cannot be read.
  const journal = join(damaged, ID, 'journal.ndjson');
  const lines = readFileSync(journal, 'utf8').split('\n');
  lines[1] = 'garbage{{';
  writeFileSync(journal, lines.join('\n'));
  rmSync(join(damaged, ID, 'snapshot.json'), { force: true });
  // The journal a folder: unreadable as a file.
  rmSync(join(folder, ID), { recursive: true, force: true });
  mkdirSync(join(folder, ID, 'journal.ndjson'), { recursive: true });
  writeFileSync(aFile, 'not a state dir\n');
  writeFileSync(badConfig, 'version: v2\n');
});

/** Each failing command, the exit code it documents, and words of the error that name the problem. */
const FAILING: Array<{ args: string[]; code: number; says: RegExp }> = [
  { args: ['status', ID, '--output', 'json', '--state-dir', damaged], code: 1, says: /line 2 is not valid JSON/ },
  { args: ['status', '--output', 'json', '--state-dir', damaged], code: 1, says: /line 2 is not valid JSON/ },
  { args: ['status', ID, '--output', 'json', '--state-dir', folder], code: 1, says: /is a folder, not the journal file/ },
  { args: ['status', '20260102-000009-aaaa', '--output', 'json', '--state-dir', damaged], code: 2, says: /deployment 20260102-000009-aaaa not found/ },
  { args: ['status', 'nope', '--output', 'json', '--state-dir', damaged], code: 2, says: /deployment nope not found in/ },
  { args: ['status', '--output', 'json', '--state-dir', join(root, 'missing')], code: 2, says: /no deployments in .*missing: the folder does not exist; pass the --state-dir \(or --state\) the deployments ran with/ },
  // A missing state dir is no empty list (`[]`, exit 0): the same error as status of the newest.
  { args: ['status', '--all', '--output', 'json', '--state-dir', join(root, 'missing')], code: 2, says: /no deployments in .*missing: the folder does not exist; pass the --state-dir \(or --state\) the deployments ran with/ },
  { args: ['status', ID, '--output', 'json', '--state-dir', join(root, 'missing')], code: 2, says: /no deployments in .*missing: the folder does not exist/ },
  { args: ['status', '--output', 'json', '--state-dir', aFile], code: 1, says: /it is a file, not a folder/ },
  { args: ['status', '--all', '--output', 'json', '--state-dir', aFile], code: 1, says: /it is a file, not a folder/ },
  { args: ['status', '--output', 'json', '--bogus', '--state-dir', damaged], code: 2, says: /unknown option '--bogus'/ },
  { args: ['status', ID, '--all', '--output', 'json', '--state-dir', damaged], code: 2, says: /either a deployment id or --all/ },
  { args: ['status', '--watch', '--output', 'json', '--state-dir', damaged], code: 2, says: /--watch shows one deployment as text/ },
  { args: ['plan', '--output', 'json', '--config', join(root, 'missing.yaml'), '--state-dir', damaged], code: 2, says: /config file .*missing\.yaml does not exist/ },
  { args: ['plan', '--output', 'json', '--config', badConfig, '--state-dir', damaged], code: 2, says: /unsupported config version "v2"/ },
  { args: ['clusters', 'list', '--output', 'json', '--config', badConfig], code: 2, says: /unsupported config version "v2"/ },
  { args: ['clusters', 'list', '--output', 'json', '--bridge', '127.0.0.1:1'], code: 1, says: /cannot reach the cluster registry of 127\.0\.0\.1:1/ },
];

describe('--output json of a command that fails', { timeout: 180_000 }, () => {
  it('prints nothing on stdout, the error on stderr, and exits non-zero', async () => {
    for (const f of FAILING) {
      const r = await runCli(f.args);
      const what = f.args.join(' ');
      // What `| jq` reads: nothing, never a plain line or a cut document.
      expect.soft(r.stdout, what).toBe('');
      expect.soft(r.code, `${what}\n${r.stderr}`).toBe(f.code);
      expect.soft(r.stderr, what).toMatch(f.says);
    }
  });

  it('with --json-log, the error is one NDJSON event on stderr, every stderr line JSON', async () => {
    for (const f of FAILING) {
      const r = await runCli([...f.args, '--json-log']);
      const what = f.args.join(' ');
      expect.soft(r.stdout, what).toBe('');
      expect.soft(r.code, what).toBe(f.code);
      const events = r.stderr
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { level: string; code: string; message: string; data: { error: string; exitCode: number } });
      const last = events.at(-1)!;
      expect.soft(last.code, what).toBe('cli.error');
      expect.soft(last.data.exitCode, what).toBe(f.code);
      expect.soft(last.message, what).toMatch(f.says);
    }
  });
});
