/**
 * What a stop of the job gives back to the shell and takes again at `fg` (job-control.ts): the alternate screen of
 * `status --watch` and the raw mode of a question. job-control.ts is replaced by a recorder: its real stop would
 * stop the test runner (the real stop is test/unit/cli/job-control.test.ts).
 */
import { EventEmitter } from 'node:events';
import type { Interface } from 'node:readline';
import { describe, expect, it, vi } from 'vitest';
import type { TerminalMode } from '../../../src/cli/job-control.js';

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
    const input = { setRawMode: vi.fn() };
    keepAnswerable(rl as unknown as Interface, input as unknown as NodeJS.ReadableStream);
    const [mode] = [...held];
    mode?.leave();
    expect(input.setRawMode).toHaveBeenLastCalledWith(false);
    mode?.retake();
    expect(input.setRawMode).toHaveBeenLastCalledWith(true);
    expect(rl.prompt).toHaveBeenCalledWith(true);
    rl.emit('SIGTSTP');
    expect(stopJob).toHaveBeenCalledOnce();
    rl.emit('close');
    expect(held.size).toBe(0);
  });
});
