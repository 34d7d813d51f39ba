import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { Terraform } from '../../../src/tools/terraform/terraform.js';
import { createFakeBin, type FakeBin, type FakeResponse } from '../../helpers/fake-bin.js';

const ENV = ['TF_IN_AUTOMATION', 'TF_INPUT', 'TF_CLI_CONFIG_FILE', 'TF_PLUGIN_CACHE_DIR', 'TF_DATA_DIR', 'GOOGLE_APPLICATION_CREDENTIALS', 'PG_CONN_STR', 'TF_LOG'];

function diagnostic(summary: string, detail: string): string {
  return `${JSON.stringify({ '@level': 'error', '@message': `Error: ${summary}`, type: 'diagnostic', diagnostic: { severity: 'error', summary, detail } })}\n`;
}

/** Real terraform 1.11 output, recorded by test/fixtures/recorded/record-terraform.mjs (checked against the binary by test/integration/terraform/recorded-outputs.test.ts). */
interface RecordedCall {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}
const RECORDED = JSON.parse(readFileSync(new URL('../../fixtures/recorded/terraform-outputs.json', import.meta.url), 'utf8')) as {
  cases: Record<'stateListNoState' | 'lifecycle' | 'unsupportedArgument', RecordedCall[]>;
};
/** A fake answer that is exactly what real terraform printed for this call (paths moved to this test's dir). */
function recorded(name: keyof typeof RECORDED.cases, index: number, times?: number): FakeResponse {
  const call = RECORDED.cases[name][index]!;
  const here = (text: string) => text.split('<DIR>').join(workDir);
  return { match: [call.argv[0]!, ...(call.argv[1] === '-destroy' ? ['-destroy'] : [])], times, exitCode: call.exitCode, stdout: here(call.stdout), stderr: here(call.stderr) };
}

let workDir: string;
let bin: FakeBin | undefined;
beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'wsd-tfw-'));
});
afterEach(async () => {
  await bin?.cleanup();
  bin = undefined;
  await rm(workDir, { recursive: true, force: true });
});

async function terraform(responses: FakeResponse[], extra: Partial<ConstructorParameters<typeof Terraform>[0]> = {}): Promise<Terraform> {
  bin = await createFakeBin('terraform', { responses, recordEnv: ENV });
  return new Terraform({ workDir, env: bin.pathEnv(), ...extra });
}

