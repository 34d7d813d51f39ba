/**
 * Starts a real Prometheus for a test: temp dir, generated config scraping the
 * given targets every second, TSDB in the temp dir, a free loopback port.
 * Started through runTool (the project's only way to run a child process).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool, type ToolResult } from '../../../src/tools/exec.js';

export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
  /**
   * Stops Prometheus (SIGTERM), keeps its TSDB (or loses it: `lose`, an emptyDir volume), waits `downMs`, starts it
   * again on the same port and waits until ready.
   */
  restart(downMs: number, options?: { lose?: boolean }): Promise<void>;
}

/** A port that was free a moment ago (Prometheus cannot take port 0). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A further scrape job, e.g. one scraped more slowly than the global 1 s. */
export interface ScrapeJob {
  name: string;
  targets: string[];
  /** Its own scrape_interval (e.g. `3s`); the global 1 s without it. */
  scrapeInterval?: string;
  /**
   * Targets from this file (file_sd, JSON) instead of `targets`: a test rewrites it to take a target out of service
   * discovery (Prometheus then writes staleness markers for its series) or to bring it back.
   */
  fileSd?: string;
}

/**
 * `lifetimeMs`: Prometheus is stopped after this long at the latest (a suite that runs longer says so). `rules`: the
 * text of a rule file (groups of recording rules), checked by `promtool check rules` before Prometheus loads it.
 * `flags`: further command-line flags (`--query.max-samples=…`, `--query.max-concurrency=…`).
 */
export async function startPrometheus(
  targets: string[],
  readyTimeoutMs = 20_000,
  lifetimeMs = 120_000,
  jobs: readonly ScrapeJob[] = [],
  rules?: string,
  flags: readonly string[] = [],
): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'wsd-prom-'));
  const port = await freePort();
  if (rules !== undefined) {
    await writeFile(join(dir, 'rules.yml'), rules);
    // Rejects (ToolFailedError, with promtool's complaint) on a rule file Prometheus would refuse.
    await runTool({ argv: ['promtool', 'check', 'rules', join(dir, 'rules.yml')], cwd: dir, timeoutMs: 30_000, maxBuffer: 1 << 20 });
  }
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    ...(rules !== undefined ? ['rule_files:', `  - ${join(dir, 'rules.yml')}`] : []),
    'scrape_configs:',
    '  - job_name: ws',
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    ...jobs.flatMap((j) => [
      `  - job_name: ${j.name}`,
      ...(j.scrapeInterval ? [`    scrape_interval: ${j.scrapeInterval}`] : []),
      ...(j.fileSd
        ? ['    file_sd_configs:', `      - files: ['${j.fileSd}']`, '        refresh_interval: 1s']
        : ['    static_configs:', `      - targets: [${j.targets.map((t) => `'${t}'`).join(', ')}]`]),
    ]),
    '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  const url = `http://127.0.0.1:${port}`;
  const launch = () => {
    const abort = new AbortController();
    const done: Promise<ToolResult | undefined> = runTool({
      argv: [
        'prometheus',
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
        ...flags,
      ],
      cwd: dir,
      signal: abort.signal,
      timeoutMs: lifetimeMs,
      killGraceMs: 3_000,
      maxBuffer: 1 << 20,
    }).catch(() => undefined);
    return { abort, done };
  };
  let running = launch();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    running.abort.abort();
    await running.done;
    await rm(dir, { recursive: true, force: true });
  };
  const ready = async (): Promise<boolean> => {
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`${url}/-/ready`)).ok) return true;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  };
  const restart = async (downMs: number, options: { lose?: boolean } = {}) => {
    running.abort.abort();
    await running.done;
    if (options.lose) await rm(join(dir, 'data'), { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, downMs));
    running = launch();
    if (!(await ready())) throw new Error(`prometheus did not become ready again on ${url} within ${readyTimeoutMs} ms`);
  };
  if (await ready()) return { url, stop, restart };
  await stop();
  throw new Error(`prometheus did not become ready on ${url} within ${readyTimeoutMs} ms`);
}
