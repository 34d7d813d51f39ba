/**
 * The traffic gate bench runs on a virtual clock: the same seeds must print the
 * same table and write the same JSON, whatever the machine's load (the earlier
 * real-timer bench flipped verdicts between runs). Runs a slice (medium traffic,
 * 2 seeds: 24 runs, about a second) twice in separate processes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const BENCH = new URL('../../../bench/traffic-scenarios.mjs', import.meta.url).pathname;
const run = promisify(execFile);

describe('traffic scenario bench', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-bench-repro-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the identical table and writes identical JSON for the same seeds', async () => {
    const once = async (name: string) => {
      const out = join(dir, `${name}.json`);
      const { stdout } = await run(process.execPath, [BENCH, '--only', 'medium', '--seeds', '2', '--out', out], { timeout: 120_000 });
      return { stdout, json: readFileSync(out, 'utf8') };
    };
    const a = await once('a');
    const b = await once('b');
    expect(a.stdout).toContain('| medium/steady/new-fails-8% | good |');
    expect(a.stdout).toContain('| medium/steady/new-fails-12% | bad |');
    expect(b.stdout).toBe(a.stdout);
    expect(b.json).toBe(a.json);
    const result = JSON.parse(a.json) as { runs: Array<{ outcome: string; seed: number }>; byRate: Array<{ newRate: number }> };
    expect(result.runs).toHaveLength(12 * 2);
    expect(result.byRate.map((r) => r.newRate)).toEqual([0.02, 0.05, 0.08, 0.12, 0.2, 0.5]);
    expect(new Set(result.runs.map((r) => r.outcome)).size).toBeGreaterThan(1);
  }, 240_000);
});
