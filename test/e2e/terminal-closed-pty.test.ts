/**
 * The terminal closes (window closed, ssh dropped) while a manual gate's question is on it, under a shell
 * that stays the terminal's session leader (`sh -c 'ws-deployment deploy …; :'` on a real pseudo-terminal,
 * whose other end then goes away). The question's input ends, and readline, giving raw mode back to a
 * terminal that is gone, got EIO: Node threw it as an uncaught exception and the run died with exit 1, its
 * interruption never journaled (`status`: "the process running deployment … is gone"). Now the closed input
 * interrupts the run as Ctrl-D at the question does, and the SIGHUP that follows does not cut that stop short:
 * the journal says interrupted, with the `resume` that continues it, and resume finishes the deployment.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO, runCli } from '../helpers/cli.js';
import { running, until } from '../helpers/processes.js';
import { requireBinary } from '../helpers/require-binary.js';
import { QUICK_GATE, withShiftTimes } from '../helpers/sandbox-config.js';
import { deployGenerationOne, type GenerationOne } from '../helpers/sandbox-generation.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && requireBinary('python3', 'the pseudo-terminal is Python’s pty module');

/** The pid of the CLI running with `stateDir` (the shell on the terminal is its parent). */
function cliPids(stateDir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => {
      if (!/^\d+$/.test(p)) return false;
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return argv[1] === BIN && argv.includes(stateDir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(!hasTools)('the terminal closes at a manual gate question', () => {
  let generationOne: GenerationOne;
  beforeAll(async () => {
    generationOne = await deployGenerationOne(287);
  }, 180_000);
  afterAll(() => generationOne?.cleanup());

  it('the run stops as interrupted, journaled, and resume --yes finishes it', { timeout: 300_000 }, async ({ onTestFinished }) => {
    const ws = generationOne.copy();
    onTestFinished(() => ws.cleanup());
    writeFileSync(ws.config, withShiftTimes(ws.example, { confidence: QUICK_GATE }).replace('gates: { beforeDestroy: auto }', 'gates: { beforeStart: manual, beforeDestroy: auto }'));
    const env: Record<string, string> = { ...(process.env as Record<string, string>), TERM: 'xterm-256color' };
    delete env.CI;
    // `; :` keeps sh from exec'ing the CLI: sh stays the session leader, as a login shell is.
    const command = [process.execPath, BIN, 'deploy', ...ws.common, '--cluster-id', '288'].map((a) => `'${a}'`).join(' ');
    const terminal = spawn('python3', [join(REPO, 'test', 'helpers', 'pty-run.py'), '100', '40', '--', 'sh', '-c', `${command}; :`], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    onTestFinished(() => {
      terminal.kill('SIGKILL');
      for (const pid of cliPids(ws.stateDir)) process.kill(pid, 'SIGKILL');
    });
    let shown = '';
    await new Promise<void>((resolve, reject) => {
      terminal.stdout.on('data', (d: Buffer) => {
        shown += d.toString();
        if (/approve\? \[y\/a\/Enter\]/.test(shown)) resolve();
      });
      terminal.on('close', () => reject(new Error(`the terminal closed before the question; it showed:\n${shown}`)));
    });
    const [cli] = cliPids(ws.stateDir);
    expect(cli).toBeDefined();
    // The terminal's other end goes away: a hang-up.
    terminal.kill('SIGKILL');
    await until('the CLI ends after the hang-up', () => !running(cli!), 120_000);

    const status = JSON.parse((await runCli(['status', ...ws.common, '--output', 'json'])).stdout) as { id: string; state: string; error?: { message: string } };
    expect(status.state).toBe('interrupted');
    // Journaled by the run itself, not found out afterwards from a dead process.
    expect(status.error?.message).toMatch(/was interrupted; continue it with `ws-deployment resume/);
    expect(readFileSync(join(ws.stateDir, status.id, 'journal.ndjson'), 'utf8')).toContain('"type":"deployment.finished","state":"interrupted"');
    const resumed = await runCli(['resume', status.id, ...ws.common, '--yes']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/succeeded \(cluster id 288\)/);
  });
});
