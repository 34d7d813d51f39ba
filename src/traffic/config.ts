/**
 * The `trafficShift` config section (merged into the root config by the lead).
 * Strict objects everywhere: a typo such as `intervall` is an error, not a silent default.
 * Durations are strings in the YAML and milliseconds after parsing.
 */
import * as z from 'zod';
import { envVarName, patternString } from '../config/sections/primitives.js';
import { analysisSchema, type MetricConfig } from './analysis-config.js';
import { formatDuration, parseDuration } from './duration.js';
import { literalRangeWindows } from './judges/promql-check.js';
import { mannWhitneyU } from './stats/mann-whitney.js';
import { durationSchema, positiveDurationSchema } from './duration-schema.js';

const percentSchema = z.number().int('percentages are whole numbers').min(1).max(100);

const gateSchema = z.enum(['auto', 'manual']);

/** Staff canary: uncordon behind `has-permission=<permission>` for `duration`, then drop the constraint. */
const staffStageSchema = z.strictObject({
  permission: patternString(/^[a-z0-9][a-z0-9-]*$/, 'a permission name; use lowercase letters, digits and dashes, starting with a letter or digit', 'new-workspace-cluster', 128).default('new-workspace-cluster'),
  duration: positiveDurationSchema('the staff canary would end at once; write e.g. 15m, or drop staffStage to go straight to the first step').prefault('15m'),
});

const rollbackSchema = z.strictObject({
  /** instant: one flip on every meta cluster; gradual: step back over `duration`. */
  mode: z.enum(['instant', 'gradual']).default('instant'),
  duration: positiveDurationSchema('a gradual rollback steps back over this time; write e.g. 5m, or use mode: instant to roll back in one flip').prefault('5m'),
  /** Number of steps a gradual rollback takes. */
  steps: z.number().int().min(2).max(20).default(4),
});

const retireSchema = z.strictObject({
  /** How long to wait for regular workspaces on old clusters to end before giving up. */
  drainTimeout: positiveDurationSchema('running workspaces would get no time to end, so every drain is refused; write e.g. 24h').prefault('24h'),
  destroy: z.boolean().default(false),
});

const gatesSchema = z.strictObject({
  beforeStart: gateSchema.default('auto'),
  beforeIncrease: gateSchema.default('auto'),
  beforePromotion: gateSchema.default('auto'),
  /** Destroying a cluster cannot be undone, so a human confirms unless told otherwise. */
  beforeDestroy: gateSchema.default('manual'),
});

/** Run an external job (argv, no shell) instead of the built-in shift. */
const commandSchema = z.strictObject({
  argv: z.array(z.string().min(1)).min(1, 'command.argv needs the program and its arguments'),
  env: z.record(envVarName(), z.string()).default({}),
  timeout: positiveDurationSchema('the command would be stopped as it starts; write e.g. 2h').prefault('2h'),
});

