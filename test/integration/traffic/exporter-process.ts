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

/**
 * A child forked by {@link forkBundled}, driven by messages of type `M`: the part the exporters that run in a process
 * of their own share (start, send in order, stop and remove the bundle). `name` says which one in the error for a
 * message sent before start(), which would otherwise be lost silently.
 */
export class BundledChild<M extends object> {
  private child?: ChildProcess;
  private dir?: string;

  constructor(
    private readonly entry: string,
    private readonly name: string,
  ) {}

  /** Forks the child with `args`; answers the port it listens on. */
  protected async launch(args: readonly string[]): Promise<number> {
    const { child, dir, port } = await forkBundled(this.entry, args);
    Object.assign(this, { child, dir });
    return port;
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

  protected send(m: M): void {
    if (!this.child?.connected) throw new Error(`the ${this.name} is not running: call start() first`);
    this.child.send(m);
  }
}

/** The parent's handle: the same `set`/`setScenarioVisible` as ScenarioExporter, applied in the child. */
export class ExporterProcess extends BundledChild<ExporterMessage> {
  constructor() {
    super(join(import.meta.dirname, 'exporter-child.ts'), 'scenario exporter');
  }

  start(): Promise<number> {
    return this.launch([]);
  }

  set(scenario: string, cluster: string, traffic: Partial<Traffic>): void {
    this.send({ op: 'set', scenario, cluster, traffic });
  }

  setScenarioVisible(scenario: string, visible: boolean): void {
    this.send({ op: 'visible', scenario, visible });
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
