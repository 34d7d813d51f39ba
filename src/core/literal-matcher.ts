/**
 * Finds every occurrence of many literals in a text, at a cost that grows with the text and not with the
 * number of literals, and with nothing rebuilt when one is added (secrets are registered one by one, a
 * redaction between each: a matcher rebuilt per add is quadratic in the number of secrets).
 *
 * Each literal is filed under a hash of `KEY_LENGTH` UTF-16 units of it. A text is scanned once with the same
 * hash, rolled one unit at a time; a bit set answers "no literal is filed here" for almost every position, and
 * where one may, only the literals filed under that hash are compared. The units are the literal's rarest among
 * the literals seen so far (nearest its middle among equals): secrets of one kind share long stretches (every
 * PEM key's `-----BEGIN PRIVATE KEY-----`, an EC key's first 48 base64 characters), and literals filed by those
 * would all be compared wherever a text shows them.
 */

/** Every literal is at least this long: the redactor registers nothing shorter (see MIN_SECRET_LENGTH). */
export const KEY_LENGTH = 6;

const BASE = 0x01000193;
/** BASE^(KEY_LENGTH-1) mod 2^32: takes the unit leaving the window out of the rolling hash. */
const BASE_OUT = Array.from({ length: KEY_LENGTH - 1 }).reduce<number>((p) => Math.imul(p, BASE), 1);
const BITS = 18;
/** How many literals seen contain a window, by its hash (approximately: counters are shared by 2^(32-COUNTERS) hashes). */
const COUNTERS = 16;

interface Filed {
  literal: string;
  /** Where in the literal its hashed units start. */
  offset: number;
}

export class LiteralMatcher {
  private readonly buckets = new Map<number, Filed[]>();
  private readonly seen = new Set<string>();
  private readonly bits = new Int32Array(2 ** (BITS - 5));
  private readonly windows = new Uint16Array(2 ** COUNTERS);

  add(literal: string): void {
    if (literal.length < KEY_LENGTH) throw new Error(`internal: a literal shorter than ${KEY_LENGTH} units cannot be matched`);
    if (this.seen.has(literal)) return;
    this.seen.add(literal);
    const { offset, hash } = this.rarestWindow(literal);
    const bucket = this.buckets.get(hash);
    if (bucket) bucket.push({ literal, offset });
    else this.buckets.set(hash, [{ literal, offset }]);
    const bit = slot(hash);
    this.bits[bit >>> 5] = this.word(bit) | (1 << (bit & 31));
  }

  /**
   * Replaces every occurrence of every literal with `replacement`. Overlapping occurrences are replaced as
   * one (a literal that contains another, or two that overlap, leave no part of either); adjacent ones each.
   */
  replace(text: string, replacement: string): string {
    if (this.seen.size === 0 || text.length < KEY_LENGTH) return text;
    const found = this.occurrences(text);
    if (found.length === 0) return text;
    found.sort((a, b) => a[0] - b[0]);
    let out = '';
    let kept = 0; // text before this index is in `out`
    for (let i = 0; i < found.length; ) {
      const [start, first] = found[i] as [number, number];
      let end = first;
      for (i++; i < found.length && (found[i] as [number, number])[0] < end; i++) end = Math.max(end, (found[i] as [number, number])[1]);
      out += text.slice(kept, start) + replacement;
      kept = end;
    }
    return out + text.slice(kept);
  }

  /** Start and end of every occurrence of every literal in `text`, in no particular order. */
  private occurrences(text: string): Array<[number, number]> {
    const found: Array<[number, number]> = [];
    let hash = windowHash(text, 0);
    for (let i = 0; ; i++) {
      const bit = slot(hash);
      if (this.word(bit) & (1 << (bit & 31))) {
        for (const { literal, offset } of this.buckets.get(hash) ?? []) {
          const start = i - offset;
          if (start >= 0 && text.startsWith(literal, start)) found.push([start, start + literal.length]);
        }
      }
      if (i + KEY_LENGTH >= text.length) return found;
      hash = roll(hash, text, i);
    }
  }

  /** Counts each window of `literal` as seen, and returns the one the fewest literals seen contain. */
  private rarestWindow(literal: string): { offset: number; hash: number } {
    const middle = (literal.length - KEY_LENGTH) >> 1;
    let best = { offset: middle, hash: 0, seen: Infinity };
    let hash = windowHash(literal, 0);
    for (let offset = 0; ; offset++) {
      const counter = Math.imul(hash, 0x85ebca6b) >>> (32 - COUNTERS);
      const seen = Math.min((this.windows[counter] as number) + 1, 0xffff);
      this.windows[counter] = seen;
      if (seen < best.seen || (seen === best.seen && Math.abs(offset - middle) < Math.abs(best.offset - middle))) best = { offset, hash, seen };
      if (offset + KEY_LENGTH >= literal.length) return best;
      hash = roll(hash, literal, offset);
    }
  }

  /** The 32 bits `bit` is one of. */
  private word(bit: number): number {
    return this.bits[bit >>> 5] as number;
  }
}

/** The hash of `text`'s KEY_LENGTH units from `at`, as the scan rolls it. */
function windowHash(text: string, at: number): number {
  let hash = 0;
  for (let i = at; i < at + KEY_LENGTH; i++) hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) | 0;
  return hash;
}

/** The hash of the window after the one from `at`, from that one's `hash`. */
function roll(hash: number, text: string, at: number): number {
  return (Math.imul(hash - Math.imul(text.charCodeAt(at), BASE_OUT), BASE) + text.charCodeAt(at + KEY_LENGTH)) | 0;
}

/** The bit for `hash` (its high bits after a multiplicative mix: the low ones of a polynomial hash are poor). */
function slot(hash: number): number {
  return Math.imul(hash, 0x9e3779b1) >>> (32 - BITS);
}
