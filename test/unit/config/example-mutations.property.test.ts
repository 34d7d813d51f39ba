/**
 * Property: each mistake an operator makes in a real config (examples/*.yaml) is reported at
 * its own YAML path, exactly once, on one line with a fix; several mistakes at once are all
 * reported. Mistakes: a dropped required key, a misspelt key, a wrong type, a number out of
 * range, a duplicate or invalid name, an empty list. Runs: WSD_FUZZ_RUNS (fuzz-helpers.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, type ConfigIssue } from '../../../src/config/issues.js';
import { parseConfig } from '../../../src/config/load.js';
import { formatPath } from '../../../src/config/zod-issues.js';
import { runsFor } from './fuzz-helpers.js';

type Segment = string | number;
type Tree = Record<string, unknown>;
/** A mistake: what it does to the parsed example, and the path its one issue must be at. */
interface Mistake {
  name: string;
  apply(root: Tree): void;
  at: Segment[];
  /** Top-level section it touches: mistakes combined touch different ones. */
  scope: string;
  fix: RegExp;
}

// "expected a list, got …" names what to write; the others say it after a semicolon.
const FIX = /; |did you mean|^expected |^use |needs at least|is required|missing required key/;
const EXAMPLES = ['examples/production.yaml', 'examples/sandbox.yaml'];

function parent(root: Tree, at: Segment[]): Record<Segment, unknown> {
  let node = root as Record<Segment, unknown>;
  for (const s of at.slice(0, -1)) node = node[s] as Record<Segment, unknown>;
  return node;
}
const last = (at: Segment[]) => at[at.length - 1] as Segment;
const scopeOf = (at: Segment[]) => String(at[0]);

function drop(at: Segment[]): Mistake {
  return { name: `drop ${formatPath(at)}`, at, scope: scopeOf(at), fix: /missing required key/, apply: (r) => void delete parent(r, at)[last(at)] };
}
/** `reported`: where the issue is, when inside the value set (a list item). */
function set(at: Segment[], value: unknown, fix = FIX, reported = at): Mistake {
  return { name: `${formatPath(at)} = ${JSON.stringify(value)}`, at: reported, scope: scopeOf(at), fix, apply: (r) => void (parent(r, at)[last(at)] = value) };
}
/** `prefix` → `prefxi`: the last two letters swapped. */
function typo(at: Segment[]): Mistake {
  const key = String(last(at));
  const wrong = `${key.slice(0, -2)}${key.slice(-1)}${key.slice(-2, -1)}`;
  const to = [...at.slice(0, -1), wrong];
  return {
    name: `typo ${formatPath(at)} → ${wrong}`,
    at: to,
    scope: scopeOf(at),
    fix: new RegExp(`did you mean "${key}"\\?`),
    apply: (r) => {
      const p = parent(r, at) as Tree;
      // Rebuilt in order, so the misspelt key stays where the right one was.
      const entries = Object.entries(p).map(([k, v]) => [k === key ? wrong : k, v] as const);
      for (const k of Object.keys(p)) delete p[k];
      for (const [k, v] of entries) p[k] = v;
    },
  };
}

function mistakesOf(example: Tree): Mistake[] {
  const metas = (example.metaClusters as unknown[]).length;
  const workspaces = (example.workspaceClusters as unknown[]).length;
  const out: Mistake[] = [
    drop(['environment']),
    drop(['project', 'id']),
    drop(['project', 'network']),
    typo(['project', 'dnsZone']),
    typo(['environment']),
    set(['environment'], ['production']),
    set(['project', 'id'], 'Gitpod_191109'),
    set(['project', 'dnsZone'], 'gitpod..io'),
    set(['project', 'network'], { name: 'x' }),
    set(['workspaceClusters'], []),
    set(['metaClusters'], []),
    set(['trafficShift', 'steps'], [5, 150], FIX, ['trafficShift', 'steps', 1]),
    set(['trafficShift', 'steps'], [0, 100], FIX, ['trafficShift', 'steps', 0]),
    set(['trafficShift', 'steps'], []),
    set(['trafficShift', 'steps'], 'all'),
    set(['trafficShift', 'interval'], '10 minutes'),
    set(['trafficShift', 'analysis', 'metrics', 0, 'minSamples'], -1),
    set(['trafficShift', 'analysis', 'metrics', 0, 'minSamples'], 'many'),
    set(['gitpod', 'chart', 'name'], 'Git Pod'),
    set(['registration', 'cordoned'], 'yes'),
    typo(['trafficShift', 'analysis', 'metrics', 0, 'query']),
  ];
  for (let i = 0; i < metas; i++) {
    out.push(drop(['metaClusters', i, 'region']), set(['metaClusters', i, 'region'], 'eu'), typo(['metaClusters', i, 'region']));
  }
  if (metas > 1) out.push(set(['metaClusters', 1, 'name'], (example.metaClusters as Tree[])[0]?.name, /duplicate meta cluster name/));
  for (let i = 0; i < workspaces; i++) {
    out.push(
      drop(['workspaceClusters', i, 'prefix']),
      typo(['workspaceClusters', i, 'governedBy']),
      typo(['workspaceClusters', i, 'prefix']),
      set(['workspaceClusters', i, 'prefix'], 'e u'),
      set(['workspaceClusters', i, 'prefix'], 12),
      set(['workspaceClusters', i, 'governedBy'], 'nope-meta'),
      set(['workspaceClusters', i, 'create'], 'no'),
    );
  }
  return out;
}

function issuesOf(text: string, file: string): ConfigIssue[] {
  try {
    parseConfig(text, file);
  } catch (error) {
    if (error instanceof ConfigInvalidError) return error.issues;
    throw error;
  }
  return [];
}

describe.each(EXAMPLES)('mistakes in %s', (example) => {
  const file = path.resolve(example);
  const original = readFileSync(file, 'utf8');
  const template = parse(original) as Tree;
  const all = mistakesOf(template);

  it('the example itself is valid', () => {
    expect(issuesOf(original, file)).toEqual([]);
  });

  it('each mistake alone: reported at its path exactly once, on one line, with a fix', () => {
    const wrong: string[] = [];
    for (const mistake of all) {
      const root = structuredClone(template);
      mistake.apply(root);
      const issues = issuesOf(stringify(root), file);
      const here = issues.filter((i) => i.path === formatPath(mistake.at));
      const ok = here.length === 1 && mistake.fix.test(here[0]?.message ?? '') && FIX.test(here[0]?.message ?? '') && (here[0]?.line ?? 0) > 0;
      if (!ok) wrong.push(`${mistake.name}: ${JSON.stringify(issues.map((i) => `${i.path}: ${i.message}`))}`);
    }
    expect(wrong).toEqual([]);
  });

  it('several mistakes at once: every one is reported, each once', () => {
    const pick = fc.uniqueArray(fc.constantFrom(...all), { minLength: 2, maxLength: 5, selector: (m) => m.scope });
    fc.assert(
      fc.property(pick, (mistakes) => {
        const root = structuredClone(template);
        for (const m of mistakes) m.apply(root);
        const issues = issuesOf(stringify(root), file);
        for (const m of mistakes) {
          const here = issues.filter((i) => i.path === formatPath(m.at));
          if (here.length !== 1) throw new Error(`${m.name} (with ${mistakes.map((x) => x.name).join(', ')}): ${JSON.stringify(issues)}`);
        }
      }),
      { numRuns: runsFor(0.2), seed: 20261203 },
    );
  });
});
