/**
 * Tool children journaled at spawn, and a resume's wait for the ones a killed run
 * left running: a real child process is waited for until it exits; a journaled pid
 * that now belongs to a process with another start time (pid reused) is not; one
 * that outlives its bound stops the resume naming its pid. A stopped tool group (the
 * CLI SIGKILLed while its job was suspended with Ctrl-Z) stops the resume at once, with
 * a command that, run as the operator would, really ends the group.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { identify, processesWithEnv, processStartTicks, processStopped, stillRunning } from '../../../src/core/process-identity.js';
import { CHILD_TOKEN_ENV, CHILDREN_KEY, checkpointChildJournal, waitForOrphans, withChildJournal, type ChildMark } from '../../../src/tools/child-journal.js';
import { runTool } from '../../../src/tools/exec.js';
import { gone } from '../../helpers/processes.js';

const children: ChildProcess[] = [];
afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));

/** A process that runs until killed. */
function sleeper(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

function mark(pid: number, extra: Partial<ChildMark> = {}): ChildMark {
  return { ...identify(pid), tool: 'helm upgrade', target: 'release gitpod in namespace default', startedAt: new Date().toISOString(), boundMs: 600_000, ...extra };
}

const hasProc = existsSync('/proc/self/stat');

describe('waiting for the children an interrupted run left running', () => {
  it('waits for a journaled child that still runs, naming it, and goes on once it has exited', async () => {
    const child = sleeper();
    const sink = new MemorySink();
    let polls = 0;
    await waitForOrphans(
      { [CHILDREN_KEY]: [mark(child.pid as number)] },
      {
        sink,
        pollMs: 1,
        sleep: async () => {
          // The child lives through the first polls, then ends: the wait must last exactly that long.
          if (++polls === 3) {
            child.kill('SIGKILL');
            await new Promise((r) => child.once('exit', r));
          }
        },
      },
    );
    expect(polls).toBe(3);
    const messages = sink.events.map((e) => e.message);
    expect(messages[0]).toMatch(new RegExp(`^waiting for pid ${child.pid} \\(helm upgrade, release gitpod in namespace default, started .*\\): the interrupted run left it running`));
    expect(messages.at(-1)).toBe(`pid ${child.pid} (helm upgrade) has exited; going on`);
  });

  it.skipIf(!hasProc)('does not wait for a journaled pid that now belongs to a process with another start time (pid reused)', async () => {
    const sink = new MemorySink();
    const ticks = processStartTicks(process.pid) as number;
    // This very process is alive, but it is not the one journaled: that one started at another tick.
    await waitForOrphans({ [CHILDREN_KEY]: [mark(process.pid, { startTicks: ticks - 1 })] }, { sink, sleep: () => Promise.reject(new Error('waited')) });
    expect(sink.events).toEqual([]);
  });

  it('does not wait for a child that has exited, nor for one journaled before the machine rebooted', async () => {
    const child = sleeper();
    const journaled = mark(child.pid as number);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const sink = new MemorySink();
    const live = sleeper();
    await waitForOrphans(
      { [CHILDREN_KEY]: [journaled, mark(live.pid as number, { bootId: 'another-boot' })] },
      { sink, sleep: () => Promise.reject(new Error('waited')) },
    );
    expect(sink.events).toEqual([]);
  });

  it('stops with the pid and the fix when the child runs past the bound its run would have given it', async () => {
    const child = sleeper();
    const sink = new MemorySink();
    const old = mark(child.pid as number, { startedAt: new Date(Date.now() - 120_000).toISOString(), boundMs: 60_000 });
    await expect(waitForOrphans({ [CHILDREN_KEY]: [old] }, { sink })).rejects.toMatchObject({
      code: 'PreCheckRefused',
      message: expect.stringMatching(new RegExp(`^pid ${child.pid} \\(helm upgrade, .*still works on release gitpod in namespace default past .*; stop it \\(\`kill ${child.pid}\`, and wait for it to exit\\), then run again`)),
    });
  });

  it('names the whole process group in the fix when the child leads one (as every tool does now)', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', detached: true });
    children.push(child);
    const old = mark(child.pid as number, { startedAt: new Date(Date.now() - 120_000).toISOString(), boundMs: 60_000 });
    await expect(waitForOrphans({ [CHILDREN_KEY]: [old] }, { sink: new MemorySink() })).rejects.toMatchObject({
      message: expect.stringContaining(`stop it (\`kill -- -${child.pid}\`, and wait for it to exit)`),
    });
  });

  it('only warns about a child that ran on another host (it cannot be seen from here)', async () => {
    const sink = new MemorySink();
    await waitForOrphans({ [CHILDREN_KEY]: [mark(process.pid, { host: `not-${hostname()}` })] }, { sink, sleep: () => Promise.reject(new Error('waited')) });
    expect(sink.events.map((e) => e.code)).toEqual(['tool.orphan-elsewhere']);
  });

  it('ignores a checkpoint without children or with damaged entries', async () => {
    const sink = new MemorySink();
    await waitForOrphans(undefined, { sink });
    await waitForOrphans({ [CHILDREN_KEY]: [{ pid: 'x' }, 42, null] }, { sink });
    expect(sink.events).toEqual([]);
  });
});

