/**
 * Tool children journaled at spawn, and a resume's wait for the ones a killed run
 * left running: a real child process is waited for until it exits; a journaled pid
 * that now belongs to a process with another start time (pid reused) is not; one
 * that outlives its bound stops the resume naming its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { identify, processStartTicks } from '../../../src/core/process-identity.js';
import { CHILDREN_KEY, checkpointChildJournal, waitForOrphans, withChildJournal, type ChildMark } from '../../../src/tools/child-journal.js';
import { runTool } from '../../../src/tools/exec.js';

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
    expect(written).toHaveLength(2);
    const marks = written[1]?.[CHILDREN_KEY] as ChildMark[];
    expect(marks.map((m) => m.target)).toEqual(['release a in namespace n', 'release b in namespace n']);
    expect(marks[0]).toMatchObject({ host: hostname(), tool: 'node -e', boundMs: 6_000 });
    if (hasProc) expect(marks[0]?.startTicks).toEqual(expect.any(Number));
  });
});
