/**
 * CLI cold start: wall time, CPU time and peak RSS of whole `bin/ws-deployment`
 * processes, each repeated, as a ratio to a bare `node -e 0` measured in the same run.
 * On a shared, loaded machine wall time mostly measures the other processes; the CPU
 * time (user + sys of the process, from the same GNU time) is what the goals are judged by.
 *
 * Peak RSS comes from GNU time (`/usr/bin/time -f %M`), which reports the child's
 * ru_maxrss from wait4(): the kernel's own high-water mark of the process, so no
 * short peak is missed (polling /proc/<pid>/status would sample and could miss it,
 * and process.resourceUsage() inside the CLI would need a change to the CLI).
 * Wall time is measured around the same `time` invocation with performance.now(),
 * so GNU time's own fork/exec (~1 ms) is in every row, bare node included.
 *
 *   node bench/run.mjs cli-cold-start [runs]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fmt, printTable, REPO_DIR, summarize, writeResults } from './lib/report.mjs';
import { profileByPackage, summarizeProfile } from './lib/profile.mjs';
import { writeSandboxConfig } from './lib/sandbox-config.mjs';

const TIME = '/usr/bin/time';
const BIN = join(REPO_DIR, 'bin', 'ws-deployment');

/** Runs argv once under GNU time; resolves with wall ms, CPU ms (user + sys) and peak RSS MB. */
function measureOnce(argv, rssFile) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(TIME, ['-f', '%M %U %S', '-o', rssFile, ...argv], { cwd: REPO_DIR, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
      const [kb, user, sys] = (lines.at(-1) ?? '').split(' ').map(Number);
      if (code !== 0) reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
      else resolve({ wallMs, cpuMs: (user + sys) * 1000, rssMb: kb / 1024 });
    });
  });
}

/** One CPU profile of argv, summarised by package and by function. */
function profileOnce(argv, dir) {
  return new Promise((resolve, reject) => {
    const profDir = join(dir, `prof-${Math.random().toString(36).slice(2)}`);
    const [node, ...rest] = argv;
    const child = spawn(node, [`--cpu-prof`, `--cpu-prof-dir=${profDir}`, ...rest], { cwd: REPO_DIR, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', async () => {
      const { readdirSync } = await import('node:fs');
      const file = join(profDir, readdirSync(profDir)[0]);
      resolve({ byPackage: profileByPackage(file, REPO_DIR).slice(0, 10), ...summarizeProfile(file, { top: 12, root: REPO_DIR }) });
    });
  });
}

export default async function cliColdStart(args = []) {
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing; install GNU time (apt-get install time) to measure peak RSS`);
  const runs = Number(args[0] ?? 10);
  const dir = mkdtempSync(join(tmpdir(), 'wsd-bench-cli-'));
  try {
    const one = writeSandboxConfig(dir, 1).file;
    const many = writeSandboxConfig(dir, 500).file;
    const stateDir = join(dir, 'state');
    const node = process.execPath;
    const cases = [
      { name: 'node -e 0 (bare)', argv: [node, '-e', '0'] },
      { name: '--version', argv: [node, BIN, '--version'] },
      { name: 'validate examples/sandbox.yaml', argv: [node, BIN, 'validate', '--config', 'examples/sandbox.yaml'], goal: '≤ 3× bare node' },
      { name: 'plan 1 cluster --cluster-id 150', argv: [node, BIN, 'plan', '--config', one, '--state-dir', stateDir, '--cluster-id', '150'] },
      { name: 'plan 1 cluster (allocates id)', argv: [node, BIN, 'plan', '--config', one, '--state-dir', stateDir] },
      { name: 'plan 500 clusters --cluster-id 150', argv: [node, BIN, 'plan', '--config', many, '--state-dir', stateDir, '--cluster-id', '150'], goal: '< 1 s and < 200 MB' },
      { name: 'plan 500 clusters (allocates id)', argv: [node, BIN, 'plan', '--config', many, '--state-dir', stateDir] },
      { name: 'plan 500 clusters --output json --cluster-id 150', argv: [node, BIN, 'plan', '--config', many, '--state-dir', stateDir, '--cluster-id', '150', '--output', 'json'] },
    ];
    const samples = new Map(cases.map((c) => [c.name, []]));
    const rssFile = join(dir, 'rss');
    for (const c of cases) await measureOnce(c.argv, rssFile); // warm the page cache once
    // Interleaved rounds: background load on the shared machine hits every case alike.
    for (let r = 0; r < runs; r++) {
      for (const c of cases) samples.get(c.name).push(await measureOnce(c.argv, rssFile));
    }
    const bare = summarize(samples.get(cases[0].name).map((s) => s.wallMs));
    const bareCpu = summarize(samples.get(cases[0].name).map((s) => s.cpuMs));
    const results = cases.map((c) => {
      const wall = summarize(samples.get(c.name).map((s) => s.wallMs));
      const cpu = summarize(samples.get(c.name).map((s) => s.cpuMs));
      const rss = summarize(samples.get(c.name).map((s) => s.rssMb));
      return {
        name: c.name,
        argv: c.argv.slice(1).map((a) => a.replace(dir, '<tmp>').replace(REPO_DIR, '.')),
        goal: c.goal,
        wallMs: wall,
        cpuMs: cpu,
        rssMb: rss,
        ratioToBare: wall.p50 / bare.p50,
        cpuRatioToBare: cpu.p50 / bareCpu.p50,
      };
    });
    printTable(
      `CLI cold start: ${runs} runs each, interleaved (wall and CPU ms, peak RSS MB; ratio = median / median of bare node)`,
      ['command', 'wall p50', 'wall p90', 'ratio', 'CPU p50', 'CPU p90', 'CPU ratio', 'RSS p50', 'RSS max', 'goal'],
      results.map((r) => [r.name, fmt(r.wallMs.p50, 0), fmt(r.wallMs.p90, 0), fmt(r.ratioToBare, 2), fmt(r.cpuMs.p50, 0), fmt(r.cpuMs.p90, 0), fmt(r.cpuRatioToBare, 2), fmt(r.rssMb.p50, 0), fmt(r.rssMb.max, 0), r.goal ?? '']),
    );
    // Where the time goes: one CPU profile per command of interest.
    const profiles = {};
    for (const c of cases.filter((x) => ['validate examples/sandbox.yaml', 'plan 1 cluster --cluster-id 150', 'plan 500 clusters --cluster-id 150'].includes(x.name))) {
      profiles[c.name] = await profileOnce(c.argv, dir);
      printTable(
        `cpu profile of "${c.name}": self time by package (ms, of ${fmt(profiles[c.name].totalMs, 0)} ms profiled)`,
        ['package / folder', 'self ms'],
        profiles[c.name].byPackage.map((p) => [p.name, fmt(p.ms, 1)]),
      );
    }
    const path = writeResults('cli-cold-start', { runs, method: 'GNU time %M (ru_maxrss) for RSS and %U + %S for CPU time; performance.now() around the same process for wall time', results, profiles });
    console.log(`\nwrote ${path}`);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
