import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { apply, assertTotal, fuzzDir, op, processWarnings, RICH, runsFor, TEMPLATE } from './fuzz-helpers.js';
import type { ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await fuzzDir();
});
afterAll(() => ctx.cleanup());

describe('parseConfig fuzz: structure-aware', () => {
  it('survives structure-aware mutations of a valid config', async () => {
    expect(() => parseConfig(RICH, ctx.file)).not.toThrow();
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 4 }), fc.boolean(), (mutations, flow) => {
        let root = structuredClone(TEMPLATE);
        for (const mutation of mutations) root = apply(root, mutation);
        assertTotal(stringify(root, { collectionStyle: flow ? 'flow' : 'any', aliasDuplicateObjects: true }));
      }),
      { numRuns: runsFor(0.5) },
    );
    expect(await processWarnings()).toEqual([]);
  });
});
