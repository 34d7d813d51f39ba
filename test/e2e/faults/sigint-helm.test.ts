/**
 * SIGINT while `helm template` renders a release: the CLI passes the signal on
 * to helm (the fake records it and dies of it, leaving no orphan), exits 130,
 * journals the step as interrupted, and `resume` with a helm that answers at
 * once finishes the deployment without re-running the steps that were done.
 * SIGHUP (the terminal closed) stops the run the same way, instead of Node's
 * default of dying on the spot with the journal still saying running.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { runCli, startCli } from '../../helpers/cli.js';
import { expectClustersOnce, faultWorkspace, onlyDeployment, readJournal } from './fault-workspace.js';
import { fixtureTool, type FixtureTool, type ToolCall } from './fixture-tool.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

async function until(what: string, found: () => ToolCall | undefined, timeoutMs = 20_000): Promise<ToolCall> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const call = found();
    if (call) return call;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasTerraform)('SIGINT during helm template', () => {
  const ws = faultWorkspace();
  const helm: FixtureTool = fixtureTool('helm', 'fake-helm.mjs', { templateDelayMs: 30_000 });
  const cluster = 'gp-dev-ws-eu161-eu-west1';
  afterAll(() => {
    ws.cleanup();
    helm.cleanup();
  });

  it('stops helm, exits 130, journals the interruption, and resumes to completion', async () => {
    const run = startCli(['deploy', ...ws.common, '--cluster-id', '161'], { env: { PATH: helm.path } });
    await run.waitFor(/install-gitpod: started/);
    // The releases install together: wait for gitpod's render in particular (jaeger's or monitoring's may start first).
    const start = await until('helm template gitpod to start', () => helm.calls().find((c) => c.event === 'start' && c.argv[0] === 'template' && c.argv[1] === 'gitpod'));
    run.child.kill('SIGINT');
    const result = await run.done;

    expect(result.code).toBe(130);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toMatch(/interrupted \(cluster id 161\)/);
    const signalled = helm.calls().find((c) => c.event === 'signal' && c.pid === start.pid);
    expect(['SIGINT', 'SIGTERM']).toContain(signalled?.signal);
    expect(helm.calls().some((c) => c.event === 'done')).toBe(false);
    // Every helm that started (gitpod's and any release rendering alongside it) got the signal and is gone.
    for (const started of helm.calls().filter((c) => c.event === 'start')) {
      expect(helm.calls().some((c) => c.event === 'signal' && c.pid === started.pid), `helm ${started.argv.join(' ')} was not signalled`).toBe(true);
      expect(alive(started.pid), 'helm outlived the CLI').toBe(false);
    }

    const id = onlyDeployment(ws.stateDir);
    const status = await runCli(['status', id, ...ws.common, '--output', 'json']);
    const doc = JSON.parse(status.stdout) as { state: string; clusters: Array<{ steps: Array<{ name: string; state: string }> }> };
    expect(doc.state).toBe('interrupted');
    const steps = Object.fromEntries((doc.clusters[0]?.steps ?? []).map((s) => [s.name, s.state]));
    expect(steps).toMatchObject({ 'create-cluster': 'succeeded', 'install-gitpod': 'interrupted', 'alive-test': 'pending' });
    // The other releases were rendering alongside (interrupted) or had not started yet (pending).
    expect(['interrupted', 'pending']).toContain(steps['install-jaeger']);
    expect(['interrupted', 'pending']).toContain(steps['install-monitoring']);

    helm.configure({ templateDelayMs: 0 });
    const resumed = await runCli(['resume', id, ...ws.common], { env: { PATH: helm.path } });
    expect(resumed.stderr).not.toMatch(/\n\s+at /);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/partial \(cluster id 161\)/);
    const manifest = readFileSync(join(ws.stateDir, id, cluster, 'releases', 'gitpod', 'manifest.yaml'), 'utf8');
    expect(manifest).toContain('name: gitpod-rendered');

    const starts = readJournal(ws.stateDir, id).filter((r) => r.type === 'step.started');
    expect(starts.filter((r) => r.step === 'create-cluster')).toHaveLength(1);
    expect(starts.filter((r) => r.step === 'install-gitpod')).toHaveLength(2);
    await expectClustersOnce(ws, [{ full: cluster, short: 'eu161' }]);
  });
});

describe.skipIf(!hasTerraform)('SIGHUP (terminal closed) during helm template', () => {
  const ws = faultWorkspace();
  const helm: FixtureTool = fixtureTool('helm', 'fake-helm.mjs', { templateDelayMs: 30_000 });
  afterAll(() => {
    ws.cleanup();
    helm.cleanup();
  });

  it('stops helm, exits 130 and journals the interruption, like Ctrl-C', async () => {
    const run = startCli(['deploy', ...ws.common, '--cluster-id', '162'], { env: { PATH: helm.path } });
    await run.waitFor(/install-gitpod: started/);
    const start = await until('helm template gitpod to start', () => helm.calls().find((c) => c.event === 'start' && c.argv[0] === 'template' && c.argv[1] === 'gitpod'));
    run.child.kill('SIGHUP');
    const result = await run.done;

    expect(result.code).toBe(130);
    expect(result.stderr).toContain('received SIGHUP: stopping running steps');
    expect(result.stdout).toMatch(/interrupted \(cluster id 162\)/);
    expect(helm.calls().some((c) => c.event === 'signal' && c.pid === start.pid)).toBe(true);
    for (const started of helm.calls().filter((c) => c.event === 'start')) expect(alive(started.pid), 'helm outlived the CLI').toBe(false);
    const id = onlyDeployment(ws.stateDir);
    expect(readJournal(ws.stateDir, id).some((r) => r.type === 'deployment.finished' && (r as { state?: string }).state === 'interrupted')).toBe(true);
  });
});

