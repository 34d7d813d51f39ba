/**
 * What a stop of the job gives back to the shell and takes again at `fg` (job-control.ts): the alternate screen of
 * `status --watch`, the raw mode of a question and the rows of deploy's live area. job-control.ts is replaced by a recorder: its real stop would
 * stop the test runner (the real stop is test/unit/cli/job-control.test.ts).
 */
import { EventEmitter } from 'node:events';
import type { Interface } from 'node:readline';
import xterm from '@xterm/headless';
import { describe, expect, it, vi } from 'vitest';
import type { TerminalMode } from '../../../src/cli/job-control.js';
import { logicalLines } from '../../helpers/pty.js';

const held = vi.hoisted(() => new Set<TerminalMode>());
const stopJob = vi.hoisted(() => vi.fn());
vi.mock('../../../src/cli/job-control.js', () => ({
  stopJob,
  holdTerminalMode: (mode: TerminalMode) => {
    held.add(mode);
    return () => held.delete(mode);
  },
}));

const { watchScreen } = await import('../../../src/cli/render/watch-screen.js');
const { keepAnswerable } = await import('../../../src/cli/render/question-terminal.js');
const { TtyRenderer } = await import('../../../src/cli/render/tty-renderer.js');

describe('terminal modes across Ctrl-Z and fg', () => {
  it('the watch leaves the alternate screen on a stop and draws its frame again on it after fg, until it closes', () => {
    let written = '';
    const out = { isTTY: true, columns: 80, rows: 24, on: () => out, off: () => out, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    const screen = watchScreen(out);
    expect(held.size).toBe(0);
    screen.draw(['cluster a: deployed']);
    const [mode] = [...held];
    written = '';
    mode?.leave();
    expect(written).toBe('\x1b[?1049l');
    written = '';
    mode?.retake();
    expect(written.startsWith('\x1b[?1049h')).toBe(true);
    expect(written).toContain('cluster a: deployed');
    screen.close();
    expect(held.size).toBe(0);
  });

  it('a question gives cooked mode back on a stop, takes raw mode and redraws after fg; its Ctrl-Z stops the whole job', () => {
    const rl = Object.assign(new EventEmitter(), { prompt: vi.fn() });
    // The terminal's own setRawMode: keepAnswerable wraps the input's (a hung-up terminal's EIO is no error).
    const setRawMode = vi.fn();
    const input = { setRawMode };
    keepAnswerable(rl as unknown as Interface, input as unknown as NodeJS.ReadableStream);
    const [mode] = [...held];
    mode?.leave();
    expect(setRawMode).toHaveBeenLastCalledWith(false);
    mode?.retake();
    expect(setRawMode).toHaveBeenLastCalledWith(true);
    expect(rl.prompt).toHaveBeenCalledWith(true);
    rl.emit('SIGTSTP');
    expect(stopJob).toHaveBeenCalledOnce();
    rl.emit('close');
    expect(held.size).toBe(0);
  });

  it("deploy's live area after fg is drawn whole under what the shell wrote meanwhile, none of the shell's lines erased", async () => {
    // An independent terminal emulator (convertEol: a pty's onlcr) as the screen.
    const term = new xterm.Terminal({ cols: 80, rows: 24, allowProposedApi: true, convertEol: true });
    let pending = Promise.resolve();
    const write = (t: string): boolean => ((pending = pending.then(() => new Promise<void>((r) => term.write(t, () => r())))), true);
    const screen = async (): Promise<string[]> => (await pending, logicalLines(term));
    write('$ ws-deployment deploy\n');
    const r = new TtyRenderer({ columns: 80, rows: 24, write }, false);
    const step = (cluster: string, code: string): void => r.emit({ level: 'info', code, cluster, step: 'create-cluster', message: code });
    step('eu1', 'step.succeeded');
    step('us1', 'step.succeeded');
    r.emit({ level: 'warn', code: 'x', message: 'a line scrolled above the area' });
    const area = ['eu1  create-cluster     succeeded', 'us1  create-cluster     succeeded'];
    expect((await screen()).slice(-2)).toEqual(area);
    const [mode] = [...held];
    mode?.leave();
    // The shell, while the job is stopped: the echoed key, its report, its prompt, `fg` typed, the command echoed.
    const shell = ['^Z', '[1]+  Stopped                 ws-deployment deploy', '$ fg', 'ws-deployment deploy'];
    write(`${shell.join('\n')}\n`);
    step('us1', 'step.failed');
    mode?.retake();
    const after = await screen();
    // The frame of the stop stays above the shell's lines, whole; the new one, whole, under them.
    expect(after.slice(-8)).toEqual([...area, ...shell, area[0], 'us1  create-cluster     failed']);
    expect(after.filter((l) => l.includes('scrolled above'))).toHaveLength(1);
    r.close();
    expect(held.size).toBe(0);
  });
});
