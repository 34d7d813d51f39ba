/**
 * What `plan` shows for the traffic shift, before anything moves: per step and
 * region the scores and the shares they give, the minimum time to promotion and
 * the worst-case time from a bad signal to rollback. Pure: `plan` makes no
 * calls, so old clusters appear as one stand-in per prefix (`eu*`, the current
 * generation at score 100); the run resolves the real ones.
 */
import { formatDuration } from '../../traffic/duration.js';
import type { TrafficShiftConfig } from '../../traffic/config.js';
import type { ScoreCluster } from '../../traffic/scores.js';
import { describeJudging } from '../../traffic/judging-plan.js';
import { buildTimeline, type ShiftTimeline } from '../../traffic/timeline.js';
import type { ClusterTarget, DeploymentPlanContext, PlannedAction } from '../step.js';

/** Score clusters for the plan: the new clusters plus one stand-in old cluster per prefix. */
function planClusters(clusters: readonly ClusterTarget[]): ScoreCluster[] {
  const news: ScoreCluster[] = clusters.map((c) => ({ name: c.shortName, role: 'new', region: c.region, state: 'CORDONED', score: 100, maxScore: 100, constraintSet: '' }));
  const prefixes = new Map(clusters.map((c) => [c.prefix, c.region]));
  const olds: ScoreCluster[] = [...prefixes].map(([prefix, region]) => ({ name: `${prefix}*`, role: 'old', region, state: 'AVAILABLE', score: 100, maxScore: 100, constraintSet: '' }));
  return [...news, ...olds];
}

export function planTimeline(config: TrafficShiftConfig, clusters: readonly ClusterTarget[]): ShiftTimeline {
  return buildTimeline(config, planClusters(clusters));
}

const d = (ms: number) => formatDuration(ms);

/** The deployment-wide plan of the shift. */
export function describeShift(ctx: DeploymentPlanContext, config: TrafficShiftConfig): PlannedAction[] {
  const news = ctx.clusters.map((c) => c.shortName).join(', ');
  const oldSetting = config.oldClusters === 'auto' ? `auto: the other clusters registered with prefix ${[...new Set(ctx.clusters.map((c) => c.prefix))].join(', ')} (eu* below)` : config.oldClusters.join(', ');
  if (config.command) {
    return [
      { kind: 'note', description: `new clusters ${news}; old clusters ${oldSetting}` },
      { kind: 'command', description: 'traffic shift by an external command (trafficShift.command)', argv: [...config.command.argv], data: { timeoutMs: config.command.timeout } },
    ];
  }
  const t = planTimeline(config, ctx.clusters);
  const actions: PlannedAction[] = [
    { kind: 'check', description: `List on every meta cluster (${ctx.config.metaClusters.map((m) => m.name).join(', ')}): new clusters ${news} registered; old clusters ${oldSetting}; save their scores before the first change` },
  ];
  const intervals = realIntervalCheck(config);
  if (intervals) actions.push(intervals);
  if (t.staffStageMs > 0) actions.push({ kind: 'wait', description: `staff stage: new clusters uncordoned for holders of ${config.staffStage?.permission} only, ${d(t.staffStageMs)}` });
  for (const step of t.steps) {
    const regions = step.regions.map((r) => `${r.region}: ${r.assignments.map((a) => `${a.name}=${a.score ?? '-'}`).join(' ')} → ${r.effectivePercent} % new`).join('; ');
    actions.push({
      kind: 'call',
      description: `step ${step.index + 1}/${t.steps.length} at +${d(step.startsAtMs)}: ${step.percent} % of new starts on the new clusters (${regions}); measure every ${d(t.tickMs)}; ends at the earliest at +${d(step.endsAtMs)}; judged: ${describeJudging(config.analysis, { kind: 'step', percent: step.percent })}`,
      data: { percent: step.percent, startsAtMs: step.startsAtMs, endsAtMs: step.endsAtMs, regions: step.regions },
    });
  }
  if (config.bake > 0) actions.push({ kind: 'wait', description: `bake at 100 % for ${d(config.bake)}, ends at the earliest at +${d(t.bakeEndsAtMs)}; judged: ${describeJudging(config.analysis, { kind: 'bake' })}` });
  const gates = Object.entries(config.gates).filter(([, v]) => v === 'manual').map(([k]) => k);
  if (config.analysis) {
    const delay = t.initialDelayMs > 0 ? ` (the first step after the initialDelay of ${d(t.initialDelayMs)})` : '';
    actions.push({ kind: 'note', description: `a stage ends at the first measurement (every ${d(t.tickMs)}${delay}) at which every deciding metric has had its passing measurements in the stage: ${t.stageNeeds.join('; ')} — at the least ${t.ticksPerStage} measurement${t.ticksPerStage === 1 ? '' : 's'} per stage` });
  }
  actions.push(
    { kind: 'note', description: `full traffic at the earliest after ${d(t.minTimeToFullMs)}, promotion (old clusters cordoned) after ${d(t.minTimeToPromotionMs)}${config.bake > 0 ? ` including a bake of ${d(config.bake)}` : ''}` },
    {
      kind: 'note',
      description: `worst case from a bad signal to rollback: ${d(t.worstCaseToRollbackMs)} (failing metric ${d(t.detection.failingMetricMs)}, broken metrics ${d(t.detection.brokenMetricsMs)}, a cluster that stops reporting ${d(t.detection.stoppedReportingMs)}, one that never reports ${d(t.detection.silentClusterMs)}; rollback ${config.rollback.mode}${t.rollbackMs > 0 ? ` over ${d(t.rollbackMs)}` : ''})`,
      data: { ...t.detection, worstCaseToRollbackMs: t.worstCaseToRollbackMs },
    },
    ...t.notes.map((n): PlannedAction => ({ kind: 'note', description: n })),
  );
  if (gates.length > 0) actions.push({ kind: 'note', description: `manual gates: ${gates.join(', ')} (approve with --yes, or while it waits with \`shift resume\` and the id the run prints)` });
  return actions;
}

