/**
 * Simulated users for the sandbox: while a shift (or a retirement) runs, new
 * workspaces start on the sandbox registries at a steady rate — placed by the
 * simulator exactly as the server would place them (score-weighted, inside
 * constraint sets) — and running sessions end, so old clusters drain.
 * Also the fault knob `deploy --inject-fault <cluster>:<failure-rate>` (or `<cluster>:vanish@<duration>`).
 */
import { WsdError } from '../core/errors.js';
import { formatDuration, parseDuration } from '../traffic/duration.js';
import type { EventSink } from '../core/events.js';
import type { UserProfile } from '../registry/constraints.js';
import type { RunningSimulator } from '../registry/simulator/index.js';

interface SandboxTrafficOptions {
  simulators: readonly RunningSimulator[];
  /** Workspace starts per second, per simulator. Default 20. */
  startsPerSecond?: number;
  /** Share of starts by staff holding `staffPermission` (they reach staff-stage clusters). Default 0.1. */
  staffShare?: number;
  staffPermission?: string;
  /** Share of running sessions that end per second. Default 0.3 (drains take a few seconds). */
  endShare?: number;
  tickMs?: number;
  sink?: EventSink;
}

export interface SandboxTraffic {
  /** Ticks so far. */
  readonly ticks: number;
  stop(): Promise<void>;
}

