/**
 * Cold start guard without a clock: the bundle chunks `validate` and `plan` compile
 * at start, counted by a module-load hook (test/helpers/module-load-log.mjs). V8
 * parses every byte of them before the first line runs, so the bytes are what a
 * regression in bundling (all of zod's locales, a library that should be lazy)
 * would change, and unlike time they do not depend on the machine's load.
 * Budgets: BENCHMARKS.md "CLI cold start" (measured 0.93 MB and 1.29 MB; plan 1.40 MB on 2026-12-03).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, runCli, sandboxWorkspace } from '../helpers/cli.js';

const HOOK = join(REPO, 'test', 'helpers', 'module-load-log.mjs');
const BUNDLE = `${join(REPO, 'dist', 'bundle')}/`;

interface Loaded {
  url: string;
  bytes: number;
}

/** Runs the CLI under the hook; the bundle chunks it loaded and their source text. */
async function bundleLoadedBy(args: string[], log: string): Promise<{ bytes: number; sources: string[] }> {
  const result = await runCli(args, { env: { NODE_OPTIONS: `--import=${HOOK}`, WSD_MODULE_LOG: log } });
  expect(result.code, result.stderr).toBe(0);
  const loaded = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Loaded)
    .filter((m) => m.url.startsWith(`file://${BUNDLE}`));
  expect(loaded.length).toBeGreaterThan(0);
  return { bytes: loaded.reduce((sum, m) => sum + m.bytes, 0), sources: loaded.map((m) => readFileSync(new URL(m.url), 'utf8')) };
}

describe('code compiled at start', () => {
  const ws = sandboxWorkspace();
  afterAll(() => ws.cleanup());

  it('validate compiles at most 1.05 MB of bundle, with zod tree-shaken (English messages only)', async () => {
    const { bytes, sources } = await bundleLoadedBy(['validate', '--config', ws.config], join(ws.dir, 'validate.log'));
    const all = sources.join('\n');
    // esbuild marks each bundled source file with a `// path` comment.
    // (relative to the build: `../…/node_modules/…` where node_modules is a link to another checkout's)
    expect(all).toMatch(/\/\/ (?:\.\.\/\S*)?node_modules\/zod\/v4\/locales\/en\.js/);
    expect(all).not.toMatch(/\/\/ (?:\.\.\/\S*)?node_modules\/zod\/v4\/locales\/de\.js/);
    // 1.0 MB until validate learnt PromQL's types (judges/promql-types.ts, 2026-12-04: 1,001,007 bytes); the goal this
    // guards, validate within 3× bare node's cold start, is measured by `node bench/run.mjs cli-cold-start` (2.72× then).
    expect(bytes).toBeLessThan(1_050_000);
  });

  it('plan compiles at most 1.5 MB of bundle and none of the lazily loaded libraries', async () => {
    const { bytes, sources } = await bundleLoadedBy(['plan', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '150'], join(ws.dir, 'plan.log'));
    const all = sources.join('\n');
    expect(all).not.toMatch(/\/\/ (?:\.\.\/\S*)?node_modules\/zod\/v4\/locales\/de\.js/);
    expect(all).not.toContain('// node_modules/@opentelemetry/');
    // 1.45 MB until 2026-12-04: the checks of that day, each needed where plan shows what deploy would do (the helm
    // values and chart version rules, repository credentials, the bridge's unknown states and database errors, queued
    // commands naming their deployment), made 1,446,962 bytes 1,474,582. What this guards against is a library bundled
    // in that should load lazily (OpenTelemetry alone is 300 KB+); the goal behind it, plan of 500 clusters < 1 s, is
    // measured by `node bench/run.mjs cli-cold-start` (BENCHMARKS.md).
    expect(bytes).toBeLessThan(1_500_000);
  });
});
