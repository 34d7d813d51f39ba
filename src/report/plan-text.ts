/** The human form of a plan: per cluster, the ordered steps and what each would do. */
import type { PlanDocument, PlanStep } from '../plan/build-plan.js';

/** Why a step would not run, as a suffix of its line. */
function notRun(step: PlanStep): string {
  if (step.excluded === 'held') return ' (held back behind a step left out; `resume` runs it after that one)';
  if (step.excluded) return ` (excluded by ${step.excluded})`;
  return step.applies ? '' : ' (not applicable)';
}

/**
 * Which steps of the cluster's graph run with this one, and what it waits for when that is
 * not simply every step of the stage before (a join, or a declared `dependsOn`).
 */
function together(step: PlanStep, steps: readonly PlanStep[]): string {
  const parts: string[] = [];
  if (step.alongside?.length) parts.push(`runs together with ${step.alongside.join(', ')}`);
  const previous = steps.filter((s) => s.stage !== undefined && s.stage === (step.stage ?? 0) - 1).map((s) => s.name);
  const after = step.after ?? [];
  if (after.length > 1 || after.some((a) => !previous.includes(a))) parts.push(`after ${after.join(', ')}`);
  return parts.length ? `  [${parts.join('; ')}]` : '';
}

/** Why `deploy` would stop before the steps below, and what to run instead: said first and last, not to be missed. */
function refusalLines(plan: PlanDocument): string[] {
  const r = plan.refusal;
  if (!r) return [];
  if (r.damaged) {
    // Its journal says nothing past the damage: the fix (deploy's message has it, as `status` says it), never a `resume` that refuses.
    return [
      `DEPLOY WOULD BE REFUSED (${r.code}, exit 3)${r.deploymentId ? `: deployment ${r.deploymentId}` : ''}, whose journal is damaged`,
      `  ${r.message}`,
      ...r.commands.map((c) => `  or start a new deployment beside it: ${c}`),
    ];
  }
  const what = r.code === 'LockHeld' ? 'follow it' : 'continue it';
  const [first, ...rest] = r.commands;
  return [
    `DEPLOY WOULD BE REFUSED (${r.code}, exit 3)${r.deploymentId ? `: deployment ${r.deploymentId} (${r.state ?? '?'})` : ''}`,
    `  ${r.message}`,
    ...(first ? [`  ${r.deploymentId ? what : 'instead'}: ${first}`] : []),
    ...rest.map((c) => `  or start a new deployment beside it: ${c}`),
  ];
}

export function renderPlan(plan: PlanDocument): string {
  const refusal = refusalLines(plan);
  const lines = [`plan for ${plan.environment} (project ${plan.project}), cluster id ${plan.clusterId} (${plan.clusterIdSource === 'flag' ? 'from --cluster-id' : 'the next free id, as deploy would take it now'})`];
  if (refusal.length > 0) lines.push('', ...refusal);
  for (const c of plan.clusters) {
    lines.push('', `${c.name} (${c.shortName}, ${c.region}, ${c.type}, governed by ${c.governedBy})`);
    c.steps.forEach((s, i) => {
      lines.push(`  ${s.stage ?? i + 1}. ${s.name}${notRun(s)}${together(s, c.steps)}`);
      for (const a of s.actions) {
        const what = a.argv ? `$ ${a.argv.join(' ')}` : a.path ? `${a.description}: ${a.path}` : a.description;
        lines.push(`       ${a.kind.padEnd(7)} ${what}`);
      }
    });
  }
  for (const s of plan.deploymentSteps) {
    lines.push('', `deployment-wide: ${s.name}${notRun(s)}`);
    for (const a of s.actions) lines.push(`       ${a.kind.padEnd(7)} ${a.argv ? `$ ${a.argv.join(' ')}` : a.description}`);
  }
  if (refusal.length > 0) lines.push('', `${refusal[0] ?? ''}: the steps above would not run`);
  return `${lines.join('\n')}\n`;
}
