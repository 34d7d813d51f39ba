/**
 * The scenario exporter in a process of its own, driven over IPC. Why: the suite's
 * worker also runs ten scenario drivers that parse journals and spawn CLIs; on a
 * loaded 2-core machine its event loop stalled for seconds, Prometheus' 1 s scrapes
 * timed out, and healthy clusters looked vanished (`no-data.pipeline`,
 * `no-data.new-silent`): load changed verdicts. Here the exporter only answers
 * scrapes and applies changes.
 *
 * `ExporterProcess` bundles exporter-child.ts with esbuild (Node 20 cannot run
 * TypeScript) and forks it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { ExporterMessage } from './exporter-child.js';
import type { Traffic } from './scenario-exporter.js';

/** The parent's handle: the same `set`/`setScenarioVisible` as ScenarioExporter, applied in the child. */
export class ExporterProcess {
  private child?: ChildProcess;
  private dir?: string;

  async start(): Promise<number> {
    const { child, dir, port } = await forkBundled(join(import.meta.dirname, 'exporter-child.ts'), []);
    Object.assign(this, { child, dir });
    return port;
  }

  set(scenario: string, cluster: string, traffic: Partial<Traffic>): void {
    this.send({ op: 'set', scenario, cluster, traffic });
  }

  setScenarioVisible(scenario: string, visible: boolean): void {
    this.send({ op: 'visible', scenario, visible });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private send(m: ExporterMessage): void {
    // A change sent before start() would be lost silently, and the scenario would run on defaults.
    if (!this.child?.connected) throw new Error('the scenario exporter is not running: call start() first');
    this.child.send(m);
  }
}

/**
 * Bundles `entry` (a child that answers `{ port }` once listening) with esbuild and forks it with `args`; the temp
 * dir holds the bundle (remove it after the child's exit). Shared by the exporters that run in a process of their own.
 */
export async function forkBundled(entry: string, args: readonly string[]): Promise<{ child: ChildProcess; dir: string; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-exporter-'));
  const outfile = join(dir, 'exporter.mjs');
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'error' });
  const child = fork(outfile, [...args], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`exporter ${entry} exited (${code}) before listening`)));
  });
  return { child, dir, port };
}