/**
 * `plan` asks no server, so the gate windows it let through were checked against `analysis.scrapeInterval` only
 * (nothing without it). Said, with what the run checks before the first change (traffic-shift-step.ts,
 * scrape-interval-check.ts), so a plan that passes is not taken for windows Prometheus can fill.
 */
function realIntervalCheck(config: TrafficShiftConfig): PlannedAction | undefined {
  const analysis = config.analysis;
  if (analysis?.provider.type !== 'prometheus') return undefined;
  const here =
    analysis.scrapeInterval === undefined
      ? 'this plan checked no gate window against a scrape interval (analysis.scrapeInterval is not set)'
      : `this plan checked the gate windows against analysis.scrapeInterval (${d(analysis.scrapeInterval)}) only`;
  return {
    kind: 'check',
    description: `${here}; before the first registry change the run reads the real interval from Prometheus (the scrape interval of the targets exposing each gate's series, or the evaluation interval of the recording rules writing them) and refuses the shift for a window shorter than two of them; where it cannot be read (federated or remote-written series, an endpoint not served) it warns and goes on with the windows checked here`,
  };
}

/** One cluster's score at every stage of the shift. */
export function describeShiftCluster(ctx: DeploymentPlanContext, config: TrafficShiftConfig, cluster: ClusterTarget): PlannedAction[] {
  if (config.command) return [{ kind: 'note', description: `traffic shift by the external command ${config.command.argv[0]}` }];
  const t = planTimeline(config, ctx.clusters);
  const stages = t.steps.map((s) => {
    const region = s.regions.find((r) => r.region === cluster.region);
    const a = region?.assignments.find((x) => x.name === cluster.shortName);
    return { percent: s.percent, score: a?.score, share: a ? Math.round(a.share * 10_000) / 100 : 0 };
  });
  return [
    {
      kind: 'call',
      description: `traffic shift: score ${stages.map((s) => `${s.score ?? '-'} (${s.share} %)`).join(' → ')} at steps ${stages.map((s) => `${s.percent} %`).join(', ')}; uncordoned at the first step, cordoned again on rollback`,
      data: { stages },
    },
  ];
}
