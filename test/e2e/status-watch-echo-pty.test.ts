/**
 * Keys typed during `status --watch` at a real pseudo-terminal (test/helpers/pty-run.py, read back through
 * @xterm/headless). The watch draws on the alternate screen and the terminal's echo was on: every key appeared at the
 * cursor under the frame until the next frame erased it, an Enter a row lower. The echo is now off while the watch
 * draws, as in deploy's view, and on again however the watch ends: Ctrl-C, SIGTERM, SIGHUP, the deployment ending,
 * and after Ctrl-Z and `fg` (where it is off again while the watch goes on). The terminal's modes the CLI left are read
 * by the operator's next command, `stty -a`, which bash runs after it.
 *
 * The watched deployment is the cross-reader fixture of a run waiting at a manual gate, its lock held by this test
 * (a live process): no terraform, so each case takes a couple of seconds.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import type { LockHandle } from '../../src/state/store.js';
import { BIN } from '../helpers/cli.js';
import { startPty, type PtyRun } from '../helpers/pty.js';
import { ECHO_FOUND_OFF } from '../../src/cli/render/terminal-echo.js';
import { processState, until } from '../helpers/processes.js';
import { requireBinary } from '../helpers/require-binary.js';
import { CASES, makeCase, type OutcomeCase } from './outcome-readers-agree.fixtures.js';

const hasTools = requireBinary('python3', 'the pseudo-terminal is Python’s pty module') && requireBinary('bash', 'the shell that runs `stty -a` after the CLI') && requireBinary('stty', 'the terminal modes are read with stty');

const WAITING = CASES.find((c) => c.live === 'here' && c.records.some((r) => r.type === 'event' && (r as { code?: string }).code === 'traffic.gate')) as OutcomeCase;
/** The frame of the waiting deployment, whole (its gate line). */
const FRAME = /waiting (for approval )?at manual gate[^\n]*\n/;

/** The pid of this case's CLI: the node process whose arguments name its own state dir. */
function cliPid(root: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes('--watch') && argv.includes(root) && !argv.includes('-c')) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** The echo flag in what `stty -a` printed last on the terminal. */
function echoAfter(lines: string[]): boolean | undefined {
  const screen = lines.join('\n');
  const modes = screen.slice(screen.lastIndexOf('speed '));
  if (!modes.startsWith('speed ')) return undefined;
  return /(^|\s)echo(\s|$)/m.test(modes) ? true : /(^|\s)-echo(\s|$)/m.test(modes) ? false : undefined;
}

