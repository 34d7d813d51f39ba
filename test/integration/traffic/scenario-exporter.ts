/**
 * The scenario suite's exporter: ONE HTTP /metrics endpoint for every scenario
 * running at once, each cluster's series labelled `scenario="sNN", cluster="eu101"`
 * (queries bake the scenario label in). Like ws-manager it exports counters of
 * workspace starts and failed starts and a start-time histogram per cluster.
 *
 * Counters advance lazily from elapsed wall time (at each scrape and before each
 * change), not from a timer, so a starved event loop delays them but never
 * loses or invents starts: load can delay data, not change its shape.
 * Every sample carries the exporter's own timestamp (Prometheus honours it): a scrape
 * that Prometheus sends or we answer late still files the counters at the time they
 * were read, and a missed scrape leaves a gap instead of staleness markers that
 * would make a live cluster look vanished. The suite runs this class in its own
 * process (exporter-process.ts), so a busy test worker cannot stall the scrapes.
 * Start times are drawn from a seeded generator (log-normal), so two clusters with
 * the same settings are two independent draws of the same distribution.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../../../src/registry/simulator/random.js';

/** A failure ratio that climbs from `from` by `perSecond` from the moment it is set, up to `max`. */
export interface Ramp {
  from: number;
  perSecond: number;
  max: number;
}

export interface Traffic {
  /** Workspace starts per second. */
  rate: number;
  /** Share of starts that fail (a number, or a ramp from the moment it is set). */
  failureRatio: number | Ramp;
  /** Median start time in seconds. */
  latencyMedian: number;
  /** Log-normal spread of start times (0.3 calm, 0.6 noisy). */
  latencySigma: number;
  /** Poisson starts and binomial failures with a rate that wobbles ±50 % (healthy but noisy). */
  noisy: boolean;
  /** False: the cluster's series are not exported (it died, or was never scraped). */
  visible: boolean;
}

export const BUCKETS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144] as const;

interface ClusterState extends Traffic {
  starts: number;
  failures: number;
  startCarry: number;
  failureCarry: number;
  buckets: number[];
  sumSeconds: number;
  lastMs: number;
  rampSinceMs: number;
  random: () => number;
}

function hash(text: string): number {
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

export const DEFAULT_TRAFFIC: Traffic = { rate: 0, failureRatio: 0.01, latencyMedian: 8, latencySigma: 0.3, noisy: false, visible: true };

export class ScenarioExporter {
  private readonly clusters = new Map<string, ClusterState>();
  private server?: Server;

  /** Sets (or adds) a cluster's traffic; counters so far are kept. */
  set(scenario: string, cluster: string, traffic: Partial<Traffic>, now = Date.now()): void {
    const key = `${scenario}/${cluster}`;
    const current = this.clusters.get(key);
    if (current) this.advance(current, now);
    const state: ClusterState = current ?? {
      ...DEFAULT_TRAFFIC,
      starts: 0,
      failures: 0,
      startCarry: 0,
      failureCarry: 0,
      buckets: BUCKETS.map(() => 0),
      sumSeconds: 0,
      lastMs: now,
      rampSinceMs: now,
      random: seededRandom(hash(key)),
    };
    Object.assign(state, traffic);
    if (traffic.failureRatio !== undefined && typeof traffic.failureRatio !== 'number') state.rampSinceMs = now;
    this.clusters.set(key, state);
  }

  /** Hides (or shows) every series of a scenario: its scraping broke. */
  setScenarioVisible(scenario: string, visible: boolean): void {
    for (const [key, state] of this.clusters) if (key.startsWith(`${scenario}/`)) state.visible = visible;
  }

  async start(): Promise<number> {
    this.server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.render(Date.now()));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return (this.server?.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private ratioAt(c: ClusterState, ms: number): number {
    const r = c.failureRatio;
    if (typeof r === 'number') return r;
    return Math.min(r.max, r.from + (r.perSecond * Math.max(0, ms - c.rampSinceMs)) / 1000);
  }

  /** Adds the starts of the time since the last advance, whole events only. */
  private advance(c: ClusterState, now: number): void {
    if (now <= c.lastMs) return;
    const dt = (now - c.lastMs) / 1000;
    const ratio = this.ratioAt(c, (c.lastMs + now) / 2);
    c.lastMs = now;
    if (dt === 0 || c.rate <= 0) return;
    let starts: number;
    if (c.noisy) {
      const wobble = 0.5 + c.random();
      starts = poisson(c.rate * dt * wobble, c.random);
    } else {
      c.startCarry += c.rate * dt;
      starts = Math.floor(c.startCarry + 1e-9);
      c.startCarry -= starts;
    }
    let failures = 0;
    if (c.noisy) {
      for (let i = 0; i < starts; i++) if (c.random() < ratio) failures++;
    } else {
      c.failureCarry += starts * ratio;
      failures = Math.floor(c.failureCarry + 1e-9);
      c.failureCarry -= failures;
    }
    c.starts += starts;
    c.failures += failures;
    for (let i = 0; i < starts; i++) {
      const seconds = c.latencyMedian * Math.exp(c.latencySigma * gaussian(c.random));
      c.sumSeconds += seconds;
      for (const [b, le] of BUCKETS.entries()) if (seconds <= le) c.buckets[b] = (c.buckets[b] ?? 0) + 1;
    }
  }

  /** The exposition as of `now`, every sample stamped with `now` (ms). */
  render(now: number): string {
    const starts = ['# TYPE gitpod_ws_manager_workspace_starts_total counter'];
    const failures = ['# TYPE gitpod_ws_manager_workspace_starts_failure_total counter'];
    const histogram = ['# TYPE gitpod_ws_manager_workspace_startup_seconds histogram'];
    const at = Math.floor(now);
    for (const [key, c] of this.clusters) {
      this.advance(c, now);
      if (!c.visible) continue;
      const [scenario, cluster] = key.split('/');
      const labels = `scenario="${scenario}",cluster="${cluster}"`;
      starts.push(`gitpod_ws_manager_workspace_starts_total{${labels}} ${c.starts} ${at}`);
      failures.push(`gitpod_ws_manager_workspace_starts_failure_total{${labels}} ${c.failures} ${at}`);
      for (const [b, le] of BUCKETS.entries()) histogram.push(`gitpod_ws_manager_workspace_startup_seconds_bucket{${labels},le="${le}"} ${c.buckets[b]} ${at}`);
      histogram.push(`gitpod_ws_manager_workspace_startup_seconds_bucket{${labels},le="+Inf"} ${c.starts} ${at}`);
      histogram.push(`gitpod_ws_manager_workspace_startup_seconds_sum{${labels}} ${c.sumSeconds} ${at}`);
      histogram.push(`gitpod_ws_manager_workspace_startup_seconds_count{${labels}} ${c.starts} ${at}`);
    }
    return `${[...starts, ...failures, ...histogram].join('\n')}\n`;
  }
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Knuth's method for small means, a rounded normal for large ones. */
function poisson(mean: number, random: () => number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(random)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}
