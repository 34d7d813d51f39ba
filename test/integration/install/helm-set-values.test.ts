/**
 * The config's `set` pairs mean to real helm (3.18 and 4.1, through the product's
 * `helm template` call) what they mean to our own model of them (`applySet`, whose
 * result is the values digest and the shown values): the chart renders `.Values`
 * as JSON and it must equal the model, for generated strings, numbers and booleans.
 * Real helm disagreed on strings opening with `{` (a list to helm's strvals parser)
 * and on numbers that are not integers (`--set` makes `0.5` the string "0.5").
 * Values files are read whole at paths holding commas or double quotes (`--values`
 * is a CSV-parsed string slice to helm).
 * The helm binaries come from devDependencies: missing, they fail the suite (real-helm.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { jaegerSectionSchema } from '../../../src/steps/install/config.js';
import { applySet } from '../../../src/steps/install/values.js';
import { Helm, type ReleaseSpec } from '../../../src/tools/helm.js';
import { realHelms } from '../../fixtures/install/real-helm.js';

const root = mkdtempSync(join(tmpdir(), 'wsd-helm-set-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const previous = process.env.WSD_HELM;
afterEach(() => {
  if (previous === undefined) delete process.env.WSD_HELM;
  else process.env.WSD_HELM = previous;
});

// base64 of the JSON, so no string value can upset the YAML helm prints.
const chart = join(root, 'chart');
mkdirSync(join(chart, 'templates'), { recursive: true });
writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: values-echo\nversion: 0.1.0\n');
writeFileSync(join(chart, 'templates', 'values.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: values\ndata:\n  json: {{ toJson .Values | b64enc }}\n');

type SetValue = string | number | boolean;

/** What helm made of `set`: the chart's `.Values`. */
async function renderedValues(helm: Helm, set: Record<string, SetValue>, more: Partial<ReleaseSpec> = {}): Promise<unknown> {
  const spec: ReleaseSpec = { release: 'echo', namespace: 'default', chart: { path: chart, name: 'values-echo' }, valuesFiles: [], set, timeoutSeconds: 60, description: 'd', ...more };
  const manifest = await helm.template(spec);
  const configMap = parseAllDocuments(manifest).map((doc) => doc.toJS() as { data?: { json?: string } } | null).find((doc) => doc?.data?.json);
  return JSON.parse(Buffer.from(configMap?.data?.json ?? '', 'base64').toString('utf8')) as unknown;
}

/** Our model, as JSON would carry it (-0 is 0 in any JSON). */
function modelled(set: Record<string, SetValue>): unknown {
  return JSON.parse(JSON.stringify(applySet({}, set))) as unknown;
}

/** Strings helm's strvals parser gives meaning to, then any text (no NUL: argv cannot carry one). */
const tricky = fc.constantFrom('{a,b}', '{}', '{', '}', '{a}', 'x,y', '\\', '\\{', '\\,', 'a=b', '[0]', 'a[0]', 'null', 'true', '0', '1.5', '', ' ', '~', 'a.b', '"q"', "'", '\n');
const text = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !s.includes('\0'));
const value: fc.Arbitrary<SetValue> = fc.oneof(tricky, text, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.maxSafeInteger(), fc.boolean());

/** Keys as the config allows them (dotted, none a prefix of another), some under a shared parent. */
function keyed(values: SetValue[]): Record<string, SetValue> {
  return Object.fromEntries(values.map((v, i) => [i % 3 === 0 ? `top${i}` : `group.k${i}`, v]));
}

describe.each(realHelms())('set values with helm $version', ({ path }) => {
  it('renders the values the model computes for the cases helm parses specially', async () => {
    process.env.WSD_HELM = path;
    const helm = new Helm({ homeDir: join(root, 'home') });
    const set = { list: '{a,b}', empty: '{}', brace: '{', comma: 'x,y', backslash: 'a\\{b\\', half: 0.5, big: 1e21, small: -3, flag: false, text: '1.5' };
    expect(await renderedValues(helm, set)).toEqual(modelled(set));
  });

  it('lets the kind of a value decide between overlapping keys, which is why the config refuses them', async () => {
    process.env.WSD_HELM = path;
    const set = { a: 's', 'a.b': 1 };
    // Sorted, `a.b` comes last and the model nests it; helm applies --set before --set-string.
    expect(modelled(set)).toEqual({ a: { b: 1 } });
    expect(await renderedValues(new Helm({ homeDir: join(root, 'home') }), set)).toEqual({ a: 's' });
    expect(jaegerSectionSchema.safeParse({ set }).success).toBe(false);
  });

  it('renders the values the model computes for generated set pairs', async () => {
    process.env.WSD_HELM = path;
    const helm = new Helm({ homeDir: join(root, 'home') });
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 12 }), async (values) => {
        const set = keyed(values);
        expect(await renderedValues(helm, set)).toEqual(modelled(set));
      }),
      { numRuns: 20 },
    );
  });

  it('reads values files whole at paths holding a comma or a double quote', async () => {
    process.env.WSD_HELM = path;
    const dir = join(root, `state,dir "q"-${Math.random().toString(16).slice(2)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a,b.yaml'), 'fromFile: first\nkept: true\n');
    writeFileSync(join(dir, 'plain.yaml'), 'fromFile: second\n');
    const values = await renderedValues(new Helm({ homeDir: join(root, 'home') }), { n: 1 }, {
      valuesFiles: [join(dir, 'a,b.yaml'), join(dir, 'plain.yaml')],
      secretValues: { password: 'p' },
      secretValuesFile: join(dir, 'values', 'echo.secret.json'),
    });
    expect(values).toEqual({ fromFile: 'second', kept: true, n: 1, password: 'p' });
  });
});
