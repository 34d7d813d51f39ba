/**
 * Ctrl-Z while terraform applies: terraform leads a process group of its own, so the SIGTSTP reaches the CLI alone;
 * the CLI stops terraform's whole group (what terraform started too: the slow resource's `sleep`) and itself, and a
 * SIGCONT to the CLI alone (`fg`) continues both: the deploy completes as it would have.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { sandboxWorkspace, startCli } from '../helpers/cli.js';
import { running, until } from '../helpers/processes.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

/** pid, state letter, parent and process group of every process in /proc. */
function processes(): Array<{ pid: number; comm: string; state: string; ppid: number; pgrp: number }> {
  const all = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const [state = '', ppid = '0', pgrp = '0'] = stat.slice(close + 2).split(' ');
      all.push({ pid: Number(entry), comm: stat.slice(stat.indexOf('(') + 1, close), state, ppid: Number(ppid), pgrp: Number(pgrp) });
    } catch {
      // gone meanwhile
    }
  }
  return all;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

describe.skipIf(!hasTerraform)('Ctrl-Z during terraform apply', () => {
  const ws = sandboxWorkspace();
  afterAll(() => ws.cleanup());

  it('stops the CLI and terraform’s whole process group; SIGCONT to the CLI continues both and the deploy completes', { timeout: 300_000 }, async () => {
    const text = readFileSync(ws.config, 'utf8').replace(/\nterraform:[\s\S]*?(?=\n\S|$)/, '');
    // Long enough that the slow resource's `sleep` still runs when the stop lands on a loaded machine (with 5 s it had
    // ended once, beside two pty suites, and terraform's group held terraform alone); the wait is paid once, after fg.
    writeFileSync(ws.config, `${text}\nterraform:\n  variables:\n    sandbox_apply_seconds: 20\n`);
    const run = startCli(['deploy', '--config', ws.config, '--state-dir', ws.stateDir, '--skip', 'traffic-shift', '--cluster-id', '173'], { shellJob: true });
    const cli = run.child.pid as number;
    const toolGroups: number[] = [];
    try {
      await run.waitFor(/terraform apply in/, 120_000);
      const id = readdirSync(ws.stateDir).find((d) => /^\d{8}-/.test(d)) as string;
      const logFile = join(ws.stateDir, id, 'logs', 'gp-dev-ws-eu173-eu-west1', 'create-cluster.log');
      await until(() => 'terraform never ran the slow resource', () => existsSync(logFile) && /slow\[0\]: \(local-exec\): Executing/.test(readFileSync(logFile, 'utf8')), 120_000);
      // eu173's apply, whose slow resource runs now: us173's terraform may not have reached its own yet.
      const terraform = processes().find((p) => p.ppid === cli && p.comm === 'terraform' && commandLine(p.pid).includes('gp-dev-ws-eu173-eu-west1'));
      expect(terraform, 'terraform is the CLI’s child').toBeDefined();
      toolGroups.push(...processes().filter((p) => p.ppid === cli && p.pgrp === p.pid).map((p) => p.pid));
      const group = (): ReturnType<typeof processes> => processes().filter((p) => p.pgrp === terraform?.pid && p.state !== 'Z');

      run.child.kill('SIGTSTP');
      const states = (): string => `CLI ${processes().find((p) => p.pid === cli)?.state}, terraform's group ${group().map((p) => `${p.comm} ${p.state}`).join(', ')}`;
      await until(states, () => processes().find((p) => p.pid === cli)?.state === 'T' && group().length > 1 && group().every((p) => p.state === 'T'));
      await new Promise((r) => setTimeout(r, 1_000));
      expect(states()).toMatch(/^CLI T, /);
      expect(group().every((p) => p.state === 'T'), states()).toBe(true);

      run.child.kill('SIGCONT');
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/partial \(cluster id 173\)/);
    } finally {
      if (running(cli)) run.child.kill('SIGKILL');
      // A failed case must not leave the stopped tool groups behind (a SIGKILLed CLI cannot continue them).
      for (const group of toolGroups) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });
});