/** The pids of process group `pgid`, from /proc. */
function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function until(what: string, done: () => boolean, ms = 30_000): Promise<void> {
  for (const deadline = Date.now() + ms; !done(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

/**
 * A tool's process group as Ctrl-Z leaves it once the CLI is gone: a shell that, like terraform, traps SIGTERM to
 * stop gracefully (it writes `marker`), and a child of its own; both SIGSTOPped. The group is SIGKILLed at the end.
 */
async function stoppedGroup(marker: string): Promise<{ leader: number; members: number[] }> {
  const shell = spawn('sh', ['-c', `trap 'echo graceful > "${marker}"; exit 0' TERM; sleep 1000 & wait`], { stdio: 'ignore', detached: true });
  const leader = shell.pid as number;
  onTestFinished(() => {
    for (const pid of groupMembers(leader)) process.kill(pid, 'SIGKILL');
  });
  // The shell sets the trap first. Its child is stopped only once it runs sleep: a child stopped between the fork and
  // the exec would still hold the shell's handler, take the SIGTERM as the shell's trap and lose it at the exec.
  const runsSleep = (pid: number): boolean => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
    } catch {
      return false;
    }
  };
  await until('the group to hold its child', () => groupMembers(leader).length === 2 && groupMembers(leader).some(runsSleep));
  const members = groupMembers(leader);
  process.kill(-leader, 'SIGSTOP');
  await until('the group to stop', () => members.every((pid) => processStopped(pid) === 'stopped'));
  return { leader, members };
}

describe.skipIf(!hasProc)('a tool left stopped (its job suspended with Ctrl-Z, the CLI then killed)', () => {
  it('stops the resume at once saying so, with a command that, run as typed, ends the whole group gracefully', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsd-stopped-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const marker = join(dir, 'stopped-by');
    const { leader, members } = await stoppedGroup(marker);
    // Within its bound: a tool that runs would be waited for, a stopped one never exits.
    const sink = new MemorySink();
    const refusal = await waitForOrphans({ [CHILDREN_KEY]: [mark(leader, { tool: 'terraform apply', target: 'dir x' })] }, { sink, sleep: () => Promise.reject(new Error('waited')) }).then(
      () => undefined,
      (error: Error & { code?: string }) => error,
    );
    expect(refusal?.code).toBe('PreCheckRefused');
    expect(refusal?.message).toMatch(
      new RegExp(`^pid ${leader} \\(terraform apply, dir x, started .*\\), left running by the interrupted run, is stopped \\(its job was suspended with Ctrl-Z and the CLI that would continue it is gone\\)`),
    );
    expect(sink.events, 'no wait is promised for a tool that never exits').toEqual([]);

    const command = /`([^`]+)`/.exec(refusal?.message ?? '')?.[1] as string;
    expect(command).toBe(`kill -- -${leader}; kill -s CONT -- -${leader}`);
    execFileSync('sh', ['-c', command], { stdio: 'ignore' });
    for (const pid of members) expect(await gone(pid), `pid ${pid} of the group outlived the printed command`).toBe(true);
    expect(readFileSync(marker, 'utf8').trim(), 'the tool acted on SIGTERM: it stopped gracefully').toBe('graceful');
  });

  it('gives a command that ends the group when the stopped tool has run past its bound too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsd-stopped-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const { leader, members } = await stoppedGroup(join(dir, 'stopped-by'));
    const old = mark(leader, { startedAt: new Date(Date.now() - 120_000).toISOString(), boundMs: 60_000 });
    const refusal = await waitForOrphans({ [CHILDREN_KEY]: [old] }, { sink: new MemorySink() }).then(
      () => undefined,
      (error: Error) => error,
    );
    const command = /`([^`]+)`/.exec(refusal?.message ?? '')?.[1] as string;
    execFileSync('sh', ['-c', command], { stdio: 'ignore' });
    for (const pid of members) expect(await gone(pid), `\`${command}\` left pid ${pid} stopped`).toBe(true);
  });

  it('says a tool held by a tracer is one, with the only signal that ends it', async () => {
    const child = sleeper();
    await expect(waitForOrphans({ [CHILDREN_KEY]: [mark(child.pid as number)] }, { sink: new MemorySink(), stopped: () => 'traced' })).rejects.toMatchObject({
      code: 'PreCheckRefused',
      message: expect.stringMatching(/is held stopped by a tracer \(a debugger or strace attached to it\).*detach the tracer and run again, or end it \(`kill -s KILL \d+`/),
    });
  });

  it('refuses as soon as a tool it waits for is stopped', async () => {
    const child = sleeper();
    let polls = 0;
    await expect(
      waitForOrphans(
        { [CHILDREN_KEY]: [mark(child.pid as number)] },
        {
          sink: new MemorySink(),
          pollMs: 1,
          // Bounded: a wait that misses the stop would otherwise poll for ever.
          sleep: async () => {
            if (++polls > 5) throw new Error('waited on');
          },
          stopped: () => (polls >= 2 ? 'stopped' : undefined),
        },
      ),
    ).rejects.toMatchObject({ message: expect.stringContaining(`\`kill ${child.pid}; kill -s CONT ${child.pid}\``) });
    expect(polls).toBe(2);
  });
});

describe('journaling tool children at spawn', () => {
  it('journals a call with a target (pid, start time, tool, target, bound) before it settles, and no call without one', async () => {
    const written: Array<Record<string, unknown>> = [];
    const journal = checkpointChildJournal(async (partial) => {
      written.push(partial);
    });
    await withChildJournal(journal, async () => {
      await runTool({ argv: [process.execPath, '-e', ''], timeoutMs: 5_000, killGraceMs: 1_000 });
      expect(written).toEqual([]);
      await runTool({ argv: [process.execPath, '-e', ''], target: 'release a in namespace n', timeoutMs: 5_000, killGraceMs: 1_000 });
      await runTool({ argv: [process.execPath, '-e', ''], target: 'release b in namespace n', timeoutMs: 5_000, killGraceMs: 1_000 });
    });
    // Each call twice: before its spawn (a token, no pid) and after it (the pid, with the same token).
    expect(written).toHaveLength(4);
    const intent = (written[0]?.[CHILDREN_KEY] as ChildMark[])[0];
    expect(intent).toMatchObject({ host: hostname(), tool: 'node -e', target: 'release a in namespace n', token: expect.any(String) });
    expect(intent?.pid).toBeUndefined();
    const marks = written[3]?.[CHILDREN_KEY] as ChildMark[];
    expect(marks.map((m) => m.target)).toEqual(['release a in namespace n', 'release b in namespace n']);
    expect(marks[0]).toMatchObject({ host: hostname(), tool: 'node -e', boundMs: 6_000, token: intent?.token, pid: expect.any(Number) });
    if (hasProc) expect(marks[0]?.startTicks).toEqual(expect.any(Number));
  });

  it('gives the child its token in the environment, and spawns nothing when the call cannot be journaled first', async () => {
    const written: Array<Record<string, unknown>> = [];
    const journal = checkpointChildJournal(async (partial) => {
      written.push(partial);
    });
    const result = await withChildJournal(journal, () =>
      runTool({ argv: [process.execPath, '-e', `process.stdout.write(process.env.${CHILD_TOKEN_ENV} ?? '')`], target: 't', timeoutMs: 5_000 }),
    );
    expect(result.stdout).toBe((written[0]?.[CHILDREN_KEY] as ChildMark[])[0]?.token);

    const marker = join(mkdtempSync(join(tmpdir(), 'wsd-intent-')), 'ran');
    const failing = checkpointChildJournal(() => Promise.reject(new Error('disk full')));
    await expect(
      withChildJournal(failing, () => runTool({ argv: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`], target: 't' })),
    ).rejects.toThrow('disk full');
    expect(existsSync(marker), 'the tool ran although its call was never journaled').toBe(false);
  });
});

describe.skipIf(!hasProc)('a child whose pid was never journaled (the run was killed right after the spawn)', () => {
  it('is found by the token in its environment, with what it started, and waited for until both have exited', async () => {
    const token = 'test-token-' + process.pid;
    // The orphan and a process it started (terraform's providers): both carry the token.
    const parent = spawn(process.execPath, ['-e', `require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); setInterval(() => {}, 1000)`], {
      stdio: 'ignore',
      env: { ...process.env, [CHILD_TOKEN_ENV]: token },
    });
    children.push(parent);
    let found = processesWithEnv(`${CHILD_TOKEN_ENV}=${token}`);
    for (let i = 0; found.length < 2 && i < 400; i++) {
      await new Promise((r) => setTimeout(r, 25));
      found = processesWithEnv(`${CHILD_TOKEN_ENV}=${token}`);
    }
    expect(found.map((p) => p.pid)).toContain(parent.pid);
    expect(found).toHaveLength(2);
    const grandchild = found.find((p) => p.pid !== parent.pid)?.pid as number;
    onTestFinished(() => {
      for (const p of found) if (stillRunning(p) === 'running') process.kill(p.pid, 'SIGKILL');
    });

    const intent: ChildMark = { host: hostname(), token, tool: 'terraform apply', target: 'dir x', startedAt: new Date().toISOString(), boundMs: 600_000 };
    const sink = new MemorySink();
    let polls = 0;
    await waitForOrphans(
      { [CHILDREN_KEY]: [intent] },
      {
        sink,
        pollMs: 1,
        sleep: async () => {
          // Each is waited for until it ends: end the orphan after two polls, then what it started.
          if (++polls % 2 === 0) {
            const next = found.find((p) => stillRunning(p) === 'running');
            if (next) process.kill(next.pid, 'SIGKILL');
            await new Promise((r) => setTimeout(r, 100));
          }
        },
      },
    );
    const waited = sink.events.filter((e) => e.code === 'tool.orphan-wait').map((e) => e.message);
    expect(waited).toHaveLength(2);
    expect(waited.join('\n')).toContain(`waiting for pid ${parent.pid} (terraform apply, dir x, started`);
    expect(waited.join('\n')).toContain(`waiting for pid ${grandchild} (terraform apply, dir x, started`);
    expect(processesWithEnv(`${CHILD_TOKEN_ENV}=${token}`)).toEqual([]);
  });
});
