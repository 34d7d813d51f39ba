/**
 * The `trafficShift.analysis` section: where metrics come from, which queries
 * gate each step, and how failed / erroring / inconclusive measurements are
 * counted (Argo Rollouts semantics: a limit of N tolerates N, the N+1st trips).
 */
import { z } from 'zod';
import { durationSchema } from './duration-schema.js';
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

const thresholdSchema = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .refine((t) => t.min !== undefined || t.max !== undefined, 'threshold needs min, max or both')
  .refine((t) => t.min === undefined || t.max === undefined || t.min <= t.max, 'threshold min must not exceed max');

const comparisonSchema = z
  .strictObject({
    method: z.enum(['mann-whitney', 'ratio']),
    /** 0.98 as Kayenta: the new side must differ with 98 % confidence before we call it worse. */
    confidence: z.number().gt(0.5).lt(1).default(0.98),
    /** Bound on |rank-biserial correlation| (0..1); a significant but smaller difference still passes. */
    maxEffectSize: z.number().gt(0).max(1).optional(),
    /** Bound on mean(new) / mean(old) in the bad direction (e.g. 1.5 = 50 % worse). */
    maxRatio: z.number().gt(0).optional(),
    /** Which change is bad: a failure rate that increases, a success rate that decreases, or either. */
    direction: z.enum(['increase', 'decrease', 'either']).default('increase'),
    /** Step of the range query that yields the samples. */
    resolution: durationSchema.prefault('15s'),
  })
  .refine((c) => c.method !== 'ratio' || c.maxRatio !== undefined, {
    message: 'comparison method "ratio" needs maxRatio',
    path: ['maxRatio'],
  });

/** One gate metric. Exactly one of `threshold` or `comparison`. */
export const metricSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'metric names are lowercase words joined by dashes'),
    query: queryTemplateSchema,
    threshold: thresholdSchema.optional(),
    comparison: comparisonSchema.optional(),
    /** Evaluated and reported, never decides (Argo's per-metric dry run). */
    dryRun: z.boolean().default(false),
    /** Fewer events than this on the new side → wait (up to sampleDeadline), neither pass nor fail. */
    minSamples: z.number().int().min(0).default(0),
    /** Counts events on a cluster, e.g. workspace starts in `{{interval}}`; without it samples = data points. */
    samplesQuery: queryTemplateSchema.optional(),
  })
  .refine((m) => (m.threshold === undefined) !== (m.comparison === undefined), {
    message: 'a metric needs exactly one of threshold or comparison',
  });

const prometheusSchema = z.strictObject({
  type: z.literal('prometheus'),
  url: z.url({ protocol: /^https?$/, error: 'prometheus url must be an http(s) URL' }),
  headers: z.record(z.string(), z.string()).default({}),
  /** Read at run time, registered with the redactor, never logged. */
  bearerTokenFile: z.string().min(1).optional(),
  timeout: durationSchema.prefault('10s'),
});

const simulatorSchema = z.strictObject({ type: z.literal('simulator') });

export const providerSchema = z.discriminatedUnion('type', [prometheusSchema, simulatorSchema]);

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
    sampleDeadline: durationSchema.prefault('30m'),
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
export type ProviderConfig = z.output<typeof providerSchema>;
export type PrometheusProviderConfig = z.output<typeof prometheusSchema>;
export type AnalysisConfig = z.output<typeof analysisSchema>;
