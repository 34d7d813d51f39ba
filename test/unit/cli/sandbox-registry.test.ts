/**
 * `sandbox registry` under the real global options: where its registry file
 * is (--registry-file, the old --state spelling that the global --state used to
 * swallow, the --state-dir default) and what it prints. Runs the real simulator
 * on 127.0.0.1 and stops it at once.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_REGISTRY_FILE, sandboxRegistryCommand } from '../../../src/cli/commands/sandbox-registry.js';
import { addGlobalOptions } from '../../../src/cli/options.js';

const tmp = mkdtempSync(join(tmpdir(), 'wsd-sbx-reg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const savedEnv = process.env.WS_DEPLOYMENT_STATE;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.WS_DEPLOYMENT_STATE;
  else process.env.WS_DEPLOYMENT_STATE = savedEnv;
});

/** `ws-deployment … sandbox registry …` with the program's global options; the simulator stops as soon as it listens. */
async function run(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const registry = sandboxRegistryCommand({ stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), untilStopped: async () => undefined });
  const root = addGlobalOptions(new Command('ws-deployment')).exitOverride();
  root.addCommand(new Command('sandbox').exitOverride().addCommand(registry.exitOverride()));
  await root.parseAsync(['node', 'ws-deployment', ...args]);
  return out;
}

describe('sandbox registry', () => {
  it('keeps its registry in <state-dir>/sandbox-registry.json by default and says where it listens', async () => {
    const stateDir = join(tmp, 'default');
    const out = await run(['--state-dir', stateDir, 'sandbox', 'registry', '--reachability', 'none']);
    const file = join(stateDir, DEFAULT_REGISTRY_FILE);
    expect(existsSync(file)).toBe(true);
    // stdout stays the bare address for scripts; the label is for people, on stderr.
    expect(out.stdout).toMatch(/^127\.0\.0\.1:\d+\n$/);
    expect(out.stderr).toBe(`registry listening on ${out.stdout.trim()} (state ${file}); stop with Ctrl-C\n`);
  });

  it('--registry-file FILE chooses the file', async () => {
    const file = join(tmp, 'chosen.json');
    await run(['--state-dir', join(tmp, 'unused'), 'sandbox', 'registry', '--registry-file', file, '--reachability', 'none']);
    expect(existsSync(file)).toBe(true);
    expect(existsSync(join(tmp, 'unused', DEFAULT_REGISTRY_FILE))).toBe(false);
  });

  it('the old spelling --state FILE still chooses the file, though the global --state takes the flag', async () => {
    const file = join(tmp, 'old-spelling.json');
    const out = await run(['--state-dir', join(tmp, 'unused-old'), 'sandbox', 'registry', '--state', file, '--reachability', 'none']);
    expect(existsSync(file)).toBe(true);
    expect(out.stderr).toContain(`(state ${file})`);
    expect(existsSync(join(tmp, 'unused-old', DEFAULT_REGISTRY_FILE))).toBe(false);
  });

  it('WS_DEPLOYMENT_STATE (the deployments\' database) is not taken for a registry file', async () => {
    process.env.WS_DEPLOYMENT_STATE = 'postgres://wsd@127.0.0.1:1/wsd';
    const stateDir = join(tmp, 'env');
    await run(['--state-dir', stateDir, 'sandbox', 'registry', '--reachability', 'none']);
    expect(existsSync(join(stateDir, DEFAULT_REGISTRY_FILE))).toBe(true);
  });

  it('refuses a PostgreSQL URL as --state, and both spellings at once', async () => {
    await expect(run(['sandbox', 'registry', '--state', 'postgres://u:secret@db/wsd'])).rejects.toMatchObject({
      code: 'UsageError',
      message: expect.stringContaining('pass --registry-file FILE instead of --state'),
    });
    await expect(run(['sandbox', 'registry', '--state', join(tmp, 'a.json'), '--registry-file', join(tmp, 'b.json')])).rejects.toMatchObject({
      code: 'UsageError',
      message: expect.stringContaining('give --registry-file FILE only'),
    });
  });

  it('--json-log: the label is one NDJSON event', async () => {
    const stateDir = join(tmp, 'json');
    const out = await run(['--json-log', '--state-dir', stateDir, 'sandbox', 'registry', '--reachability', 'none']);
    const lines = out.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'info',
      code: 'sandbox.registry.listening',
      data: { address: out.stdout.trim(), registryFile: join(stateDir, DEFAULT_REGISTRY_FILE) },
    });
  });
});
