/**
 * A run killed with SIGKILL cannot stop its tools: a `terraform apply` goes on changing its cluster after the
 * journal's last word. `status` said only that the process was gone and to resume, as if nothing ran. It now names
 * each journaled tool call still running here (by its pid, and what it started by the call's token, as `resume`
 * finds them) and one started on another host, in text and as `leftRunning` in JSON; once they exit, nothing.
 * Live processes stand in for the tools (`sleep` with the call's token in its environment); the CLI is the real one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { identify } from '../../src/core/process-identity.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { CHILD_TOKEN_ENV } from '../../src/tools/child-journal.js';
import { runCli } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'wsd-left-running-'));
const EU = 'gp-dev-ws-eu101-eu-west1';
const ID = '20260101-000000-aaaa';
const TOKEN = 'left-running-token-1';
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** A process carrying the call's token, as a tool and what it starts do; resolves once it runs. */
async function toolProcess(): Promise<ChildProcess> {
  const child = spawn('sleep', ['120'], { env: { ...process.env, [CHILD_TOKEN_ENV]: TOKEN }, stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await done;
}

describe('status of a killed run names the tools it left working', () => {
  it('in text and JSON while they run; nothing once they are gone', async () => {
    const tool = await toolProcess();
    const started = await toolProcess();
    const target = join(root, ID, EU, 'terraform');
    const j = await new FileStateStore(root).create(ID);
    await j.append({
      type: 'deployment.created',
      id: ID,
      inputs: { configFile: '/c.yaml', configHash: 'h', project: 'p', environment: 'development' },
      clusterId: 101,
      clusters: [{ index: 0, name: EU, shortName: 'eu101', id: 101, region: 'europe-west1', prefix: 'eu', governedBy: 'meta', type: 'sandbox' }],
      steps: [['create-cluster', 'register-cluster']],
      deploymentSteps: ['traffic-shift', 'retire-old-clusters'],
    });
    await j.append({ type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 });
    const at = '2026-01-01T00:00:01.000Z';
    const here = { ...identify(tool.pid as number), token: TOKEN, tool: 'terraform apply', target, startedAt: at, boundMs: 60_000 };
    const there = { pid: 4242, host: 'other-host', tool: 'helm upgrade', target: 'release gitpod in namespace default', startedAt: at, boundMs: 60_000 };
    await j.append({ type: 'step.checkpoint', cluster: EU, step: 'create-cluster', outputs: { children: [here, there] } });
    // No deployment.finished and no lock holder: the run was killed.

    const text = await runCli(['status', '--state-dir', root]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`the process running deployment ${ID} is gone`);
    expect(text.stdout).toContain(
      `still working on the deployment's clusters, left by the run that was killed:\n` +
        `  pid ${tool.pid} (and ${started.pid}, which it started): terraform apply on ${target} for ${EU} create-cluster, started ${at}; \`ws-deployment resume ${ID} --state-dir ${root}\` waits for it to exit (at the latest 2026-01-01T00:01:01.000Z) before that step goes on\n` +
        `  pid 4242 on host other-host (cannot be checked from here): helm upgrade on release gitpod in namespace default for ${EU} create-cluster, started ${at}; if it still runs there, stop it before resuming\n`,
    );
    const json = JSON.parse((await runCli(['status', '--state-dir', root, '--output', 'json'])).stdout) as { state: string; leftRunning?: unknown[] };
    expect(json.state).toBe('interrupted');
    expect(json.leftRunning).toEqual([
      { cluster: EU, step: 'create-cluster', pids: [tool.pid, started.pid], host: hostname(), tool: 'terraform apply', target, startedAt: at, until: '2026-01-01T00:01:01.000Z' },
      { cluster: EU, step: 'create-cluster', pids: [4242], host: 'other-host', tool: 'helm upgrade', target: there.target, startedAt: at, until: '2026-01-01T00:01:01.000Z', elsewhere: true },
    ]);

    // Gone here: only the other host's call is left to say.
    await exited(tool);
    await exited(started);
    const after = JSON.parse((await runCli(['status', '--state-dir', root, '--output', 'json'])).stdout) as { leftRunning?: Array<{ host: string }> };
    expect(after.leftRunning?.map((t) => t.host)).toEqual(['other-host']);
  }, 30_000);
});
