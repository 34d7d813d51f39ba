/** What an unknown throw becomes when a step fails with it. */
import { describe, expect, it } from 'vitest';
import { toWsdError } from '../../../src/core/errors.js';

function errno(code: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, write`), { code, syscall: 'write', ...(path ? { path } : {}) });
}

describe('toWsdError', () => {
  it('a full disk is the operator\'s to fix, not an internal error to report', () => {
    const error = toWsdError(errno('ENOSPC', '/state/d-1/c/releases/gitpod/all.yaml'));
    expect(error).toMatchObject({ code: 'StateIo', source: 'user' });
    expect(error.message).toBe('cannot write /state/d-1/c/releases/gitpod/all.yaml (ENOSPC): the disk holding the state dir is full; free space, then continue the deployment with `resume` and its id (`ws-deployment status --all` lists them)');
    expect(toWsdError(errno('ENOSPC')).message).toMatch(/^cannot write \(ENOSPC\): the disk holding the state dir is full/);
  });

  it('a read-only filesystem names the fix', () => {
    expect(toWsdError(errno('EROFS', '/state/x')).message).toContain('read-only filesystem; pass --state-dir DIR with a writable folder');
  });

  it('anything else stays an internal error', () => {
    expect(toWsdError(new TypeError('x is undefined'))).toMatchObject({ code: 'Internal', message: 'internal error: x is undefined' });
  });
});
