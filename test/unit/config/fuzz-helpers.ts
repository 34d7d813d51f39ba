/**
 * Shared by the parseConfig fuzz tests (split in two files so vitest runs them
 * on two workers). Property: whatever the text, parseConfig returns a config or
 * throws a ConfigInvalidError whose every issue is positioned, never anything else.
 * Run count: see RUNS.
 */
import fc from 'fast-check';
import { parse } from 'yaml';
import { ConfigInvalidError } from '../../../src/config/issues.js';
import { parseConfig } from '../../../src/config/load.js';
import { BASE, configDir, type ConfigDir } from './helpers.js';

/**
 * WSD_FUZZ_RUNS is the number of generated configs of the whole fuzz test
 * (default 1000; CI uses 10000), shared out between the properties: half
 * structure-aware, 40 % raw text mutations, 10 % arbitrary text.
 */
export const RUNS = Math.max(1, Number(process.env.WSD_FUZZ_RUNS ?? 1000) || 1000);

/** This property's share of {@link RUNS}. */
export function runsFor(share: number): number {
  return Math.max(1, Math.round(RUNS * share));
}

/** BASE plus every optional section, so mutations reach all of the schema. */
export const RICH = `${BASE.replace('  bucket:', '  gcpSACredFile: ./sa-key.json\n  bucket:')}  - name: ws-k3s-eu01
    region: &r europe-west2
    prefix: k
    governedBy: prod-meta-eu01
    type: k3s
    create: false
    valuesFiles: [./values/eu.yaml]
terraform:
  module: { source: ./modules/ws-cluster }
  variables: { n: 1, l: [a, {b: true}], s: "x" }
  backend: { type: gcs, prefix: ws }
  generator: { mode: external, script: ./gen.sh, cwd: ./modules }
`;

export const TEMPLATE = parse(RICH) as Json;

let ctx: ConfigDir;
const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(warning.message);

/** A config folder for the whole fuzz file, and a watch on process warnings; call from beforeAll. */
export async function fuzzDir(): Promise<ConfigDir> {
  ctx = await configDir();
  process.on('warning', onWarning);
  const { cleanup } = ctx;
  return { ...ctx, cleanup: () => (process.off('warning', onWarning), cleanup()) };
}

/**
 * Part of the contract: no input makes the parser print a process warning
 * (the CLI user would see it on stderr). Warnings are emitted on a later tick.
 */
export async function processWarnings(): Promise<string[]> {
  await new Promise((resolve) => setImmediate(resolve));
  return [...new Set(warnings)];
}

/** The contract under test. */
export function assertTotal(text: string): void {
  let result;
  try {
    result = parseConfig(text, ctx.file);
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    // Plain checks, not expect(): this runs tens of thousands of times.
    if (error.issues.length === 0) throw new Error('ConfigInvalidError without issues');
    for (const issue of error.issues) {
      const bad = !(issue.line >= 1 && issue.col >= 1) || issue.message.includes('\n') || issue.path.includes('\n');
      if (bad) throw new Error(`malformed issue: ${JSON.stringify(issue)}`);
    }
    return;
  }
  if (result.config.workspaceClusters.length === 0 || result.config.metaClusters.length === 0) throw new Error('accepted a config without clusters');
}

export const nasty = fc.constantFrom(
  '', ' ', '-', '..', '../../etc/passwd', '$(id)', '`id`', ';rm -rf /', 'a\u0000b', '\u202e', 'a\nb', '*a', '&a', '!!binary',
  '%YAML 1.1', '---', '...', '<<', '{', '[', '#', 'null', '~', 'true', '0x1f', '.inf', '1e400', 'v1', 'v2', 'gke', 'external',
  '__proto__', 'constructor', 'europe-west1', 'prod-meta-eu01', 'eu', 'x'.repeat(300),
);
const scalar = fc.oneof(nasty, fc.string({ unit: 'binary', maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.oneof(nasty, fc.string({ maxLength: 8 })), tie('v'), { maxKeys: 3 })),
})).v;

export type Json = unknown;
function paths(node: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(node)) node.forEach((child, i) => out.push(...paths(child, [...prefix, i])));
  else if (node && typeof node === 'object') for (const [k, child] of Object.entries(node)) out.push(...paths(child, [...prefix, k]));
  return out;
}

export type Op = { kind: 'set' | 'delete' | 'add' | 'rename'; at: number; value: unknown; key: string };
export const op = fc.record({
  kind: fc.constantFrom('set', 'delete', 'add', 'rename') as fc.Arbitrary<Op['kind']>,
  at: fc.nat(),
  value,
  key: fc.oneof(nasty, fc.string({ maxLength: 10 })),
});

export function apply(root: Json, mutation: Op): Json {
  const all = paths(root);
  const path = all[mutation.at % all.length] as (string | number)[];
  if (path.length === 0) return mutation.kind === 'set' ? mutation.value : root;
  let parent = root as Record<string | number, unknown>;
  for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (mutation.kind === 'set') parent[last] = mutation.value;
  else if (mutation.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (mutation.kind === 'add') {
    if (Array.isArray(parent)) parent.push(mutation.value);
    else Object.defineProperty(parent, mutation.key, { value: mutation.value, enumerable: true, configurable: true, writable: true });
  } else if (!Array.isArray(parent)) {
    const moved = parent[last];
    delete parent[last];
    Object.defineProperty(parent, mutation.key, { value: moved, enumerable: true, configurable: true, writable: true });
  }
  return root;
}

export const fragments = fc.constantFrom(
  '\n', ' ', '  ', '- ', ': ', '{', '}', '[', ']', ',', '&a ', '*a', '*r', '!!str ', '!x ', '? ', '|', '>', '"', "'", '#', '---\n', '...\n',
  '%YAML 1.1\n', '\t', '\u0000', '\u0007', '\ufeff', '\\', '<<: *r\n', 'version: v9\n', '[[[[[[[[', 'k: ', '\r\n', '\u2028',
);
export type ByteOp = { at: number; del: number; insert: string };
export const byteOp = fc.record({
  at: fc.nat(),
  del: fc.nat({ max: 8 }),
  insert: fc.oneof(fragments, fc.string({ unit: 'binary', maxLength: 6 }), fc.constant('')),
});

