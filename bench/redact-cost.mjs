/**
 * Redaction cost with many secrets: N distinct secrets (32 base64 characters, as tokens are) registered one
 * by one with a redaction after each, as a run registers them while it reads key files and fetches tokens;
 * then 1,000 plain tool lines (no secret in them) redacted with all N registered. Wall-clock and CPU
 * milliseconds, the best of `--reps` fresh redactors (the first rep also warms the JIT).
 *
 *   node bench/run.mjs redact-cost [N…] [--reps R]     (default N: 50 200 400 2000; R: 3)
 *   node bench/redact-cost.mjs DIR [N…]                 (another build: DIR/dist/core/redact.js)
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fmt, printTable, REPO_DIR, writeResults } from './lib/report.mjs';

const LINES = Array.from({ length: 1000 }, (_, i) => `line ${i}: helm upgrade gitpod --namespace default status deployed revision ${i}`);

/** Wall-clock and CPU milliseconds `run` takes. */
function measure(run) {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  run();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 };
}

function once(Redactor, n) {
  const redactor = new Redactor();
  const secrets = Array.from({ length: n }, () => randomBytes(24).toString('base64'));
  const adds = measure(() => {
    for (const [i, secret] of secrets.entries()) {
      redactor.add(secret);
      redactor.redact(`some tool line with nothing secret in it ${i}`);
    }
  });
  const lines = measure(() => {
    for (const line of LINES) redactor.redact(line);
  });
  return { adds, lines };
}

const best = (runs, pick) => ({ wallMs: Math.min(...runs.map((r) => pick(r).wallMs)), cpuMs: Math.min(...runs.map((r) => pick(r).cpuMs)) });

export default async function run(args = []) {
  const dir = args[0] !== undefined && existsSync(join(args[0], 'dist')) ? args.shift() : REPO_DIR;
  const repsAt = args.indexOf('--reps');
  const reps = repsAt >= 0 ? Number(args.splice(repsAt, 2)[1]) : 3;
  const counts = args.length > 0 ? args.map(Number) : [50, 200, 400, 2000];
  const { Redactor } = await import(pathToFileURL(join(dir, 'dist/core/redact.js')).href);
  const rows = counts.map((n) => {
    const runs = Array.from({ length: reps }, () => once(Redactor, n));
    return { secrets: n, addAndRedact: best(runs, (r) => r.adds), lines1000: best(runs, (r) => r.lines) };
  });
  printTable(
    `redaction cost (${dir}; best of ${reps})`,
    ['secrets', 'N adds+redacts wall ms', 'cpu ms', '1,000 lines wall ms', 'cpu ms'],
    rows.map((r) => [r.secrets, fmt(r.addAndRedact.wallMs), fmt(r.addAndRedact.cpuMs), fmt(r.lines1000.wallMs), fmt(r.lines1000.cpuMs)]),
  );
  console.log(`results: ${writeResults('redact-cost', { build: dir, reps, rows })}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run(process.argv.slice(2));
