/**
 * Errors through the real CLI process: exit codes from the README table, a
 * message on every usage error, the --bridge hint of a registry NOT_FOUND, and
 * with --json-log nothing on stderr but NDJSON. Against `sandbox registry`
 * started as users start it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type CliRun } from '../helpers/cli.js';

function ndjsonOnly(stderr: string): Array<Record<string, unknown>> {
  const lines = stderr.split('\n').filter(Boolean);
  expect(lines.length).toBeGreaterThan(0);
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('CLI errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-cli-errors-'));
  const stateDir = join(dir, 'state');
  let registry: CliRun;
  let address: string;

  beforeAll(async () => {
    registry = startCli(['sandbox', 'registry', '--registry-file', join(dir, 'registry.json'), '--reachability', 'none']);
    const line = await registry.waitFor(/^registry listening on /);
    address = /listening on (\S+) \(state (.+)\); stop with Ctrl-C$/.exec(line)?.[1] ?? '';
    expect(line).toContain(`(state ${join(dir, 'registry.json')})`);
  });

  afterAll(async () => {
    registry.child.kill('SIGINT');
    const stopped = await registry.done;
    rmSync(dir, { recursive: true, force: true });
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toBe(`${address}\n`);
  });

  it('a cluster name the registry does not know exits 2 and the hint repeats --bridge', async () => {
    const result = await runCli(['clusters', '--bridge', address, 'update', '--name', 'nope', 'score', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`error: cluster nope is not registered with ${address}; see the registered names with \`ws-deployment clusters list --bridge ${address}\`\n`);
  });

  it('usage errors under clusters exit 2 with a message, not 1 or silence', async () => {
    const unknown = await runCli(['clusters', 'list', '--bridge', address, '--frob']);
    expect([unknown.code, unknown.stderr]).toEqual([2, "error: unknown option '--frob'\n(run with --help for usage)\n"]);
    const missing = await runCli(['clusters', '--bridge', address, 'update', '--name', 'eu17', 'score']);
    expect(missing.code).toBe(2);
    const bad = await runCli(['clusters', '--bridge', address, 'update', '--name', 'eu17', 'score', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('score must be a whole number from -2147483648 to 2147483647');
  });

  it('--json-log: every stderr line is one JSON event, the final error included', async () => {
    const cases: Array<[string[], number, string]> = [
      [['--json-log', 'clusters', '--bridge', address, 'cordon', '--name', 'nope'], 2, 'RegistryNotFound'],
      [['--json-log', 'status', 'nope', '--state-dir', stateDir], 2, 'DeploymentNotFound'],
      [['--json-log', '--config', join(dir, 'missing.yaml'), 'deploy'], 2, 'ConfigInvalid'],
      [['--json-log', 'deploy', '--concurrency', 'abc'], 2, 'UsageError'],
      [['--json-log', 'frob'], 2, 'UsageError'],
      [['--json-log', 'clusters', 'list', '--bridge', '127.0.0.1:1'], 1, 'RegistryUnavailable'],
      // A warning of the clusters command itself comes before the error, as an event too.
      [['--json-log', 'clusters', '--bridge', address, 'update', '--name', 'nope', 'score', '--', '-5'], 2, 'RegistryNotFound'],
    ];
    for (const [args, code, error] of cases) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(code);
      const events = ndjsonOnly(result.stderr);
      expect(events.at(-1), args.join(' ')).toMatchObject({ level: 'error', code: 'cli.error', data: { error, exitCode: code } });
    }
  });

  it('`resume` with neither id nor config and nothing unfinished says so, not that the default config is missing', async () => {
    const result = await runCli(['resume', '--state-dir', stateDir], { env: { HOME: dir } });
    expect(result.code).toBe(2);
    // No default config in that HOME either: `deploy` as printed would exit 2, so it is said in words.
    expect(result.stderr).toBe(`error: no unfinished deployment in ${stateDir} to resume; start one with ws-deployment deploy --state-dir ${stateDir} (add --config <your config>), or check --state-dir\n`);
  });

  it('--config "" and --config - are named for what they are; an invalid id points at `status --all`', async () => {
    const empty = await runCli(['validate', '--config', '']);
    expect([empty.code, empty.stderr]).toEqual([2, 'error: the config path is empty (--config ""); pass --config FILE with the path of a yaml file\n']);
    const stdin = await runCli(['deploy', '--config', '-', '--state-dir', stateDir]);
    expect([stdin.code, stdin.stderr]).toEqual([2, 'error: reading the config from stdin (--config -) is not supported: a resume needs the file again; save it to a file and pass --config FILE\n']);
    const id = await runCli(['status', '../etc', '--state-dir', stateDir]);
    expect([id.code, id.stderr]).toEqual([2, `error: "../etc" is not a deployment id; list them with \`ws-deployment status --all --state-dir ${stateDir}\`\n`]);
  });

  it('--state-dir naming a regular file: a clear state error, no stack', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const result = await runCli(['status', '--state-dir', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: cannot list ${file} (ENOTDIR): it is a file, not a folder; pass --state-dir DIR with a folder\n`);
  });
});
