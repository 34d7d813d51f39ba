/**
 * The benchmarks' own set-up still works (it once broke silently when
 * examples/sandbox gained chart folders): the generated sandbox config passes
 * `bin/ws-deployment validate`, and the smallest case of each engine and
 * rollback benchmark runs to its end and writes its results (into a temp dir
 * via WSD_BENCH_RESULTS_DIR, never over the recorded figures). Each case takes a
 * few seconds; the timeouts are generous for a loaded machine. Figures are not
 * judged here: benchmarks measure, they do not pass or fail.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';

const RUN = new URL('../../../bench/run.mjs', import.meta.url).pathname;
const run = promisify(execFile);

describe('benchmark set-up smoke test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bench = async (args: string[]) => {
    const { stdout } = await run(process.execPath, [RUN, ...args], { timeout: 150_000, env: { ...process.env, WSD_BENCH_RESULTS_DIR: dir } });
    return { stdout, results: JSON.parse(readFileSync(join(dir, `${args[0]}.json`), 'utf8')) as Record<string, unknown> };
  };

  it('the generated sandbox config (with the copied sandbox folder) passes validate', async () => {
    const { writeSandboxConfig } = (await import(new URL('../../../bench/lib/sandbox-config.mjs', import.meta.url).href)) as {
      writeSandboxConfig(dir: string, n: number): { file: string };
    };
    const { file } = writeSandboxConfig(join(dir, 'config'), 5);
    const result = await runCli(['validate', '--config', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);

  it('critical-path, smallest case', async () => {
    const { stdout, results } = await bench(['critical-path', '--scale', '0.0005', '--reps', '1']);
    expect(stdout).toContain('critical path');
    expect(results).toHaveProperty('machine');
  }, 180_000);

  it('engine-makespan, smallest case', async () => {
    const { results } = await bench(['engine-makespan', '--step', '0.05', '2']);
    expect(results).toHaveProperty('machine');
  }, 180_000);

  it('redact-cost, smallest case', async () => {
    const { results } = await bench(['redact-cost', '5', '--reps', '1']);
    expect(results).toMatchObject({ reps: 1, rows: [{ secrets: 5 }] });
  }, 180_000);

  it('rollback-link, smallest case: the rollback and the reset runs end with every registry restored', async () => {
    const { results } = await bench(['rollback-link', '1', '--delay', '1', '--jitter', '0', '--clusters', '2']);
    expect(results).toMatchObject({ newClusters: 2, oldClusters: 2, repetitions: 1 });
    expect((results['resets'] as unknown[]).length).toBe(3);
  }, 180_000);
});
