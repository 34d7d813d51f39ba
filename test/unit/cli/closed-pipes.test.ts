/** Writes to a stdout/stderr whose reader (pipe or terminal) went away are dropped; other stream errors stay fatal. */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ignoreClosedPipes } from '../../../src/cli/render/closed-pipes.js';

function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`write ${code}`), { code });
}

describe('ignoreClosedPipes', () => {
  it('drops EPIPE, which would otherwise be an uncaught error that kills the run', () => {
    const stdout = new EventEmitter();
    expect(() => stdout.emit('error', errnoError('EPIPE'))).toThrow('EPIPE'); // what happens without it
    ignoreClosedPipes([stdout]);
    expect(() => stdout.emit('error', errnoError('EPIPE'))).not.toThrow();
  });

  it('drops EIO, what a terminal that closed (SIGHUP) answers, so the stopping run gets to journal it', () => {
    const stderr = new EventEmitter();
    ignoreClosedPipes([stderr]);
    expect(() => stderr.emit('error', errnoError('EIO'))).not.toThrow();
  });

  it('leaves any other stream error as fatal as before', () => {
    const stderr = new EventEmitter();
    ignoreClosedPipes([stderr]);
    expect(() => stderr.emit('error', errnoError('EBADF'))).toThrow('EBADF');
  });

  it('guards a stream once however often main() runs', () => {
    const stream = new EventEmitter();
    ignoreClosedPipes([stream]);
    ignoreClosedPipes([stream]);
    expect(stream.listenerCount('error')).toBe(1);
  });
});