describe('Terraform wrapper', () => {
  it('isolates every run: own CLI config (never ~/.terraformrc), own plugin cache, data dir in the working dir', async () => {
    const previous = process.env.TF_CLI_CONFIG_FILE;
    process.env.TF_CLI_CONFIG_FILE = '/root/.terraformrc';
    process.env.TF_LOG = 'TRACE';
    try {
      const tf = await terraform([{ stdout: '' }], { credFile: '/secrets/sa.json' });
      await tf.init();
    } finally {
      if (previous === undefined) delete process.env.TF_CLI_CONFIG_FILE;
      else process.env.TF_CLI_CONFIG_FILE = previous;
      delete process.env.TF_LOG;
    }
    const [call] = await bin!.calls();
    expect(call!.argv).toEqual(['init', '-input=false', '-no-color', '-json']);
    expect(call!.cwd).toBe(workDir);
    expect(call!.env).toEqual({
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      TF_CLI_CONFIG_FILE: join(workDir, '.wsd', 'terraform.rc'),
      TF_PLUGIN_CACHE_DIR: join(workDir, '.wsd', 'plugin-cache'),
      TF_DATA_DIR: join(workDir, '.terraform'),
      GOOGLE_APPLICATION_CREDENTIALS: '/secrets/sa.json',
      PG_CONN_STR: null,
      TF_LOG: null,
    });
    expect(await readFile(join(workDir, '.wsd', 'terraform.rc'), 'utf8')).toContain('disable_checkpoint = true');
  });

  it('plans with -detailed-exitcode: exit 2 means changes, 0 means none', async () => {
    const tf = await terraform([recorded('lifecycle', 1, 1), recorded('lifecycle', 5, 1)]);
    expect(await tf.plan('cluster.plan')).toEqual({ hasChanges: true, changes: { add: 2, change: 0, remove: 0, import: 0 } });
    expect(await tf.plan('cluster.plan', { destroy: true })).toMatchObject({ hasChanges: false });
    const calls = await bin!.calls();
    expect(calls[0]!.argv).toEqual(['plan', '-input=false', '-no-color', '-json', '-detailed-exitcode', `-out=${join(workDir, 'cluster.plan')}`]);
    expect(calls[1]!.argv.at(-1)).toBe('-destroy');
  });

  it('applies the saved plan, destroys with -auto-approve, passes -lock-timeout', async () => {
    const tf = await terraform([recorded('lifecycle', 6), recorded('lifecycle', 2)], { lockTimeout: '30s' });
    expect(await tf.apply('cluster.plan')).toEqual({ add: 2, change: 0, remove: 0, import: 0 });
    expect(await tf.destroy()).toEqual({ add: 0, change: 0, remove: 2, import: 0 });
    const calls = await bin!.calls();
    expect(calls[0]!.argv).toEqual(['apply', '-input=false', '-no-color', '-json', '-lock-timeout=30s', join(workDir, 'cluster.plan')]);
    expect(calls[1]!.argv).toEqual(['apply', '-destroy', '-auto-approve', '-input=false', '-no-color', '-json', '-lock-timeout=30s']);
  });

  it('turns diagnostics into a ToolFailed error, transient when the curated list says so', async () => {
    const tf = await terraform([
      { match: ['apply'], times: 1, exitCode: 1, stdout: diagnostic('Error creating Network', 'googleapi: Error 503: The service is currently unavailable.') },
      { ...recorded('unsupportedArgument', 1), match: ['apply'] },
    ]);
    const transient = await tf.apply('p').catch((e: unknown) => e);
    expect(transient).toMatchObject({ code: 'ToolFailed', transient: true, details: { transientPattern: 'googleapi-503' } });
    expect((transient as Error).message).toContain('terraform apply failed');
    expect((transient as Error).message).toContain('Error creating Network: googleapi: Error 503');
    const permanent = await tf.apply('p').catch((e: unknown) => e);
    expect(permanent).toMatchObject({ code: 'ToolFailed', transient: false });
    expect((permanent as Error).message).toContain('Unsupported argument: An argument named "nodes" is not expected here. (main.tf:2)');
  });

  it('names the holder of a state lock and its ID, as terraform 1.11 reports them', async () => {
    // The detail exactly as terraform 1.11.4 printed it while another `terraform apply` held the local state.
    const detail = [
      'Error message: resource temporarily unavailable',
      'Lock Info:',
      '  ID:        864c2c6b-434e-c776-3503-2f90cadb9390',
      '  Path:      terraform.tfstate',
      '  Operation: OperationTypeApply',
      '  Who:       root@vm',
      '  Version:   1.11.4',
      '  Created:   2026-12-03 08:24:53.253828862 +0000 UTC',
      '  Info:      ',
      '',
      '',
      'Terraform acquires a state lock to protect the state from being written',
      'by multiple users at the same time.',
    ].join('\n');
    const tf = await terraform([{ match: ['apply'], times: 1, exitCode: 1, stdout: diagnostic('Error acquiring the state lock', detail) }]);
    const error = await tf.apply('p').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ToolFailed', transient: true, details: { transientPattern: 'state-lock' } });
    expect((error as Error).message).toBe(
      `terraform apply failed in ${workDir}: Error acquiring the state lock: Error message: resource temporarily unavailable; ` +
        'the state is locked by root@vm for apply since 2026-12-03 08:24:53.253828862 +0000 UTC (lock ID 864c2c6b-434e-c776-3503-2f90cadb9390); ' +
        `if that run is certainly gone, release it with \`terraform force-unlock 864c2c6b-434e-c776-3503-2f90cadb9390\` in ${workDir}`,
    );
  });

  it('reads outputs without streaming their values into events or the log', async () => {
    const logFile = join(workDir, 'logs', 'create.log');
    const sink = new MemorySink();
    const tf = await terraform([recorded('lifecycle', 3)], { sink, logFile });
    expect(await tf.output()).toEqual({ ca_certificate: { value: 'TOPSECRETCA', sensitive: true, type: 'string' } });
    expect(JSON.stringify(sink.events)).not.toContain('TOPSECRETCA');
    expect(await readFile(logFile, 'utf8').catch(() => '')).not.toContain('TOPSECRETCA');
  });

  it('lists state, and an absent state is an empty list (terraform says so on stderr, exit 1)', async () => {
    const noState = recorded('stateListNoState', 0, 1);
    expect(noState).toMatchObject({ exitCode: 1, stdout: '', stderr: expect.stringMatching(/^No state file was found!/) });
    const tf = await terraform([recorded('lifecycle', 4, 1), noState]);
    expect(await tf.stateList()).toEqual(['terraform_data.cluster', 'terraform_data.dns']);
    expect(await tf.stateList()).toEqual([]);
  });

  it('hands the pg connection string to terraform only, redacted from logs', async () => {
    const redactor = new Redactor();
    const sink = new MemorySink();
    const conn = 'postgres://tf:hunter2-secret@127.0.0.1:5432/state';
    const tf = await terraform([{ stdout: `connecting to ${conn}\n` }], { pgConnStr: conn, redactor, sink });
    await tf.init();
    const [call] = await bin!.calls();
    expect(call!.env.PG_CONN_STR).toBe(conn);
    expect(process.env.PG_CONN_STR).toBeUndefined();
    expect(JSON.stringify(sink.events)).not.toContain('hunter2-secret');
  });

  it('refuses a relative working dir and a malformed lock timeout', () => {
    expect(() => new Terraform({ workDir: 'relative' })).toThrow(/absolute/);
    expect(() => new Terraform({ workDir, lockTimeout: '30 seconds' })).toThrow(/lock timeout/);
  });
});
