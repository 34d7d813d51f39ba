import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../../../src/tools/exec.js';
import { createFakeBin, type FakeBin } from '../../helpers/fake-bin.js';

const bins: FakeBin[] = [];
afterEach(async () => {
  for (const bin of bins.splice(0)) await bin.cleanup();
});

describe('createFakeBin', () => {
  it('records argv, cwd, selected env and stdin, and answers from the matching rule', async () => {
    const bin = await createFakeBin('helm', {
      recordEnv: ['KUBECONFIG', 'NOT_SET'],
      responses: [
        { match: ['status'], stdout: '{"info":{"status":"deployed"}}' },
        { match: ['upgrade'], stderr: 'Error: UPGRADE FAILED', exitCode: 1 },
      ],
    });
    bins.push(bin);
    const env = { ...bin.pathEnv(), KUBECONFIG: '/tmp/kc' };
    const status = await runTool({ argv: ['helm', 'status', 'gitpod', '-o', 'json'], env, cwd: bin.dir, input: 'values' });
    expect(JSON.parse(status.stdout)).toEqual({ info: { status: 'deployed' } });
    await expect(runTool({ argv: ['helm', 'upgrade', '--install', 'gitpod'], env })).rejects.toMatchObject({ exitCode: 1 });
    const calls = await bin.calls();
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ argv: ['status', 'gitpod', '-o', 'json'], cwd: bin.dir, env: { KUBECONFIG: '/tmp/kc', NOT_SET: null }, stdin: 'values', rule: 0 });
    expect(calls[1]).toMatchObject({ argv: ['upgrade', '--install', 'gitpod'], rule: 1 });
  });

  it('fails N times, then succeeds', async () => {
    const bin = await createFakeBin('kubectl', {
      responses: [{ stderr: 'connection refused', exitCode: 1, times: 2 }, { stdout: 'ok' }],
    });
    bins.push(bin);
    const env = bin.pathEnv();
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(await runTool({ argv: ['kubectl', 'get', 'ns'], env }).then((r) => r.stdout, () => 'failed'));
    }
    expect(outcomes).toEqual(['failed', 'failed', 'ok', 'ok']);
  });

  it('exits 127 when no rule answers, so an unexpected call cannot pass silently', async () => {
    const bin = await createFakeBin('gcloud', { responses: [{ match: ['describe'], stdout: '{}', times: 1 }] });
    bins.push(bin);
    await expect(runTool({ argv: ['gcloud', 'delete'], env: bin.pathEnv() })).rejects.toMatchObject({
      exitCode: 127,
      stderr: expect.stringContaining('no scripted response for: delete'),
    });
  });

  it('writes the file an env variable names, like gcloud get-credentials writes KUBECONFIG', async () => {
    const bin = await createFakeBin('gcloud', { responses: [{ writeToEnvFile: { env: 'KUBECONFIG', content: 'apiVersion: v1\n' } }] });
    bins.push(bin);
    const target = `${bin.dir}/kubeconfig`;
    await runTool({ argv: ['gcloud', 'container', 'clusters', 'get-credentials', 'x'], env: { ...bin.pathEnv(), KUBECONFIG: target } });
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(target, 'utf8')).toBe('apiVersion: v1\n');
  });

  it('records the signal when interrupted while delaying', async () => {
    const bin = await createFakeBin('terraform', { responses: [{ delayMs: 30_000, stdout: 'late' }] });
    bins.push(bin);
    const controller = new AbortController();
    const run = runTool({ argv: ['terraform', 'apply'], env: bin.pathEnv(), signal: controller.signal, killSignal: 'SIGINT' });
    // Abort only once the fake has recorded its call (it is then waiting).
    for (let i = 0; i < 600 && (await bin.calls()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: 'Interrupted' });
    const calls = await bin.calls();
    expect(calls.at(-1)).toMatchObject({ signal: 'SIGINT' });
  });
});
