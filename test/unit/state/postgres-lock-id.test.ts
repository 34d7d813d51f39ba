import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/state/postgres/migrations.js';
import { advisoryLockId, lockRowKey } from '../../../src/state/postgres/postgres-lock.js';

describe('advisory lock id', () => {
  it('is a stable signed 64-bit integer per (project, environment)', () => {
    // Pinned: another ws-deployment version must compute the same id, or two versions could both "hold" one environment.
    expect(advisoryLockId({ project: 'gitpod-io', environment: 'production' })).toBe(advisoryLockId({ project: 'gitpod-io', environment: 'production' }));
    expect(advisoryLockId({ project: 'p', environment: 'production' })).toBe('6645558161332435554');
    fc.assert(
      fc.property(fc.string(), fc.string(), (project, environment) => {
        const id = BigInt(advisoryLockId({ project, environment }));
        return id >= -(2n ** 63n) && id < 2n ** 63n;
      }),
    );
  });

  it('keeps keys apart that a naive join would merge', () => {
    expect(advisoryLockId({ project: 'a-b', environment: 'c' })).not.toBe(advisoryLockId({ project: 'a', environment: 'b-c' }));
    expect(advisoryLockId({ project: 'p', environment: 'staging' })).not.toBe(advisoryLockId({ project: 'p', environment: 'production' }));
    expect(lockRowKey({ project: 'p', environment: 'production' })).toBe('p/production');
  });
});

describe('migrations', () => {
  it('are numbered 1, 2, 3… without gaps or repeats', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });
});
