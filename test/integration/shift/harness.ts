/**
 * A real deployment around the traffic-shift and retire steps: the engine, the
 * file state store, and the sandbox registries (registry simulators over real
 * gRPC on 127.0.0.1, two meta clusters). Clusters are pre-registered through
 * the real RegistryClient, as the register-cluster step would leave them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { parseConfig, type LoadedConfig } from '../../../src/config/load.js';
import { resumeDeployment, startDeployment, type EngineOptions } from '../../../src/engine/deployment.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { connectToMeta } from '../../../src/registry/connect.js';
import type { ClusterStatus } from '../../../src/registry/types.js';
import { sandboxRegistry, stopSandboxRegistries } from '../../../src/sandbox/sandbox-registry.js';
import type { Snapshot } from '../../../src/state/model.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import type { DeploymentStep, Step } from '../../../src/steps/step.js';

export const METAS = ['dev-meta-eu01', 'dev-meta-us01'] as const;

/** A sandbox config with two meta clusters and one eu workspace cluster; `shift` is the trafficShift YAML block. */
export function configText(shift: string): string {
  return `version: v1
environment: development
project: { id: sandbox-project, network: sandbox-net, dnsZone: sandbox.gitpod-dev.test }
metaClusters:
  - { name: ${METAS[0]}, region: europe-west1, type: sandbox }
  - { name: ${METAS[1]}, region: us-west1, type: sandbox }
workspaceClusters:
  - { region: europe-west1, prefix: eu, governedBy: ${METAS[0]}, type: sandbox }
trafficShift:
${shift}`;
}

/** Gates on the simulator's counters: failure ratio per cluster with a minimum of starts. */
export const SIM_ANALYSIS = `  analysis:
    provider: { type: simulator }
    metrics:
      - name: start-failure-ratio
        query: 'failure_ratio({{shortName}}[{{interval}}])'
        threshold: { max: 0.2 }
        minSamples: 5
        samplesQuery: 'starts({{shortName}}[{{interval}}])'
    sampleDeadline: 30s`;

export interface Harness {
  dir: string;
  store: FileStateStore;
  sink: MemorySink;
  loaded: LoadedConfig;
  register(name: string, options: { cordoned: boolean; preferability?: 'Prefer' | 'None'; constraints?: string[] }): Promise<void>;
  list(meta: string): Promise<ClusterStatus[]>;
  lists(): Promise<Record<string, ClusterStatus[]>>;
  deploy(steps: readonly DeploymentStep[], options?: Partial<EngineOptions>, signal?: AbortSignal, clusterSteps?: readonly Step[]): Promise<Snapshot>;
  resume(id: string, steps: readonly DeploymentStep[], options?: Partial<EngineOptions>, signal?: AbortSignal): Promise<Snapshot>;
  close(): Promise<void>;
}

export async function createHarness(shift: string, clusterId = 2): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'wsd-shift-'));
  const store = new FileStateStore(join(dir, 'state'));
  const sink = new MemorySink();
  const loaded = parseConfig(configText(shift), join(dir, 'deploy.yaml'));
  const engineOptions = (extra: Partial<EngineOptions>): EngineOptions => ({ dryRun: false, overwrite: false, yes: false, verbose: false, failFast: false, clusterId, ...extra });
  const deps = (steps: readonly DeploymentStep[], signal: AbortSignal, clusterSteps: readonly Step[] = []) => ({
    store,
    sink,
    signal,
    redactor: new Redactor(),
    steps: clusterSteps,
    deploymentSteps: steps,
    probe: async () => ({ exists: false }),
    sleep: async () => undefined,
  });
  const withClient = async <T>(meta: string, fn: (c: Awaited<ReturnType<typeof connectToMeta>>['client']) => Promise<T>): Promise<T> => {
    const sim = await sandboxRegistry(store.root, meta);
    const conn = await connectToMeta({ name: meta, bridge: { address: sim.address } });
    try {
      return await fn(conn.client);
    } finally {
      await conn.close();
    }
  };
  const harness: Harness = {
    dir,
    store,
    sink,
    loaded,
    async register(name, options) {
      const { parseConstraint } = await import('../../../src/registry/constraints.js');
      for (const meta of METAS) {
        await withClient(meta, (c) =>
          c.register({
            name,
            url: `dns:///ws-${name}.sandbox.gitpod-dev.test:8080`,
            tls: { ca: 'Y2E=', crt: 'Y3J0', key: 'a2V5' },
            hints: { preferability: options.preferability ?? 'None', cordoned: options.cordoned, govern: meta === METAS[0] },
            admissionConstraints: (options.constraints ?? []).map(parseConstraint),
            region: '',
          }),
        );
      }
    },
    list: (meta) => withClient(meta, (c) => c.list()),
    async lists() {
      const out: Record<string, ClusterStatus[]> = {};
      for (const meta of METAS) out[meta] = await harness.list(meta);
      return out;
    },
    // `harness.loaded` is read at each call: a test may switch the config between generations.
    deploy: (steps, options = {}, signal = new AbortController().signal, clusterSteps = []) => startDeployment(harness.loaded, engineOptions(options), deps(steps, signal, clusterSteps)),
    resume: (id, steps, options = {}, signal = new AbortController().signal) => resumeDeployment(harness.loaded, id, engineOptions(options), deps(steps, signal)),
    async close() {
      await stopSandboxRegistries();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** The deployment-wide step record of a snapshot. */
export function wideStep(snap: Snapshot, name: string) {
  return snap.deploymentSteps.find((s) => s.name === name);
}

/** Polls `check` every 100 ms up to `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Only the fields a rollback must restore, per meta and cluster. */
export function scoresOf(lists: Record<string, ClusterStatus[]>, names: readonly string[]) {
  return Object.fromEntries(
    Object.entries(lists).map(([meta, list]) => [
      meta,
      Object.fromEntries(list.filter((c) => names.includes(c.name)).map((c) => [c.name, { state: c.state, score: c.score, maxScore: c.maxScore, admissionConstraints: c.admissionConstraints }])),
    ]),
  );
}

/** Registers eu16 and eu17 (taking starts) and eu18 (cordoned, the new one) with the bridge at `address`. */
export async function registerEu16To18(address: string): Promise<void> {
  const c = await RegistryClient.connect({ address, meta: 'setup' });
  const tls = { ca: 'Y2E=', crt: 'Y3J0', key: 'a2V5' };
  for (const [name, cordoned] of [['eu16', false], ['eu17', false], ['eu18', true]] as const) {
    await c.register({ name, url: `dns:///ws-${name}.example.test:8080`, tls, hints: { preferability: cordoned ? 'None' : 'Prefer', cordoned, govern: true }, admissionConstraints: [], region: 'europe' });
  }
  c.close();
}
