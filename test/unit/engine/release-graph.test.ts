/**
 * The engine runs a cluster's releases as a graph: together unless `dependsOn`
 * says otherwise, alive-test after all of them, a failed release blocking only
 * alive-test and later, `--concurrency` counting every running step. Overlap is
 * proven with barriers (a step finishes only once its siblings started), not timers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { WsdError } from '../../../src/core/errors.js';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { startDeployment, type EngineOptions } from '../../../src/engine/deployment.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { RELEASES_LAYER, releaseDependsOn, type ReleaseSection } from '../../../src/steps/install/release-order.js';
import type { Step, StepName } from '../../../src/steps/step.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup(extra = '', prefixes = ['eu']) {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-graph-'));
  dirs.push(dir);
  const file = join(dir, 'c.yaml');
  const text = `version: v1
environment: development
project: { id: graph-test, network: n, dnsZone: example.test }
metaClusters: [{ name: meta-eu01, region: europe-west1 }]
workspaceClusters:
${prefixes.map((p) => `  - { region: europe-west1, prefix: ${p}, governedBy: meta-eu01, type: sandbox }`).join('\n')}
${extra}`;
  writeFileSync(file, text);
  return { loaded: parseConfig(text, file), dir };
}

/** Records, per cluster, each step's start and end in order. */
class Trace {
  readonly events: string[] = [];
  private waiters: Array<() => void> = [];
  mark(event: string): void {
    this.events.push(event);
    this.waiters.splice(0).forEach((w) => w());
  }
  /** Resolves once `event` was marked; rejects after a generous deadline (never the normal path). */
  async until(event: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!this.events.includes(event)) {
      if (Date.now() > deadline) throw new Error(`never saw ${event}; saw ${this.events.join(', ')}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200).unref();
      });
    }
  }
}

type Body = (trace: Trace, cluster: string) => Promise<void>;
function step(name: StepName, trace: Trace, body: Body = async () => undefined, section?: ReleaseSection): Step {
  return {
    name,
    applies: () => true,
    describe: () => [],
    ...(section ? { layer: RELEASES_LAYER, dependsOn: (config) => releaseDependsOn(config, section) } : {}),
    run: async (ctx) => {
      trace.mark(`${ctx.cluster.shortName}:${name}:start`);
      await body(trace, ctx.cluster.shortName);
      trace.mark(`${ctx.cluster.shortName}:${name}:end`);
      return {};
    },
  };
}

function steps(trace: Trace, bodies: Partial<Record<StepName, Body>> = {}): Step[] {
  return [
    step('create-cluster', trace, bodies['create-cluster']),
    step('install-gitpod', trace, bodies['install-gitpod'], 'gitpod'),
    step('install-jaeger', trace, bodies['install-jaeger'], 'jaeger'),
    step('install-monitoring', trace, bodies['install-monitoring'], 'monitoring'),
    step('alive-test', trace, bodies['alive-test']),
    step('register-cluster', trace, bodies['register-cluster']),
  ];
}

const opts: EngineOptions = { dryRun: false, overwrite: false, yes: false, verbose: false, failFast: false, clusterId: 130 };
const run = (loaded: ReturnType<typeof setup>['loaded'], dir: string, list: Step[], options: Partial<EngineOptions> = {}) =>
  startDeployment(loaded, { ...opts, ...options }, {
    store: new FileStateStore(join(dir, 'state')),
    sink: new MemorySink(),
    signal: new AbortController().signal,
    redactor: new Redactor(),
    steps: list,
    probe: async () => ({ exists: false }),
    sleep: async () => undefined,
  });

describe('release graph in the engine', () => {
  it('installs the three releases together, and alive-test starts only after all ended', async () => {
    const { loaded, dir } = setup();
    const trace = new Trace();
    // Each release ends only once all three started: this deadlocks (and fails by deadline) unless they overlap.
    const together: Body = async (t) => {
      for (const r of ['install-gitpod', 'install-jaeger', 'install-monitoring']) await t.until(`eu130:${r}:start`);
    };
    const snap = await run(loaded, dir, steps(trace, { 'install-gitpod': together, 'install-jaeger': together, 'install-monitoring': together }));
    expect(snap.state).toBe('succeeded');
    const at = (e: string) => trace.events.indexOf(`eu130:${e}`);
    for (const r of ['install-gitpod', 'install-jaeger', 'install-monitoring']) {
      expect(at(`${r}:start`)).toBeGreaterThan(at('create-cluster:end'));
      expect(at('alive-test:start')).toBeGreaterThan(at(`${r}:end`));
    }
  });

  it('starts a release declared dependent only after the one it depends on ended', async () => {
    const { loaded, dir } = setup('jaeger:\n  dependsOn: [gitpod]\n');
    const trace = new Trace();
    // gitpod waits until monitoring started: monitoring still runs alongside it.
    const snap = await run(loaded, dir, steps(trace, { 'install-gitpod': (t) => t.until('eu130:install-monitoring:start') }));
    expect(snap.state).toBe('succeeded');
    const at = (e: string) => trace.events.indexOf(`eu130:${e}`);
    expect(at('install-jaeger:start')).toBeGreaterThan(at('install-gitpod:end'));
  });

  it('a failed release blocks only alive-test and later: the other releases finish', async () => {
    const { loaded, dir } = setup('', ['eu', 'us']);
    const trace = new Trace();
    const snap = await run(
      loaded,
      dir,
      steps(trace, {
        'install-jaeger': async (t, cluster) => {
          if (cluster !== 'eu130') return;
          await t.until('eu130:install-gitpod:start');
          throw new WsdError('ToolFailed', 'helm: jaeger-operator rollout timed out');
        },
        // Still running when jaeger fails: it must be let to finish, and succeed.
        'install-gitpod': (t, cluster) => (cluster === 'eu130' ? t.until('eu130:install-monitoring:end') : Promise.resolve()),
      }),
    );
    expect(snap.state).toBe('failed');
    const eu = snap.clusters.find((c) => c.shortName === 'eu130');
    expect(Object.fromEntries(eu?.steps.map((s) => [s.name, s.state]) ?? [])).toEqual({
      'create-cluster': 'succeeded',
      'install-gitpod': 'succeeded',
      'install-jaeger': 'failed',
      'install-monitoring': 'succeeded',
      'alive-test': 'pending',
      'register-cluster': 'pending',
    });
    expect(snap.clusters.find((c) => c.shortName === 'us130')?.steps.every((s) => s.state === 'succeeded')).toBe(true);
    expect(snap.error?.message).toContain('install-jaeger: helm: jaeger-operator rollout timed out');
  });

  it('--concurrency counts every running step: with 2, two releases of a cluster may run, never three', async () => {
    const { loaded, dir } = setup('', ['eu', 'us']);
    const trace = new Trace();
    let running = 0;
    let most = 0;
    const counted: Body = async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
    };
    const all = Object.fromEntries(['create-cluster', 'install-gitpod', 'install-jaeger', 'install-monitoring', 'alive-test', 'register-cluster'].map((n) => [n, counted]));
    const snap = await run(loaded, dir, steps(trace, all), { concurrency: 2 });
    expect(snap.state).toBe('succeeded');
    expect(most).toBe(2);
  });

  it('with a bound, a cluster that started goes on before the next cluster starts', async () => {
    const { loaded, dir } = setup('', ['eu', 'us']);
    const trace = new Trace();
    const snap = await run(loaded, dir, steps(trace), { concurrency: 1 });
    expect(snap.state).toBe('succeeded');
    const usStart = trace.events.indexOf('us130:create-cluster:start');
    expect(trace.events.indexOf('eu130:register-cluster:end')).toBeLessThan(usStart);
  });
});
