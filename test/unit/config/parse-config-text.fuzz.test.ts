import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertTotal, byteOp, fuzzDir, processWarnings, RICH, runsFor } from './fuzz-helpers.js';
import type { ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await fuzzDir();
});
afterAll(() => ctx.cleanup());

describe('parseConfig fuzz: raw text', () => {
  it('survives raw text mutations of a valid config', async () => {
    fc.assert(
      fc.property(fc.array(byteOp, { minLength: 1, maxLength: 6 }), (ops) => {
        let text = RICH;
        for (const { at, del, insert } of ops) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + insert + text.slice(i + del);
        }
        assertTotal(text);
      }),
      { numRuns: runsFor(0.4) },
    );
    expect(await processWarnings()).toEqual([]);
  });

  it('survives arbitrary text', async () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => assertTotal(text)), { numRuns: runsFor(0.1) });
    expect(await processWarnings()).toEqual([]);
  });
});
