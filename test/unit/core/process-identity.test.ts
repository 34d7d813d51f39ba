/**
 * A process' stop state read from its /proc/PID/stat line: the command name (field 2) may hold spaces and
 * parentheses, even a `) T (` of its own, so the state is the field after the last ')'.
 */
import { describe, expect, it } from 'vitest';
import { stopStateOf } from '../../../src/core/process-identity.js';

const line = (comm: string, state: string): string => `4242 (${comm}) ${state} 1 4242 4242 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 123456 0 0`;

describe('the stop state of a process', () => {
  it('is stopped for state T (SIGSTOP, a job stopped with Ctrl-Z) and traced for t (a debugger holds it)', () => {
    expect(stopStateOf(line('terraform', 'T'))).toBe('stopped');
    expect(stopStateOf(line('terraform', 't'))).toBe('traced');
  });

  it('is none for a process that runs, sleeps, waits on a disk or has exited', () => {
    for (const state of ['R', 'S', 'D', 'I', 'Z', 'X']) expect(stopStateOf(line('helm', state)), state).toBeUndefined();
  });

  it('is read after the last parenthesis, whatever the command name holds', () => {
    expect(stopStateOf(line('a) T (b', 'S'))).toBeUndefined();
    expect(stopStateOf(line('tf ) t )', 'T'))).toBe('stopped');
    expect(stopStateOf(line('my tool (x)', 't'))).toBe('traced');
  });
});
