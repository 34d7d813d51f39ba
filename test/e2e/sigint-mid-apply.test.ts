/**
 * SIGINT while terraform applies: terraform gets the signal and releases its
 * state lock, the run exits 130 and journals the interruption, `resume` completes.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace, startCli } from '../helpers/cli.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

/** Makes the sandbox module's apply take `seconds` (a cancellable local-exec sleep). */
function slowApply(config: string, seconds: number): void {
  const text = readFileSync(config, 'utf8').replace(/\nterraform:[\s\S]*?(?=\n\S|$)/, '');
  writeFileSync(config, `${text}\nterraform:\n  variables:\n    sandbox_apply_seconds: ${seconds}\n`);
}

describe.skipIf(!hasTerraform)('SIGINT during terraform apply', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir, '--skip', 'traffic-shift'];
  afterAll(() => ws.cleanup());

  it('exits 130, leaves no terraform lock, and resumes to completion', async () => {
    slowApply(ws.config, 30);
    const run = startCli(['deploy', ...common, '--cluster-id', '170']);
    await run.waitFor(/terraform apply in/);
    await new Promise((r) => setTimeout(r, 500)); // inside the slow resource
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/interrupted \(cluster id 170\)/);
    expect(result.stderr).not.toMatch(/\n\s+at /);

    const tfstate = join(ws.stateDir, 'terraform-state');
    expect(readdirSync(tfstate).filter((f) => f.includes('lock'))).toEqual([]);
    const id = readdirSync(ws.stateDir).find((d) => /^\d{8}-/.test(d)) as string;
    const status = JSON.parse((await runCli(['status', id, ...common, '--output', 'json'])).stdout) as { state: string; clusters: Array<{ steps: Array<{ name: string; state: string }> }> };
    expect(status.state).toBe('interrupted');
    expect(status.clusters[0]?.steps[0]).toMatchObject({ name: 'create-cluster', state: 'interrupted' });

    slowApply(ws.config, 0);
    const resumed = await runCli(['resume', ...common]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/partial \(cluster id 170\)/);
    expect(existsSync(join(tfstate, 'gp-dev-ws-eu170-eu-west1.tfstate'))).toBe(true);
  });
});

describe.skipIf(!hasTerraform)('Ctrl-C at a terminal during terraform apply', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir, '--skip', 'traffic-shift'];
  afterAll(() => ws.cleanup());

  // The terminal sends SIGINT to its whole foreground process group: terraform used to get it next to
  // ours, and two interrupts make it exit at once ("data loss may have occurred"), no graceful stop.
  it('gives terraform one interrupt only, so it stops gracefully', async () => {
    slowApply(ws.config, 30);
    const run = startCli(['deploy', ...common, '--cluster-id', '171'], { processGroup: true });
    await run.waitFor(/terraform apply in/);
    // Signal only once terraform runs the slow resource (its log says so): terraform itself must be in the group.
    const id = readdirSync(ws.stateDir).find((d) => /^\d{8}-/.test(d)) as string;
    const logFile = join(ws.stateDir, id, 'logs', 'gp-dev-ws-eu171-eu-west1', 'create-cluster.log');
    const deadline = Date.now() + 60_000;
    while (!(existsSync(logFile) && /slow\[0\]: \(local-exec\): Executing/.test(readFileSync(logFile, 'utf8'))) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    process.kill(-(run.child.pid as number), 'SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);

    const log = readFileSync(logFile, 'utf8');
    expect(log).toMatch(/slow\[0\]: \(local-exec\): Executing/);
    expect(log).toMatch(/Interrupt received/);
    expect(log).not.toMatch(/Two interrupts received/);
    expect(readdirSync(join(ws.stateDir, 'terraform-state')).filter((f) => f.includes('lock'))).toEqual([]);
  });
});
