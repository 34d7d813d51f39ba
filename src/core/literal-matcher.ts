/**
 * Finds every occurrence of many literals in a text, at a cost that grows with the text and not with the
 * number of literals, and with nothing rebuilt when one is added (secrets are registered one by one, a
 * redaction between each: a matcher rebuilt per add is quadratic in the number of secrets).
 *
 * Each literal is filed under a hash of its first `KEY_LENGTH` UTF-16 units. A text is scanned once with
 * the same hash, rolled one unit at a time; a bit set answers "no literal starts here" for almost every
 * position, and where one may, only the literals filed under that hash are compared.
 */

/** Every literal is at least this long: the redactor registers nothing shorter (see MIN_SECRET_LENGTH). */
export const KEY_LENGTH = 6;

const BASE = 0x01000193;
/** BASE^(KEY_LENGTH-1) mod 2^32: takes the unit leaving the window out of the rolling hash. */
const BASE_OUT = Array.from({ length: KEY_LENGTH - 1 }).reduce<number>((p) => Math.imul(p, BASE), 1);
const BITS = 18;

export class LiteralMatcher {
  /** Literals by the hash of their first KEY_LENGTH units, longest first (only the longest at a position matters). */
  private readonly buckets = new Map<number, string[]>();
  private readonly seen = new Set<string>();
  private readonly bits = new Int32Array(2 ** (BITS - 5));

  add(literal: string): void {
    if (literal.length < KEY_LENGTH) throw new Error(`internal: a literal shorter than ${KEY_LENGTH} units cannot be matched`);
    if (this.seen.has(literal)) return;
    this.seen.add(literal);
    const hash = windowHash(literal, 0);
    const bucket = this.buckets.get(hash);
    if (!bucket) this.buckets.set(hash, [literal]);
    else bucket.splice(insertAt(bucket, literal.length), 0, literal);
    const bit = slot(hash);
    this.bits[bit >>> 5] = this.word(bit) | (1 << (bit & 31));
  }

  /**
   * Replaces every occurrence of every literal with `replacement`. Overlapping occurrences are replaced as
   * one (a literal that contains another, or two that overlap, leave no part of either); adjacent ones each.
   */
  replace(text: string, replacement: string): string {
    if (this.seen.size === 0 || text.length < KEY_LENGTH) return text;
    let out = '';
    let kept = 0; // text before this index is in `out`
    let runStart = -1;
    let runEnd = -1;
    let hash = windowHash(text, 0);
    for (let i = 0; ; i++) {
      const bit = slot(hash);
      if (this.word(bit) & (1 << (bit & 31))) {
        const end = this.longestAt(text, i, hash);
        if (end > i) {
          if (i < runEnd) runEnd = Math.max(runEnd, end);
          else {
            if (runEnd >= 0) {
              out += text.slice(kept, runStart) + replacement;
              kept = runEnd;
            }
            runStart = i;
            runEnd = end;
          }
        }
      }
      if (i + KEY_LENGTH >= text.length) break;
      hash = (Math.imul(hash - Math.imul(text.charCodeAt(i), BASE_OUT), BASE) + text.charCodeAt(i + KEY_LENGTH)) | 0;
    }
    if (runEnd < 0) return text;
    return out + text.slice(kept, runStart) + replacement + text.slice(runEnd);
  }

  /** The 32 bits `bit` is one of. */
  private word(bit: number): number {
    return this.bits[bit >>> 5] as number;
  }

  /** The end of the longest literal at `at` in `text`, or -1. */
  private longestAt(text: string, at: number, hash: number): number {
    for (const literal of this.buckets.get(hash) ?? []) if (text.startsWith(literal, at)) return at + literal.length;
    return -1;
  }
}

/** The hash of `text`'s KEY_LENGTH units from `at`, as the scan rolls it. */
function windowHash(text: string, at: number): number {
  let hash = 0;
  for (let i = at; i < at + KEY_LENGTH; i++) hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) | 0;
  return hash;
}

/** The bit for `hash` (its high bits after a multiplicative mix: the low ones of a polynomial hash are poor). */
function slot(hash: number): number {
  return Math.imul(hash, 0x9e3779b1) >>> (32 - BITS);
}

/** Where a literal of `length` goes in a bucket kept longest first. */
function insertAt(bucket: readonly string[], length: number): number {
  const i = bucket.findIndex((l) => l.length < length);
  return i < 0 ? bucket.length : i;
}
