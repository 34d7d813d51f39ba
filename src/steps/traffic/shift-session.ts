/**
 * Everything a running shift holds open: registry connections to every meta
 * cluster, the metric provider, and in the sandbox the simulated users and the
 * injected faults. Opened once per run of the step, closed at its end.
 */
import { WsdError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import type { Redactor } from '../../core/redact.js';
import type { RunningSimulator } from '../../registry/simulator/index.js';
import { applyFaults, describeFault, startSandboxTraffic, vanishTimes, type FaultSpec, type SandboxTraffic } from '../../sandbox/sandbox-traffic.js';
import { SimulatorProvider } from '../../sandbox/simulator-provider.js';
import type { ProviderConfig } from '../../traffic/analysis-config.js';
import type { TrafficShiftConfig } from '../../traffic/config.js';
import { prometheusFromConfig } from '../../traffic/providers/prometheus.js';
import type { MetricProvider } from '../../traffic/providers/provider.js';
import { allSandbox, connectRegistry, metaClustersOf, resolveMetaAccessAll, type ConnectedRegistry } from '../../traffic/registry-adapter.js';
import type { DeployConfigView, ClusterTarget } from '../step.js';

/** Sandbox knobs, set by the CLI (`deploy --inject-fault`) or tests. */
export interface SandboxShiftOptions {
  faults?: readonly FaultSpec[];
  /** Simulated starts per second per sandbox meta while the step runs. Default 20; 0 = none. */
  startsPerSecond?: number;
  /** Share of running sessions ending per second. Default 0.3. */
  endShare?: number;
}

interface ShiftSession {
  registry: ConnectedRegistry;
  /** Present for the built-in shift (analysis configured). */
  provider?: MetricProvider;
  /** The sandbox simulators, when every meta cluster is a sandbox one. */
  simulators: RunningSimulator[];
  close(): Promise<void>;
}

interface OpenSessionInput {
  config: DeployConfigView;
  shift?: TrafficShiftConfig;
  sharedDir: string;
  clusters: readonly ClusterTarget[];
  sink: EventSink;
  redactor: Redactor;
  signal: AbortSignal;
  sandbox?: SandboxShiftOptions;
  /** Run simulated users (sandbox only). */
  traffic: boolean;
}

/** The sandbox simulators of the config's meta clusters (empty when any meta is real). */
async function sandboxSimulators(config: DeployConfigView, sharedDir: string): Promise<RunningSimulator[]> {
  const metas = metaClustersOf(config);
  if (!allSandbox(metas)) return [];
  const { sandboxRegistry } = await import('../../sandbox/sandbox-registry.js');
  return Promise.all(metas.map((m) => sandboxRegistry(sharedDir, m.name)));
}

function buildProvider(provider: ProviderConfig, simulators: RunningSimulator[], redactor: Redactor, vanish: ReadonlyMap<string, number>): MetricProvider {
  if (provider.type === 'prometheus') return prometheusFromConfig(provider, redactor);
  if (simulators.length === 0) {
    throw new WsdError('ConfigInvalid', 'trafficShift.analysis.provider "simulator" reads the sandbox registry simulator: it needs every meta cluster to be type sandbox; use a prometheus provider for real meta clusters');
  }
  // `--inject-fault eu:vanish@10s`: from then on the cluster's series are missing, as when its scraping dies.
  const visible = (counters: ReturnType<RunningSimulator['counters']>) => {
    const now = Date.now();
    return Object.fromEntries(Object.entries(counters).filter(([name]) => !(now >= (vanish.get(name) ?? Number.POSITIVE_INFINITY))));
  };
  return new SimulatorProvider({ readers: simulators.map((s) => () => visible(s.counters())), description: `registry simulator counters (${simulators.map((s) => s.address).join(', ')})` });
}

export async function openShiftSession(input: OpenSessionInput): Promise<ShiftSession> {
  const metas = metaClustersOf(input.config);
  const simulators = await sandboxSimulators(input.config, input.sharedDir);
  const registry = await connectRegistry(await resolveMetaAccessAll(metas, input.sharedDir), { sink: input.sink, redactor: input.redactor, signal: input.signal });
  let traffic: SandboxTraffic | undefined;
  let provider: MetricProvider | undefined;
  try {
    const analysis = input.shift?.analysis;
    if (input.sandbox?.faults?.length && simulators.length === 0) {
      throw new WsdError('UsageError', '--inject-fault works only when every meta cluster is a sandbox one (type: sandbox); remove it for real meta clusters');
    }
    const vanish = vanishTimes(input.sandbox?.faults ?? [], input.clusters, Date.now());
    if (analysis && !input.shift?.command) provider = buildProvider(analysis.provider, simulators, input.redactor, vanish);
    for (const [name, at] of vanish) {
      input.sink.emit({ level: 'warn', code: 'sandbox.fault', message: `injected fault: the metrics of ${name} vanish at ${new Date(at).toISOString()}`, data: { cluster: name, vanishAt: new Date(at).toISOString() } });
    }
    if (simulators.length > 0) {
      // Injected faults last one run: a crashed or earlier run's must not make a healthy cluster fail now.
      for (const sim of simulators) await sim.clearFailureRates();
      const rates = (input.sandbox?.faults ?? []).filter((f) => f.rate !== undefined);
      if (rates.length > 0) {
        const touched = await applyFaults(rates, simulators, input.clusters);
        input.sink.emit({ level: 'warn', code: 'sandbox.fault', message: `injected start failures on ${touched.join(', ')} (${rates.map(describeFault).join(', ')})` });
      }
      const rate = input.sandbox?.startsPerSecond ?? 20;
      if (input.traffic && rate > 0) {
        traffic = startSandboxTraffic({ simulators, startsPerSecond: rate, endShare: input.sandbox?.endShare, staffPermission: input.shift?.staffStage?.permission, sink: input.sink });
      }
    }
  } catch (error) {
    await registry.close();
    throw error;
  }
  return {
    registry,
    provider,
    simulators,
    close: async () => {
      await traffic?.stop();
      if (input.sandbox?.faults?.length) for (const sim of simulators) await sim.clearFailureRates();
      if (provider instanceof SimulatorProvider) provider.stop();
      await registry.close();
    },
  };
}