describe.skipIf(!hasTools).concurrent('keys typed during status --watch', () => {
  const roots: string[] = [];
  const locks: LockHandle[] = [];
  afterAll(async () => {
    for (const lock of locks) await lock.release();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });
  beforeAll(() => expect(WAITING).toBeDefined());

  /** A state dir of its own holding the waiting deployment (its lock held here). */
  const waitingIn = async (): Promise<{ root: string; store: FileStateStore }> => {
    const root = mkdtempSync(join(tmpdir(), 'wsd-watch-echo-'));
    roots.push(root);
    const config = join(root, 'c.yaml');
    writeFileSync(config, 'version: v1\n');
    const store = new FileStateStore(root);
    await makeCase(store, WAITING, config);
    locks.push(await store.lock({ project: 'p', environment: WAITING.env }, { deploymentId: WAITING.id, command: 'deploy' }));
    return { root, store };
  };

  /** The watch of a state dir of {@link waitingIn}, drawn once. */
  const watch = async (onTestFinished: (f: () => void) => void, control = false): Promise<{ run: PtyRun; root: string; store: FileStateStore }> => {
    const { root, store } = await waitingIn();
    const run = startPty(['status', '--watch', WAITING.id, '--state-dir', root], { cols: 100, rows: 30, control, then: 'stty -a' });
    onTestFinished(() => run.kill());
    await run.waitForOutput(FRAME, 0, 60_000);
    return { run, root, store };
  };

  it('are not echoed while it draws; Ctrl-C ends it with the echo on', async ({ onTestFinished }) => {
    const { run } = await watch(onTestFinished);
    const mark = run.written();
    run.type('hello\rworld');
    await run.waitForOutput(new RegExp(`${FRAME.source}[^]*${FRAME.source}`), mark, 30_000);
    const during = await run.screen();
    expect(during.join('\n')).not.toMatch(/hello|world/);
    run.type('\x03');
    const result = await run.done;
    expect(result.raw.slice(mark)).not.toMatch(/hello|world/);
    expect(result.lines.join('\n')).toMatch(/stopped watching \(SIGINT\)/);
    expect(result.left.screen).toBe('normal');
    expect(echoAfter(result.lines), result.lines.join('\n')).toBe(true);
  });

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} ends it with the echo on`, async ({ onTestFinished }) => {
      const { run, root } = await watch(onTestFinished);
      let pid: number | undefined;
      await until('the watch process', () => (pid = cliPid(root)) !== undefined, 30_000);
      process.kill(pid!, signal);
      const result = await run.done;
      expect(result.lines.join('\n')).toContain(`stopped watching (${signal})`);
      expect(echoAfter(result.lines), result.lines.join('\n')).toBe(true);
    });
  }

  it('the deployment ending ends it with the echo on', async ({ onTestFinished }) => {
    const { run, store } = await watch(onTestFinished);
    const journal = await store.open(WAITING.id);
    await journal.append({ type: 'deployment.finished', state: 'interrupted', error: { code: 'Interrupted', message: 'interrupted' } } as never);
    const result = await run.done;
    expect(result.lines.join('\n')).toMatch(/exit code 130/);
    expect(echoAfter(result.lines), result.lines.join('\n')).toBe(true);
  });

  it('a watch SIGKILLed leaves the echo off (nothing can give it back); the next one on that terminal says so and how to fix it, and leaves it as it found it', async ({ onTestFinished }) => {
    const { root } = await waitingIn();
    // As a script runs it (a wrapper, make, a CI step's shell): the next command runs after the first was killed.
    const args = ['status', '--watch', WAITING.id, '--state-dir', root];
    const second = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    const run = startPty(args, { cols: 100, rows: 30, then: `${second}; stty -a` });
    onTestFinished(() => run.kill());
    await run.waitForOutput(FRAME, 0, 60_000);
    let first: number | undefined;
    await until('the first watch', () => (first = cliPid(root)) !== undefined, 30_000);
    process.kill(first!, 'SIGKILL');
    // The second draws; then it is stopped as an operator stops it.
    let next: number | undefined;
    await until('the second watch', () => (next = cliPid(root)) !== undefined && next !== first, 30_000);
    const mark = run.written();
    await run.waitForOutput(FRAME, mark, 30_000);
    run.type('\x03');
    const result = await run.done;
    const screen = result.lines.join('\n');
    expect(screen).toContain(`warning: ${ECHO_FOUND_OFF}`);
    expect(screen.indexOf('warning: ')).toBeLessThan(screen.indexOf('stopped watching (SIGINT)'));
    expect(echoAfter(result.lines), screen).toBe(false);
  });

  it('after Ctrl-Z and fg typed keys are still not echoed, and the echo is on once it ends', async ({ onTestFinished }) => {
    const { run, root } = await watch(onTestFinished, true);
    let pid: number | undefined;
    await until('the watch process', () => (pid = cliPid(root)) !== undefined, 30_000);
    await run.suspend();
    // The job's leader is the bash that runs `stty -a` afterwards: it stops on the key at once, the CLI once it has
    // given the terminal back. `fg` before that would continue a CLI that then stops itself for good.
    await until('the watch to stop', () => processState(pid!) === 'T', 30_000);
    await run.foreground();
    // The frame drawn on `fg`, then the next poll's: the terminal's modes are taken back by then.
    const mark = run.written();
    await run.waitForOutput(new RegExp(`${FRAME.source}[^]*${FRAME.source}`), mark, 30_000);
    run.type('qzxv');
    const typed = run.written();
    await run.waitForOutput(new RegExp(`${FRAME.source}[^]*${FRAME.source}`), typed, 30_000);
    expect((await run.screen()).join('\n')).not.toMatch(/qzxv/);
    run.type('\x03');
    const result = await run.done;
    expect(result.raw.slice(typed)).not.toMatch(/qzxv/);
    expect(echoAfter(result.lines), result.lines.join('\n')).toBe(true);
  });
});