export const trafficShiftSchema = z
  .strictObject({
    /** Explicit schedule: percent of new starts per region on the new clusters. */
    steps: z.array(percentSchema).min(1).optional(),
    /** Flagger-style schedule: stepWeight, 2×stepWeight, … up to maxWeight, then 100. */
    stepWeight: percentSchema.optional(),
    maxWeight: percentSchema.optional(),
    interval: positiveDurationSchema('it is the time between measurements (and their query window); write e.g. 60s').prefault('60s'),
    /** Hold at 100 % (analysis keeps running) before the old clusters are retired. */
    bake: durationSchema.prefault('0s'),
    staffStage: staffStageSchema.optional(),
    oldClusters: z.union([z.literal('auto'), z.array(z.string().min(1)).min(1)]).default('auto'),
    analysis: analysisSchema.optional(),
    rollback: rollbackSchema.prefault({}),
    retire: retireSchema.prefault({}),
    gates: gatesSchema.prefault({}),
    command: commandSchema.optional(),
  })
  .superRefine((t, ctx) => {
    if (t.steps !== undefined && t.stepWeight !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['stepWeight'], message: 'use either steps or stepWeight/maxWeight, not both' });
    }
    if (t.maxWeight !== undefined && t.stepWeight === undefined) {
      ctx.addIssue({ code: 'custom', path: ['maxWeight'], message: 'maxWeight needs stepWeight' });
    }
    if (t.stepWeight !== undefined && t.maxWeight !== undefined && t.maxWeight < t.stepWeight) {
      ctx.addIssue({ code: 'custom', path: ['maxWeight'], message: `maxWeight ${t.maxWeight} is below stepWeight ${t.stepWeight}` });
    }
    if (t.steps) {
      for (let i = 1; i < t.steps.length; i++) {
        if ((t.steps[i] ?? 0) <= (t.steps[i - 1] ?? 0)) {
          ctx.addIssue({ code: 'custom', path: ['steps', i], message: `steps must increase: ${t.steps[i]} follows ${t.steps[i - 1]}` });
        }
      }
      // An empty list or a last step over 100 is reported at the list or the step already: once is enough.
      const last = t.steps.at(-1);
      if (last !== undefined && last < 100) {
        ctx.addIssue({ code: 'custom', path: ['steps'], message: `the last step must be 100 (got ${t.steps.at(-1)}); add 100 to finish the shift` });
      }
    }
    for (const [i, m] of (t.analysis?.metrics ?? []).entries()) {
      // The sequential test adds up the stage's counts: only disjoint windows may be added.
      const interval = m.interval ?? t.interval;
      if (m.threshold?.sequential && (m.lookback ?? interval) > interval) {
        ctx.addIssue({
          code: 'custom',
          path: ['analysis', 'metrics', i, 'lookback'],
          message: `${m.name}: threshold.sequential adds up the counts of each measurement, so its windows must not overlap, but lookback ${formatDuration(m.lookback ?? interval)} is longer than the interval ${formatDuration(interval)}; drop lookback or make it at most the interval`,
        });
      }
      const scrape = t.analysis?.provider.type === 'prometheus' ? t.analysis.scrapeInterval : undefined;
      const short = scrape === undefined ? undefined : shortWindowProblem(m, m.lookback ?? interval, scrape);
      if (short) ctx.addIssue({ code: 'custom', path: ['analysis', 'metrics', i, ...short.path], message: short.message });
      const c = m.comparison;
      if (c?.method !== 'mann-whitney') continue;
      // A test that cannot reject with the most extreme data would pass every bad cluster: refuse it up front.
      const lookback = m.lookback ?? m.interval ?? t.interval;
      const points = Math.max(1, Math.floor(lookback / c.resolution));
      const alternative = c.direction === 'either' ? 'two-sided' : 'greater';
      const best = mannWhitneyU(Array.from({ length: points }, (_, k) => points + k), Array.from({ length: points }, (_, k) => k), { alternative }).minPValue;
      // As the judge: it rejects only when p < α, so a smallest possible p of exactly α cannot reject either.
      if (best >= 1 - c.confidence) {
        ctx.addIssue({
          code: 'custom',
          path: ['analysis', 'metrics', i, 'comparison', 'resolution'],
          message: `${m.name}: ${points} point(s) per side (lookback ${formatDuration(lookback)} / resolution ${formatDuration(c.resolution)}) can never show a difference at confidence ${c.confidence} (smallest possible p ${Number(best.toPrecision(3))}); lengthen lookback or interval, or shorten resolution`,
        });
      }
    }
    if (t.command === undefined) {
      if (t.steps === undefined && t.stepWeight === undefined) {
        ctx.addIssue({ code: 'custom', path: ['steps'], message: 'give steps (e.g. [5, 25, 50, 100]) or stepWeight, or a command' });
      }
      if (t.analysis === undefined) {
        ctx.addIssue({ code: 'custom', path: ['analysis'], message: 'the built-in shift needs analysis (provider and metrics); without gates it would move traffic blind' });
      }
    }
  });

