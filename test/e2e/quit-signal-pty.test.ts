/**
 * Ctrl-\ (SIGQUIT from the terminal) at a real pseudo-terminal while a real `terraform apply` runs. The terminal's
 * SIGQUIT reaches the CLI alone (terraform leads a process group of its own). Left to Node's default the CLI died
 * at once (exit 131): the journal said `running`, and terraform applied on with nobody supervising it. Now it stops
 * the run as Ctrl-C does: terraform gets its one interrupt and stops gracefully (state written, lock released), the
 * journal and the summary say interrupted, exit 130.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';
import { startPty } from '../helpers/pty.js';
import { requireBinary } from '../helpers/require-binary.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && requireBinary('python3', 'the pseudo-terminal is Python’s pty module');

const CLUSTERS = ['gp-dev-ws-eu175-eu-west1', 'gp-dev-ws-us175-us-west1'];

/** Makes the sandbox module's apply take `seconds` (a cancellable local-exec sleep). */
function slowApply(config: string, seconds: number): void {
  const text = readFileSync(config, 'utf8').replace(/\nterraform:[\s\S]*?(?=\n\S|$)/, '');
  writeFileSync(config, `${text}\nterraform:\n  variables:\n    sandbox_apply_seconds: ${seconds}\n`);
}

/** Processes working in `dir` (terraform and its providers run in the state dir's working dirs). */
function processesIn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/cwd`).startsWith(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(!hasTools).concurrent('Ctrl-\\ at a terminal during terraform apply', () => {
  it('stops the run as Ctrl-C does: terraform stops gracefully, the journal says interrupted, exit 130; resume finishes', { timeout: 300_000 }, async ({ onTestFinished }) => {
    const ws = sandboxWorkspace();
    onTestFinished(() => ws.cleanup());
    const common = ['--config', ws.config, '--state-dir', ws.stateDir, '--skip', 'traffic-shift'];
    slowApply(ws.config, 120);
    // -v: terraform's output scrolls on the screen, so the test sees it run the slow resource.
    const run = startPty(['deploy', ...common, '--cluster-id', '175', '-v'], { cols: 120 });
    onTestFinished(() => {
      run.kill();
      for (const pid of processesIn(ws.stateDir)) process.kill(pid, 'SIGKILL');
    });
    // Both clusters' applies in the slow resource (terraform interrupted while it starts up dies of the SIGINT).
    for (const cluster of CLUSTERS) await run.waitForScreen(new RegExp(`\\[${cluster}\\] create-cluster: [^\\n]*slow\\[0\\]: \\(local-exec\\): Executing`), 240_000);
    expect(processesIn(ws.stateDir).length, 'terraform runs').toBeGreaterThan(0);
    run.type('\x1c');
    const result = await run.done;
    expect(result.code, result.raw).toBe(130);
    const screen = result.lines.join('\n');
    expect(screen).toContain('received SIGQUIT: stopping running steps');
    expect(screen).toMatch(/deployment \S+: interrupted \(cluster id 175\)/);
    // Nothing outlives the CLI: terraform stopped on the one interrupt it was given, and released its lock.
    expect(processesIn(ws.stateDir)).toEqual([]);
    const id = readdirSync(ws.stateDir).find((d) => /^\d{8}-/.test(d)) as string;
    for (const cluster of CLUSTERS) {
      const log = readFileSync(join(ws.stateDir, id, 'logs', cluster, 'create-cluster.log'), 'utf8');
      expect(log).toMatch(/Interrupt received/);
      expect(log).not.toMatch(/Two interrupts received/);
    }
    expect(readdirSync(join(ws.stateDir, 'terraform-state')).filter((f) => f.includes('lock'))).toEqual([]);
    // Journaled by the run itself, not found out afterwards from a dead process.
    expect(readFileSync(join(ws.stateDir, id, 'journal.ndjson'), 'utf8')).toContain('"type":"deployment.finished","state":"interrupted"');
    const status = JSON.parse((await runCli(['status', id, ...common, '--output', 'json'])).stdout) as { state: string; clusters: Array<{ steps: Array<{ name: string; state: string }> }> };
    expect(status.state).toBe('interrupted');
    expect(status.clusters[0]?.steps[0]).toMatchObject({ name: 'create-cluster', state: 'interrupted' });

    slowApply(ws.config, 0);
    const resumed = await runCli(['resume', ...common]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(existsSync(join(ws.stateDir, 'terraform-state', 'gp-dev-ws-eu175-eu-west1.tfstate'))).toBe(true);
  });
});
