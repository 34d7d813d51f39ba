/**
 * How often Prometheus really scrapes the targets that expose a gate's series. `analysis.scrapeInterval` is what
 * the operator believes; a job scraped more slowly leaves a window fewer than two scrapes, and rate()/increase()
 * answer nothing there. Read from `/api/v1/targets` (each active target's `scrapeInterval`, Prometheus ≥ 2.x),
 * or, where a target does not say, from `/api/v1/status/config` (the job's `scrape_interval`, else the global one,
 * else Prometheus' default 1m), matched by the target's scrape pool (its `job_name`).
 */
import { parse } from 'yaml';
import { parseDuration } from '../duration.js';

/** Prometheus' own default `scrape_interval`. */
const PROMETHEUS_DEFAULT_MS = 60_000;

export interface TargetInterval {
  /** `job/instance` as Prometheus labels the target; for a recording rule, its group (`rule group "ws" (file)`). */
  target: string;
  job: string;
  intervalMs: number;
  /** Set where the series are written by a recording rule: its group's evaluation interval is their sample spacing. */
  rule?: string;
  /** A recording rule's expression: the series it reads (its inputs, scraped from targets). */
  query?: string;
  /** A recording rule's health as Prometheus reports it (`ok`, `err`, `unknown`) and its last error. */
  health?: string;
  lastError?: string;
}

interface RawRuleGroup {
  name?: unknown;
  file?: unknown;
  /** Seconds. */
  interval?: unknown;
  rules?: Array<{ name?: unknown; type?: unknown; query?: unknown; health?: unknown; lastError?: unknown }>;
}

/** The metric name a series selector selects (`name{…}` or `{__name__="name", …}`), or undefined. */
export function selectorMetricName(selector: string): string | undefined {
  const named = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(selector)?.[1];
  return named ?? /__name__\s*=\s*"([^"]+)"/.exec(selector)?.[1];
}

/**
 * The recording rules among `/api/v1/rules`' groups that write any of `names`: each with its group's evaluation
 * interval, which spaces their samples as a scrape interval spaces a target's (a rule's series carry no job or
 * instance of a target, so `/api/v1/targets` cannot say it).
 */
export function ruleIntervals(names: ReadonlySet<string>, groups: readonly RawRuleGroup[]): TargetInterval[] {
  const out: TargetInterval[] = [];
  for (const g of groups) {
    const seconds = typeof g.interval === 'number' && g.interval > 0 ? g.interval : undefined;
    if (seconds === undefined) continue;
    for (const r of g.rules ?? []) {
      if (r.type !== 'recording' || typeof r.name !== 'string' || !names.has(r.name)) continue;
      const where = typeof g.file === 'string' && g.file !== '' ? ` (${g.file})` : '';
      const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
      const extra = { query: text(r.query), health: text(r.health), lastError: text(r.lastError) };
      out.push({ target: `rule group "${String(g.name)}"${where}`, job: '', intervalMs: Math.round(seconds * 1000), rule: r.name, ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)) });
    }
  }
  return out;
}

interface RawTarget {
  labels?: Record<string, string>;
  scrapePool?: string;
  scrapeInterval?: string;
}

/** A Prometheus duration (`30s`, `1m30s`), or undefined. */
function duration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const ms = parseDuration(text);
    return ms > 0 ? ms : undefined;
  } catch {
    return undefined;
  }
}

/** Each job's scrape_interval from the config's YAML text (`job_name` → ms); undefined when unreadable. */
export function configIntervals(yamlText: string): Map<string, number> | undefined {
  try {
    const config = parse(yamlText) as { global?: { scrape_interval?: unknown }; scrape_configs?: Array<{ job_name?: unknown; scrape_interval?: unknown }> } | null;
    const global = duration(config?.global?.scrape_interval) ?? PROMETHEUS_DEFAULT_MS;
    return new Map((config?.scrape_configs ?? []).filter((c) => typeof c.job_name === 'string').map((c) => [c.job_name as string, duration(c.scrape_interval) ?? global]));
  } catch {
    return undefined;
  }
}

/**
 * The scrape intervals of the `exposing` targets (job, instance) among the active ones in `/api/v1/targets`'s
 * answer; `config` is asked only for a target that does not give its own. A target not found is left out.
 */
export async function targetIntervals(
  exposing: ReadonlyArray<{ job: string; instance: string }>,
  activeTargets: readonly RawTarget[],
  config: () => Promise<Map<string, number> | undefined>,
): Promise<TargetInterval[]> {
  const out: TargetInterval[] = [];
  let jobs: Map<string, number> | undefined;
  for (const e of exposing) {
    const t = activeTargets.find((a) => a.labels?.job === e.job && a.labels?.instance === e.instance);
    if (!t) continue;
    let ms = duration(t.scrapeInterval);
    if (ms === undefined) {
      jobs ??= (await config()) ?? new Map();
      ms = jobs.get(t.scrapePool ?? e.job);
    }
    if (ms !== undefined) out.push({ target: `${e.job}/${e.instance}`, job: e.job, intervalMs: ms });
  }
  return out;
}