/**
 * rate()/increase() need two samples inside their window, so on real Prometheus a window shorter than two scrape
 * intervals is empty on every cluster (every point of a comparison, every instant query): a gate that always
 * errors and halts the shift. Named with the window a query actually uses: `{{window}}` (a point comparison's
 * resolution; otherwise the lookback) and `{{interval}}`/`{{lookback}}` (the lookback).
 */
export function shortWindowProblem(
  m: MetricConfig,
  lookbackMs: number,
  scrapeMs: number,
  source = '(analysis.scrapeInterval)',
  fix = '',
  unit: 'scrape' | 'evaluation' = 'scrape',
): { path: string[]; message: string } | undefined {
  const text = `${m.query}\n${m.samplesQuery ?? ''}`;
  const pointWise = m.comparison?.method === 'mann-whitney' || m.comparison?.method === 'ratio';
  const windows: Array<{ placeholder: string; ms: number; path: string[]; field: string }> = [];
  if (/\{\{\s*(window|resolution)\s*\}\}/.test(text)) {
    windows.push(pointWise && m.comparison ? { placeholder: '{{window}}', ms: m.comparison.resolution, path: ['comparison', 'resolution'], field: 'resolution' } : { placeholder: '{{window}}', ms: lookbackMs, path: ['lookback'], field: 'lookback (or interval)' });
  }
  if (/\{\{\s*(interval|lookback)\s*\}\}/.test(text)) windows.push({ placeholder: '{{interval}}', ms: lookbackMs, path: ['lookback'], field: 'lookback (or interval)' });
  const short = windows.find((w) => w.ms < 2 * scrapeMs);
  if (!short) return literalWindowProblem(m, scrapeMs, source, fix, unit);
  return {
    path: short.path,
    message: `${m.name}: its ${short.placeholder} window of ${formatDuration(short.ms)} holds fewer than two ${unit}s of ${formatDuration(scrapeMs)} ${source}, and rate()/increase() need two samples in their window: Prometheus answers nothing for every cluster; make ${short.field} at least ${formatDuration(2 * scrapeMs)} (${formatDuration(4 * scrapeMs)} keeps one missed ${unit} harmless)${fix}`,
  };
}

/**
 * The same for a window written into the query as a literal (`rate(x[5s])`): no placeholder names it, so the
 * message names the query, the window as written and the function that reads it; the fix is `{{interval}}` (the
 * metric's lookback, which the config checks) or a longer literal.
 */
function literalWindowProblem(m: MetricConfig, scrapeMs: number, source: string, fix: string, unit: 'scrape' | 'evaluation'): { path: string[]; message: string } | undefined {
  for (const field of ['query', 'samplesQuery'] as const) {
    const template = m[field];
    const short = template === undefined ? undefined : literalRangeWindows(template, parseDuration).find((w) => w.ms < 2 * scrapeMs);
    if (!short) continue;
    return {
      path: [field],
      message: `${m.name}: the window [${short.text}] written into its ${field} (read by ${short.fn}()) holds fewer than two ${unit}s of ${formatDuration(scrapeMs)} ${source}, and ${short.fn}() needs two samples in its window: Prometheus answers nothing for every cluster; write [{{interval}}] (the metric's lookback) instead, or a window of at least ${formatDuration(2 * scrapeMs)} (${formatDuration(4 * scrapeMs)} keeps one missed ${unit} harmless)${fix}`,
    };
  }
  return undefined;
}

export type TrafficShiftInput = z.input<typeof trafficShiftSchema>;
export type TrafficShiftConfig = z.output<typeof trafficShiftSchema>;

/** The schedule as explicit percentages, always ending at 100. */
export function expandSteps(config: Pick<TrafficShiftConfig, 'steps' | 'stepWeight' | 'maxWeight'>): number[] {
  if (config.steps) return [...config.steps];
  if (config.stepWeight === undefined) return [100];
  const max = config.maxWeight ?? 100;
  const out: number[] = [];
  for (let w = config.stepWeight; w <= max; w += config.stepWeight) out.push(w);
  if (out.at(-1) !== 100) out.push(100);
  return out;
}
