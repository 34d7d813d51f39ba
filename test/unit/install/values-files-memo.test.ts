/**
 * The merge of values files read from disk is memoized by file list (plan merges the
 * same global files for every cluster): the result must be what an unmemoized merge
 * gives, follow every change of a file, and be frozen where it is shared.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { readValuesFile, type Values } from '../../../src/config/files/values-file.js';
import { mergeValues, mergeValuesFiles, valuesDigest } from '../../../src/steps/install/values.js';

const dir = mkdtempSync(join(tmpdir(), 'wsd-values-memo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, values: Values): string {
  const file = join(dir, name);
  writeFileSync(file, stringify(values));
  return file;
}

/** The merge without any cache: fresh reads folded with helm's rules. */
function reference(files: string[], inline: Map<string, Values> = new Map()): Values {
  return files.reduce<Values>((merged, file) => mergeValues(merged, inline.get(file) ?? readValuesFile(file)), {});
}

describe('merging values files', () => {
  it('gives the unmemoized merge, call after call, and follows a file rewritten in between', () => {
    const common = write('common.yaml', { image: { tag: 'a', pull: 'always' }, replicas: 1 });
    const region = write('region.yaml', { image: { tag: 'b' }, region: 'eu' });
    const generated = join(dir, 'generated.yaml');
    const inline = new Map<string, Values>([[generated, { installation: { cluster: 'eu01' }, image: { pull: 'never' } }]]);
    const files = [common, region, generated];
    const first = mergeValuesFiles(files, { replicas: 3 }, inline);
    expect(first).toEqual({ image: { tag: 'b', pull: 'never' }, replicas: 3, region: 'eu', installation: { cluster: 'eu01' } });
    expect(mergeValuesFiles(files, { replicas: 3 }, inline)).toEqual(first);
    expect(valuesDigest(mergeValuesFiles(files, { replicas: 3 }, inline), false)).toEqual(valuesDigest(first, false));

    // A longer text: size alone tells the reader's stat check the file changed.
    write('region.yaml', { image: { tag: 'c' }, region: 'us-west', extra: { added: true } });
    const second = mergeValuesFiles(files, {}, inline);
    expect(second).toEqual({ image: { tag: 'c', pull: 'never' }, replicas: 1, region: 'us-west', extra: { added: true }, installation: { cluster: 'eu01' } });
  });

  it('is frozen where shared, while plain reads of the same file stay private copies', () => {
    const file = write('shared.yaml', { nested: { list: [1, 2] }, top: 'x' });
    const merged = mergeValuesFiles([file], {});
    expect(() => {
      (merged.nested as Values).list = [];
    }).toThrow(TypeError);
    const copy = readValuesFile(file);
    (copy.nested as Values).list = [];
    expect(mergeValuesFiles([file], {})).toEqual({ nested: { list: [1, 2] }, top: 'x' });
  });

  it('equals the unmemoized merge for any files, in any order, read twice', () => {
    const mapValue = fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.oneof(fc.integer(), fc.constant(null), fc.dictionary(fc.constantFrom('x', 'y'), fc.integer()), fc.array(fc.integer(), { maxLength: 2 })));
    let round = 0;
    fc.assert(
      fc.property(fc.array(mapValue, { minLength: 1, maxLength: 4 }), (contents) => {
        round++;
        const files = contents.map((values, i) => write(`p${round}-${i}.yaml`, values));
        const want = reference(files);
        expect(mergeValuesFiles(files, {})).toEqual(want);
        expect(mergeValuesFiles(files, {})).toEqual(want);
      }),
      { numRuns: 50 },
    );
  });
});
