/**
 * The redactor's matcher against a reference that finds occurrences the plain way (indexOf for every literal at
 * every position): on a two-letter alphabet literals overlap, contain each other and share their first units.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { KEY_LENGTH, LiteralMatcher } from '../../../src/core/literal-matcher.js';

/** Every occurrence of every literal; overlapping ones merged into one replacement, adjacent ones kept apart. */
function reference(literals: readonly string[], text: string, replacement: string): string {
  const found: Array<[number, number]> = [];
  for (const literal of literals) {
    for (let at = text.indexOf(literal); at >= 0; at = text.indexOf(literal, at + 1)) found.push([at, at + literal.length]);
  }
  found.sort((a, b) => a[0] - b[0]);
  let out = '';
  let kept = 0;
  for (let i = 0; i < found.length; ) {
    const [start] = found[i] as [number, number];
    let end = (found[i] as [number, number])[1];
    for (i++; i < found.length && (found[i] as [number, number])[0] < end; i++) end = Math.max(end, (found[i] as [number, number])[1]);
    out += text.slice(kept, start) + replacement;
    kept = end;
  }
  return out + text.slice(kept);
}

const matcher = (...literals: string[]): LiteralMatcher => {
  const m = new LiteralMatcher();
  for (const l of literals) m.add(l);
  return m;
};

describe('LiteralMatcher', () => {
  it('replaces every occurrence as the plain search does', () => {
    const unit = fc.constantFrom('a', 'b');
    const literal = fc.array(unit, { minLength: KEY_LENGTH, maxLength: 12 }).map((u) => u.join(''));
    // Texts made of the literals themselves, pieces of them and other units, so that occurrences overlap often.
    const piece = fc.oneof(fc.nat(), fc.tuple(fc.nat(), fc.nat(), fc.nat()), unit, fc.constantFrom('c', '\u{1F600}'));
    const text = (literals: string[]) =>
      fc.array(piece, { maxLength: 12 }).map((pieces) =>
        pieces
          .map((p) => {
            if (typeof p === 'string') return p;
            if (typeof p === 'number') return literals[p % literals.length] as string;
            const whole = literals[p[0] % literals.length] as string;
            return whole.slice(p[1] % whole.length, (p[1] % whole.length) + (p[2] % whole.length));
          })
          .join(''),
      );
    fc.assert(
      fc.property(
        fc.array(literal, { minLength: 1, maxLength: 8 }).chain((literals) => fc.tuple(fc.constant(literals), text(literals))),
        ([literals, t]) => {
          expect(matcher(...literals).replace(t, '#')).toBe(reference(literals, t, '#'));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('leaves no part of a literal that contains or overlaps another, and replaces adjacent ones each', () => {
    const m = matcher('token-123456', '123456', 'abcdef12', 'ef12345678');
    expect(m.replace('x token-123456 y', '#')).toBe('x # y');
    expect(m.replace('xxabcdef12345678yy', '#')).toBe('xx#yy');
    expect(m.replace('123456123456', '#')).toBe('##');
    expect(m.replace('123456', '#')).toBe('#');
    expect(m.replace('12345', '#')).toBe('12345');
    expect(m.replace('', '#')).toBe('');
  });

  it('compares UTF-16 units, as the texts are read: a literal ending in half of a surrogate pair still matches', () => {
    const m = matcher('secret\u{1F600}', 'passw\uD83D');
    expect(m.replace('a secret\u{1F600} b', '#')).toBe('a # b');
    expect(m.replace('passw\u{1F600}', '#')).toBe('#\uDE00');
  });

  it('compares a few literals, not all of them, where a text shows the stretch many share (PEM keys of one kind)', () => {
    const header = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg';
    const keys = Array.from({ length: 200 }, (_, i) => `${header}${createHash('sha256').update(String(i)).digest('base64').slice(0, 16)}`);
    const m = matcher(...keys);
    const compared = vi.spyOn(String.prototype, 'startsWith');
    try {
      expect(m.replace(`a key: ${header}and-not-one-of-them`, '#')).toBe(`a key: ${header}and-not-one-of-them`);
      expect(compared.mock.calls.length).toBeLessThan(20);
      expect(m.replace(`a key: ${keys[123]}!`, '#')).toBe('a key: #!');
    } finally {
      compared.mockRestore();
    }
  });

  it('refuses a literal shorter than its key, which it could not find', () => {
    expect(() => matcher('short')).toThrow(/shorter than 6/);
  });
});
