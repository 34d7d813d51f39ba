/**
 * Shared output of the benchmarks: summary statistics, a plain-text table per
 * benchmark, and `bench/results/<name>.json` with the machine it ran on.
 * Benchmarks measure and print; they never assert.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const REPO_DIR = dirname(BENCH_DIR);

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** n, mean, min, p50, p90, p99, max of a list of numbers. */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    mean,
    min: sorted[0] ?? NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
  };
}

/**
 * Paired differences a[i] − b[i] (runs taken side by side, order alternated): their median and a
 * 95 % bootstrap interval of that median (2,000 resamples, fixed seed so a rerun on the same
 * figures prints the same interval). The interval is what tells a difference from noise.
 */
export function pairedDifference(a, b) {
  const diffs = a.map((v, i) => v - b[i]);
  const median = (xs) => {
    const s = [...xs].sort((x, y) => x - y);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  let seed = 0x9e3779b9;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const medians = Array.from({ length: 2000 }, () => median(diffs.map(() => diffs[Math.floor(random() * diffs.length)])));
  const sorted = medians.sort((x, y) => x - y);
  return { n: diffs.length, diffs, median: median(diffs), low: percentile(sorted, 2.5), high: percentile(sorted, 97.5) };
}

/** The machine the figures come from (recorded with every result). */
export function machine() {
  const list = cpus();
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

/** Formats a number with `digits` decimals; NaN/undefined as an em dash. */
export function fmt(value, digits = 1) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

/** Prints a table with right-aligned columns (except the first). */
export function printTable(title, header, rows) {
  const cells = [header, ...rows].map((r) => r.map((c) => String(c)));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\n${title}`);
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

/** Writes `bench/results/<name>.json` (or into $WSD_BENCH_RESULTS_DIR) and returns its path. */
export function writeResults(name, data) {
  // WSD_BENCH_RESULTS_DIR: elsewhere (the smoke test must not overwrite the recorded figures).
  const dir = process.env.WSD_BENCH_RESULTS_DIR || join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  const doc = { benchmark: name, date: new Date().toISOString(), machine: machine(), ...data };
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
  return path;
}
