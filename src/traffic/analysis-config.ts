/**
 * The `trafficShift.analysis` section: where metrics come from, which queries
 * gate each step, and how failed / erroring / inconclusive measurements are
 * counted (Argo Rollouts semantics: a limit of N tolerates N, the N+1st trips).
 */
import * as z from 'zod';
import { patternString } from '../config/sections/primitives.js';
import { configPath } from '../config/sections/paths.js';
import { durationSchema, positiveDurationSchema } from './duration-schema.js';
import { TEMPLATE_VARIABLES } from './judges/query-template.js';
import { promqlProblem } from './judges/promql-check.js';

const placeholderPattern = /\{\{\s*([^}]*?)\s*\}\}/g;

/** A PromQL template; only the documented `{{…}}` placeholders are allowed. */
const queryTemplateSchema = z
  .string()
  .min(1, 'query must not be empty')
  .superRefine((query, ctx) => {
    for (const match of query.matchAll(placeholderPattern)) {
      const name = match[1] ?? '';
      if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown placeholder "{{${name}}}"; use one of ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`,
        });
      }
    }
  });

/**
 * Opt-in sequential judge for a proportion's `max` (docs/canary-analysis.md): an SPRT of `healthy` against
 * `max` on the counts of the stage, with anytime-valid error bounds, so a stage advances as soon as the
 * evidence suffices and rolls back as soon as it is damning.
 */
const sequentialSchema = z.strictObject({
  /** Failure ratio of a healthy cluster (H0); must lie below `max` (H1). */
  healthy: z.number().gt(0).lt(1),
  /** Bound on the chance that a cluster at or below `healthy` is rolled back in a stage (α). */
  falseRollback: z.number().gt(0).max(0.2).default(0.01),
  /** Bound on the chance that a cluster at or above `max` passes a stage (β). */
  falsePromotion: z.number().gt(0).max(0.5).default(0.05),
});

const thresholdSchema = z
  .strictObject({
    min: z.number().optional(),
    max: z.number().optional(),
    /** Proportion metrics: one-sided level of the Wilson bounds (pass when the upper bound is within, fail when the lower one is beyond). */
    confidence: z.number().gt(0.5).lt(1).default(0.95),
    sequential: sequentialSchema.optional(),
  })
  .refine((t) => t.min !== undefined || t.max !== undefined, 'threshold needs min, max or both')
  .refine((t) => t.min === undefined || t.max === undefined || t.min <= t.max, 'threshold min must not exceed max')
  .superRefine((t, ctx) => {
    if (!t.sequential) return;
    if (t.max === undefined || t.min !== undefined || t.max <= 0 || t.max >= 1) {
      ctx.addIssue({ code: 'custom', path: ['sequential'], message: 'sequential judges a failure ratio against its max: give threshold max (between 0 and 1) and no min' });
    } else if (t.sequential.healthy >= t.max) {
      ctx.addIssue({ code: 'custom', path: ['sequential', 'healthy'], message: `sequential.healthy ${t.sequential.healthy} must lie below threshold max ${t.max} (the rate a healthy cluster has, e.g. ${Number((t.max / 5).toPrecision(2))})` });
    }
  });

const comparisonSchema = z
  .strictObject({
    method: z.enum(['mann-whitney', 'ratio', 'proportion']),
    /**
     * 0.98 as Kayenta: the new side must be worse with 98 % confidence before we call it worse. The test is
     * ONE-sided in the bad `direction` (α = 1 − confidence), two-sided at α for `either`.
     */
    confidence: z.number().gt(0.5).lt(1).default(0.98),
    /** Method `proportion`: tolerated absolute increase of the failure ratio over the baseline (e.g. 0.02 = 2 points). */
    maxDifference: z.number().gt(0).lt(1).optional(),
    /** Bound on |rank-biserial correlation| (0..1); a significant but smaller difference still passes. */
    maxEffectSize: z.number().gt(0).max(1).optional(),
    /** Bound on mean(new) / mean(old) in the bad direction (e.g. 1.5 = 50 % worse). */
    maxRatio: z.number().gt(0).optional(),
    /** Which change is bad: a failure rate that increases, a success rate that decreases, or either. */
    direction: z.enum(['increase', 'decrease', 'either']).default('increase'),
    /** Step of the range query that yields the samples; `{{window}}` in the query becomes this, so windows do not overlap. */
    resolution: positiveDurationSchema('it is the step between the compared points; write e.g. 15s').prefault('15s'),
  })
  .refine((c) => c.method !== 'ratio' || c.maxRatio !== undefined, {
    message: 'comparison method "ratio" needs maxRatio',
    path: ['maxRatio'],
  })
  .refine((c) => c.method !== 'proportion' || c.maxDifference !== undefined, {
    message: 'comparison method "proportion" needs maxDifference (the tolerated increase of the ratio, e.g. 0.02)',
    path: ['maxDifference'],
  });

/** One gate metric. Exactly one of `threshold` or `comparison`. */
export const metricSchema = z
  .strictObject({
    name: patternString(/^[a-z][a-z0-9-]*$/, 'a metric name; use lowercase letters, digits and dashes, starting with a letter', 'error-rate', 128),
    query: queryTemplateSchema,
    threshold: thresholdSchema.optional(),
    comparison: comparisonSchema.optional(),
    /** Evaluated and reported, never decides (Argo's per-metric dry run). */
    dryRun: z.boolean().default(false),
    /**
     * Fewer events than this on the new side → wait (up to sampleDeadline), neither pass nor fail. Events are the
     * samplesQuery's counts, or a comparison's points; a threshold without a samplesQuery may not set it above 1.
     */
    minSamples: z.number().int().min(0).default(0),
    /** Counts events on a cluster, e.g. workspace starts in `{{interval}}`; without it samples = data points. */
    samplesQuery: queryTemplateSchema.optional(),
    /**
     * The value is a ratio of events (failed starts / starts) over the samplesQuery's events: judged as counts
     * (Wilson bounds, proportion test). Default: true when there is a samplesQuery and the bounds lie in [0, 1].
     */
    proportion: z.boolean().optional(),
    /** Argo-style per-metric settings; each defaults to the analysis-wide value (interval: trafficShift.interval). */
    interval: positiveDurationSchema('it is the time between measurements; write e.g. 60s, or omit it to use trafficShift.interval').optional(),
    /** Passing measurements this metric needs in a step before the step may advance (default 1). */
    count: z.number().int().min(1).optional(),
    initialDelay: durationSchema.optional(),
    /** Query window (`{{interval}}`, `{{lookback}}`; the comparison's range); default: the metric's interval. */
    lookback: positiveDurationSchema('a 0s query window holds no data; write e.g. 5m, or omit it to use the interval').optional(),
    failureLimit: z.number().int().min(0).optional(),
    consecutiveErrorLimit: z.number().int().min(0).optional(),
    inconclusiveLimit: z.number().int().min(0).optional(),
  })
  .refine((m) => (m.threshold === undefined) !== (m.comparison === undefined), {
    message: 'a metric needs exactly one of threshold or comparison',
  })
  .refine((m) => m.comparison?.method !== 'proportion' || m.samplesQuery !== undefined, {
    message: 'comparison method "proportion" needs a samplesQuery (the events the ratio is taken over, e.g. starts)',
    path: ['samplesQuery'],
  })
  .refine((m) => m.comparison !== undefined || m.samplesQuery !== undefined || m.minSamples <= 1, {
    // A threshold is an instant query: without a samplesQuery its "samples" are the values it returns, one per series
    // (one per cluster when aggregated), so minSamples 5 would never be met, or be met by five pods' series. Like
    // Kayenta's minimum it must count events; refused rather than given a meaning nobody expects.
    message:
      'minSamples counts events (e.g. workspace starts), but this threshold metric has no samplesQuery: its samples would be the series its instant query returns (one per cluster when aggregated), so minSamples above 1 would never be met (or be met only by several series); add a samplesQuery that counts the events in the window, e.g. sum(increase(starts_total{cluster="{{cluster}}"}[{{interval}}])), or remove minSamples',
    path: ['minSamples'],
  })
  .refine((m) => !m.threshold?.sequential || isProportionMetric(m), {
    message: 'threshold.sequential judges counts: the metric needs a samplesQuery (the starts the failure ratio is taken over) and must not set proportion: false',
    path: ['threshold', 'sequential'],
  })
  .superRefine((m, ctx) => {
    const problem = overlappingWindowProblem(m);
    if (problem) ctx.addIssue({ code: 'custom', path: ['query'], message: problem });
  });

/** Comparison methods judged on the points of a range query (one point per `resolution`). */
const POINT_METHODS: ReadonlySet<string> = new Set(['mann-whitney', 'ratio']);

/**
 * A point comparison's query is evaluated once per `resolution` over the lookback: `[{{interval}}]` (or
 * `[{{lookback}}]`) there makes every point cover the whole lookback, so consecutive points share most of
 * their data (5m windows every 15s overlap 95 %) and the test's α no longer holds. Refused, not warned.
 */
function overlappingWindowProblem(metric: { name?: string; query: string; comparison?: { method: string } }): string | undefined {
  if (!metric.comparison || !POINT_METHODS.has(metric.comparison.method)) return undefined;
  const used = [...metric.query.matchAll(placeholderPattern)].map((match) => match[1] ?? '').filter((name) => name === 'interval' || name === 'lookback');
  if (used.length === 0) return undefined;
  const names = [...new Set(used)].map((name) => `{{${name}}}`).join(' and ');
  const who = metric.name ? `${metric.name}: ` : '';
  return `${who}${names} in a ${metric.comparison.method} comparison query makes each point cover the whole lookback, so the compared points come from overlapping windows and are not independent; use {{window}} (or {{resolution}}), e.g. rate(x[{{window}}]), so each point covers its own resolution-long window`;
}

const prometheusSchema = z.strictObject({
  type: z.literal('prometheus'),
  url: z.url({ protocol: /^https?$/, error: 'prometheus url must be an http(s) URL' }),
  headers: z.record(z.string(), z.string()).default({}),
  /**
   * Read at each query (a projected token rotates), registered with the redactor, never logged; relative to
   * the config folder like every config path, and required to be readable at validate time like each of them:
   * found missing only at the traffic shift, it would stop a deployment whose clusters already exist.
   */
  bearerTokenFile: configPath('file', 'bearer token file').optional(),
  timeout: positiveDurationSchema('every query would abort at once; write e.g. 10s').prefault('10s'),
}).superRefine((p, ctx) => {
  for (const conflict of authConflicts(p)) ctx.addIssue({ code: 'custom', path: conflict.path, message: conflict.message });
});

/**
 * A request carries one Authorization header: credentials in the url (sent as basic auth), a
 * `bearerTokenFile` and an `Authorization` header each set it, and the provider would keep one
 * and drop the others without a word (a password that silently does nothing). Refused, naming
 * both and the fix; the credentials themselves are never shown.
 */
function authConflicts(p: { url: string; headers: Record<string, string>; bearerTokenFile?: string }): Array<{ path: string[]; message: string }> {
  let userinfo = false;
  try {
    const url = new URL(p.url);
    userinfo = url.username !== '' || url.password !== '';
  } catch {
    return []; // the url's own check reports it
  }
  const header = Object.keys(p.headers).find((name) => name.toLowerCase() === 'authorization');
  const sources = [
    ...(userinfo ? [{ path: ['url'], what: 'url carries credentials (user:password@, sent as basic auth)', fix: 'remove user:password@ from the url' }] : []),
    ...(p.bearerTokenFile !== undefined ? [{ path: ['bearerTokenFile'], what: 'bearerTokenFile is set (sent as a bearer token)', fix: 'remove bearerTokenFile' }] : []),
    ...(header !== undefined ? [{ path: ['headers', header], what: `headers.${header} is set`, fix: `remove headers.${header}` }] : []),
  ];
  if (sources.length < 2) return [];
  const [first, ...rest] = sources as [(typeof sources)[number], ...typeof sources];
  return rest.map((other) => ({
    path: other.path,
    message: `both the ${first.what} and ${other.what}, but a request sends one Authorization header, so one of them would be silently dropped; choose one: ${first.fix}, or ${other.fix}`,
  }));
}

const simulatorSchema = z.strictObject({ type: z.literal('simulator') });

const providerSchema = z.discriminatedUnion('type', [prometheusSchema, simulatorSchema]);

export const analysisSchema = z
  .strictObject({
    provider: providerSchema,
    metrics: z.array(metricSchema).min(1, 'analysis needs at least one metric'),
    failureLimit: z.number().int().min(0).default(0),
    consecutiveErrorLimit: z.number().int().min(0).default(4),
    inconclusiveLimit: z.number().int().min(0).default(0),
    /** Wait before the first measurement so the new clusters see some starts. */
    initialDelay: durationSchema.prefault('0s'),
    /** How long one step may wait for enough samples before the result is inconclusive. */
    sampleDeadline: positiveDurationSchema('every wait (too few starts yet, a late scrape) would turn inconclusive, and a new cluster not yet scraped would fail, at the first measurement; write e.g. 30m').prefault('30m'),
    /**
     * How often the metrics pipeline scrapes the clusters (Prometheus' `scrape_interval`), when known. A window
     * that spans at least 3 scrapes keeps the 2 samples rate()/increase() need even when one scrape is missed, so
     * a new cluster that reported before and has no series in such a window stopped reporting at once; unset (or a
     * shorter window), its first empty window is a gap and the second in a row decides.
     */
    scrapeInterval: positiveDurationSchema("write Prometheus' scrape_interval, e.g. 30s, or omit it when unknown").optional(),
    /**
     * First generation (no old clusters): it takes all starts at once, then its threshold gates run for this
     * long; a failure fails the deployment and leaves the clusters as they are (there is nothing to roll back to).
     */
    firstGenerationWatch: durationSchema.prefault('0s'),
  })
  .superRefine((a, ctx) => {
    const seen = new Set<string>();
    for (const [i, m] of a.metrics.entries()) {
      if (seen.has(m.name)) ctx.addIssue({ code: 'custom', path: ['metrics', i, 'name'], message: `duplicate metric name "${m.name}"` });
      seen.add(m.name);
    }
    if (a.metrics.every((m) => m.dryRun)) {
      ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'every metric is dryRun: nothing would gate the shift; make at least one decide' });
    }
    // Prometheus queries are PromQL (the simulator has its own small query language).
    if (a.provider.type === 'prometheus') {
      for (const [i, m] of a.metrics.entries()) {
        for (const field of ['query', 'samplesQuery'] as const) {
          const problem = m[field] === undefined ? undefined : promqlProblem(m[field]);
          if (problem) ctx.addIssue({ code: 'custom', path: ['metrics', i, field], message: problem });
        }
      }
    }
  });

export type MetricConfig = z.output<typeof metricSchema>;

/** True when the metric's value is a ratio of events judged as counts (see `proportion` above). */
export function isProportionMetric(metric: {
  proportion?: boolean;
  samplesQuery?: string;
  threshold?: { min?: number; max?: number };
  comparison?: { method: string };
}): boolean {
  if (metric.proportion !== undefined) return metric.proportion && metric.samplesQuery !== undefined;
  if (metric.samplesQuery === undefined) return false;
  if (metric.comparison) return metric.comparison.method === 'proportion';
  const t = metric.threshold;
  const inUnit = (v: number | undefined) => v === undefined || (v >= 0 && v <= 1);
  return t !== undefined && inUnit(t.min) && inUnit(t.max);
}
export type ProviderConfig = z.output<typeof providerSchema>;
export type AnalysisConfig = z.output<typeof analysisSchema>;
