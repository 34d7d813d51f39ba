/**
 * Registering a secret costs that secret's forms, not all the secrets registered before it. Secrets are added
 * one by one (a key file read, a token fetched), with redactions in between: a matcher rebuilt at each add made
 * a run with a few hundred secrets spend seconds redacting. Counted, not timed (times are for benchmarks:
 * `node bench/run.mjs redact-cost`): the literals filed and compared for the 300th secret are as few as for the 1st.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiteralMatcher } from '../../../src/core/literal-matcher.js';
import { Redactor } from '../../../src/core/redact.js';

const secret = (i: number): string => createHash('sha256').update(`secret ${i}`).digest('base64').slice(0, 32);

describe('Redactor cost', () => {
  afterEach(() => vi.restoreAllMocks());

  it('an add files only its own forms, and a plain line compares none of them, with 300 secrets as with 1', () => {
    const redactor = new Redactor();
    const filed = vi.spyOn(LiteralMatcher.prototype, 'add');
    // Every way a string is compared with another: a matcher that searched secret by secret would call one per secret.
    const comparers = (['startsWith', 'includes', 'indexOf', 'split'] as const).map((m) => vi.spyOn(String.prototype, m));
    const work: Array<[number, number]> = [];
    for (let i = 0; i < 300; i++) {
      filed.mockClear();
      redactor.add(secret(i));
      for (const c of comparers) c.mockClear();
      const line = `helm upgrade line ${i} with nothing secret in it`;
      expect(redactor.redact(line)).toBe(line);
      work.push([filed.mock.calls.length, comparers.reduce((n, c) => n + c.mock.calls.length, 0)]);
    }
    const [filedFirst, comparedFirst] = work[0] as [number, number];
    expect(filedFirst).toBeGreaterThan(0);
    // Each secret's own forms (verbatim, base64 at three offsets, escaped where it has what to escape): at most
    // the two dozen secretForms() spells, for the 300th as for the 1st; a rebuild would file all earlier ones.
    expect(Math.max(...work.map(([f]) => f))).toBeLessThanOrEqual(24);
    expect(Math.max(...work.map(([, c]) => c))).toBeLessThanOrEqual(comparedFirst + 2);
  });
});