/** Starts the generator; `stop()` waits for the tick in flight. */
export function startSandboxTraffic(options: SandboxTrafficOptions): SandboxTraffic {
  const tickMs = options.tickMs ?? 500;
  const perTick = ((options.startsPerSecond ?? 20) * tickMs) / 1000;
  const staffShare = options.staffShare ?? 0.1;
  const staff: UserProfile = { permissions: [options.staffPermission ?? 'new-workspace-cluster'] };
  const endPerTick = Math.min(1, ((options.endShare ?? 0.3) * tickMs) / 1000);
  let carry = 0;
  let ticks = 0;
  let inFlight: Promise<void> = Promise.resolve();
  let stopped = false;

  const tick = async () => {
    carry += perTick;
    const n = Math.floor(carry);
    carry -= n;
    const staffStarts = Math.round(n * staffShare);
    for (const sim of options.simulators) {
      if (n - staffStarts > 0) await sim.simulateStarts(n - staffStarts);
      if (staffStarts > 0) await sim.simulateStarts(staffStarts, staff);
      await endSessions(sim, endPerTick);
    }
    ticks++;
  };

  const timer = setInterval(() => {
    if (stopped) return;
    // One tick at a time: a slow disk must not pile up writes of the state file.
    inFlight = inFlight.then(tick).catch((error: unknown) => {
      options.sink?.emit({ level: 'warn', code: 'sandbox.traffic', message: `simulated traffic failed: ${(error as Error).message}` });
    });
  }, tickMs);
  timer.unref();

  return {
    get ticks() {
      return ticks;
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}

/** Ends `share` of the running regular sessions of every cluster (at least one while any run). */
async function endSessions(sim: RunningSimulator, share: number): Promise<void> {
  for (const [name, c] of Object.entries(sim.counters())) {
    if (c.running <= 0) continue;
    const ending = Math.max(1, Math.round(c.running * share));
    await sim.setRunning(name, Math.max(0, c.running - ending));
  }
}

/**
 * One `--inject-fault` value: a share of starts that fail (`eu:0.5`), or the cluster's metrics vanishing a
 * while after the shift began (`eu:vanish@10s`: its series are gone from then on, as when its scraping dies
 * — the cluster still takes starts and stays in the registry).
 */
export type FaultSpec = { cluster: string; rate: number; vanishAfterMs?: undefined } | { cluster: string; vanishAfterMs: number; rate?: undefined };

const USAGE = 'must be <cluster>:<failure-rate> with a rate between 0 and 1, or <cluster>:vanish@<duration>, e.g. eu:0.5, eu17:0.3 or eu:vanish@10s';

/** Parses `<cluster>:<failure-rate>` (e.g. `eu:0.5`) or `<cluster>:vanish@<duration>` (e.g. `eu:vanish@10s`). */
export function parseFaultSpec(text: string): FaultSpec {
  const vanish = /^([a-z][a-z0-9-]*):vanish@(\d+(?:ms|s|m|h))$/.exec(text.trim());
  if (vanish) return { cluster: vanish[1] as string, vanishAfterMs: parseDuration(vanish[2] as string) };
  const m = /^([a-z][a-z0-9-]*):((?:0|1)(?:\.\d+)?|\.\d+)$/.exec(text.trim());
  const rate = m ? Number(m[2]) : Number.NaN;
  if (!m || !(rate >= 0 && rate <= 1)) throw new WsdError('UsageError', `--inject-fault "${text}" ${USAGE}`);
  return { cluster: m[1] as string, rate };
}

/** How a fault is said back (`eu:0.5`, `eu:vanish@10s`). */
export function describeFault(spec: FaultSpec): string {
  return spec.vanishAfterMs !== undefined ? `${spec.cluster}:vanish@${formatDuration(spec.vanishAfterMs)}` : `${spec.cluster}:${spec.rate}`;
}

/**
 * Checks `--inject-fault` values before anything runs: each names a prefix of the
 * config's workspace clusters, or a short name of one (`eu17`: an old cluster too).
 */
export function checkFaultSpecs(texts: readonly string[], prefixes: readonly string[]): FaultSpec[] {
  return texts.map((text) => {
    const spec = parseFaultSpec(text);
    const prefix = prefixes.find((p) => spec.cluster === p || new RegExp(`^${p}\\d+$`).test(spec.cluster));
    if (!prefix) {
      throw new WsdError('UsageError', `--inject-fault "${text}" names "${spec.cluster}", which is no prefix (${prefixes.join(', ')}) or short name (e.g. ${prefixes[0] ?? 'eu'}17) of this config's workspace clusters`);
    }
    return spec;
  });
}

/** The clusters a fault names: matched against short name, full name, then prefix. */
export function resolveFaultTargets(spec: FaultSpec, clusters: ReadonlyArray<{ name: string; shortName: string; prefix: string }>): string[] {
  const exact = clusters.filter((c) => c.shortName === spec.cluster || c.name === spec.cluster);
  if (exact.length > 0) return exact.map((c) => c.shortName);
  const byPrefix = clusters.filter((c) => c.prefix === spec.cluster);
  if (byPrefix.length > 0) return byPrefix.map((c) => c.shortName);
  // An old cluster (not of this deployment) can be named by its short name.
  if (/^[a-z]+[0-9]+$/.test(spec.cluster)) return [spec.cluster];
  throw new WsdError('UsageError', `--inject-fault names "${spec.cluster}", which is no cluster of this deployment (${clusters.map((c) => c.shortName).join(', ')}); use a short name or a prefix`);
}

/** Sets the failure rate of the named clusters on every sandbox simulator. Returns the short names touched. */
export async function applyFaults(specs: readonly FaultSpec[], simulators: readonly RunningSimulator[], clusters: ReadonlyArray<{ name: string; shortName: string; prefix: string }>): Promise<string[]> {
  const touched: string[] = [];
  for (const spec of specs) {
    if (spec.rate === undefined) continue;
    for (const name of resolveFaultTargets(spec, clusters)) {
      for (const sim of simulators) await sim.setFailureRate(name, spec.rate);
      touched.push(name);
    }
  }
  return touched;
}

/** Short name → epoch ms from which its metrics are gone, for the `vanish@` faults (counted from `startedAtMs`). */
export function vanishTimes(specs: readonly FaultSpec[], clusters: ReadonlyArray<{ name: string; shortName: string; prefix: string }>, startedAtMs: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const spec of specs) {
    if (spec.vanishAfterMs === undefined) continue;
    for (const name of resolveFaultTargets(spec, clusters)) out.set(name, startedAtMs + spec.vanishAfterMs);
  }
  return out;
}
