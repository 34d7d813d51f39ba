/**
 * The whole commander program in-process: every usage error, at any depth of
 * the command tree, reaches main's one error handler (exit 2, a message that
 * says what is allowed), never commander's process.exit(1) or silence.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { ErrorOutput } from '../../../src/cli/render/error-output.js';

function stream() {
  const chunks: string[] = [];
  return { write: (t: string) => chunks.push(t), text: () => chunks.join('') };
}

interface Outcome {
  code: number;
  err: string;
}

/** Runs the program as main() does, with stderr captured. */
async function run(args: string[], options: { jsonLog?: boolean } = {}): Promise<Outcome> {
  const err = stream();
  const errors = new ErrorOutput(options.jsonLog ?? false, err, stream());
  let code = 0;
  try {
    await buildProgram({ errors }).parseAsync(['node', 'ws-deployment', ...args]);
  } catch (error) {
    code = errors.report(error);
  }
  return { code, err: err.text() };
}

const tmp = mkdtempSync(join(tmpdir(), 'wsd-cli-errors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('usage errors exit 2 everywhere in the command tree', () => {
  it.each([
    [['clusters', 'list', '--frob'], "unknown option '--frob'"],
    [['clusters', 'register', '--reachability'], "unknown option '--reachability'"],
    [['sandbox', 'registry', '--port', '99999'], '--port must be 0–65535, got "99999"'],
    [['clusters', 'update', '--name', 'eu17', 'score'], "missing required argument 'n'"],
    [['deploy', '--frob'], "unknown option '--frob'"],
  ])('%j', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
  });
});

describe('--skip taking out every step --only names', () => {
  it.each([['deploy'], ['plan'], ['resume']])('%s refuses it before anything runs (it would run nothing and succeed)', async (command) => {
    const result = await run([command, '--only', 'create-cluster', '--skip', 'alive-test,create-cluster', '--config', join(tmp, 'absent.yaml'), '--state-dir', join(tmp, 'state')]);
    expect(result.code).toBe(2);
    expect(result.err).toBe('error: --skip removes every step --only names (create-cluster), so nothing would run; drop one of the two flags, or name in --only a step --skip leaves\n');
  });

  it('--skip taking out some of them is fine (it subtracts): the run goes on to the config', async () => {
    const result = await run(['plan', '--only', 'alive-test,traffic-shift', '--skip', 'traffic-shift', '--config', join(tmp, 'absent.yaml')]);
    expect(result.err).toMatch(/^error: config file .*absent\.yaml does not exist/);
  });
});

describe('clusters: scores and names are checked with a message saying what is allowed', () => {
  it.each([
    ['score', 'abc'],
    ['score', '1.5'],
    ['score', '-2147483649'],
    ['score', '2147483648'],
    ['max-score', '-1.5'],
  ])('update %s %s', async (property, value) => {
    const result = await run(['clusters', '--bridge', '127.0.0.1:1', 'update', '--name', 'eu17', property, value]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`${property} must be a whole number from -2147483648 to 2147483647`);
    expect(result.err).toContain(`got "${value}"`);
  });

  it('register --name refuses what is not a registry short name', async () => {
    const result = await run(['clusters', '--bridge', '127.0.0.1:1', 'register', '--name', 'EU 17;rm', '--url', 'dns:///x:1', '--tls-path', tmp]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('"EU 17;rm" is not a valid registry name; use at most 63 lowercase letters, digits and dashes');
  });

  it('register --from-file refuses the same names', async () => {
    const b64 = Buffer.from('pem').toString('base64');
    const file = join(tmp, 'request.json');
    writeFileSync(file, JSON.stringify({ name: 'Eu_17', url: 'dns:///x:1', tls: { ca: b64, crt: b64, key: b64 } }));
    const result = await run(['clusters', '--bridge', '127.0.0.1:1', 'register', '--from-file', file]);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`error: ${file}: name "Eu_17" is not a valid registry name; use at most 63 lowercase letters, digits and dashes, not starting or ending with a dash, e.g. eu17\n`);
  });
});

describe('--json-log: the final error is one NDJSON event, also when parsing fails', () => {
  it.each([
    [['--json-log', 'clusters', 'list', '--frob']],
    [['--json-log', 'deploy', '--concurrency', 'abc']],
    [['--json-log', 'frob']],
    [['--json-log', 'clusters', 'update', '--name', 'eu17', 'score', '-5.5']],
    [['status', 'nope', '--json-log', '--state-dir', tmp]],
  ])('%j', async (args) => {
    const result = await run(args, { jsonLog: true });
    expect(result.code).toBe(2);
    const lines = result.err.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'error', code: 'cli.error', data: { exitCode: 2 } });
  });
});

describe('status', () => {
  it('an unknown deployment id exits 2 (the user named something that is not there)', async () => {
    const result = await run(['status', 'nope', '--state-dir', tmp]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^error: deployment nope not found in /);
  });

  it('--state-dir naming a regular file is a clear state error, not an internal one', async () => {
    const file = join(tmp, 'not-a-dir');
    writeFileSync(file, '');
    const result = await run(['status', '--state-dir', file]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(`error: cannot list ${file} (ENOTDIR): it is a file, not a folder; pass --state-dir DIR with a folder\n`);
  });
});
