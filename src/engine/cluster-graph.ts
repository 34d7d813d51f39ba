/**
 * The steps of one workspace cluster as a small graph. The ordered step list
 * stays the source of the safe order (shared/design.md §5); consecutive steps
 * that share a `layer` (the helm releases) run concurrently, each waiting for
 * the whole layer before it, and inside the layer only for what the config's
 * `dependsOn` declares. So: create-cluster → {gitpod, jaeger, monitoring} →
 * alive-test (waits for every release) → register-cluster.
 */
import type { DeployConfigView, Step, StepName } from '../steps/step.js';

interface ClusterGraphNode {
  step: Step;
  /** Steps of the same cluster this one waits for. */
  after: StepName[];
  /** 1-based position in the graph: one more than the deepest step it waits for. */
  stage: number;
  /** Steps of the same cluster that may run at the same time as this one (neither waits for the other). */
  alongside: StepName[];
}

/** Builds the graph for the steps in their safe order. Pure; a cycle in `dependsOn` is left to the config rule and the work graph's check. */
export function clusterStepGraph(steps: readonly Step[], config: DeployConfigView): ClusterGraphNode[] {
  const after = new Map<StepName, StepName[]>();
  let previousLayer: StepName[] = [];
  for (let i = 0; i < steps.length; ) {
    const layer = steps[i]?.layer;
    let end = i + 1;
    while (layer !== undefined && end < steps.length && steps[end]?.layer === layer) end++;
    const members = steps.slice(i, end);
    const names = members.map((s) => s.name);
    for (const step of members) {
      const inside = (step.dependsOn?.(config) ?? []).filter((n) => n !== step.name && names.includes(n));
      after.set(step.name, inside.length > 0 ? inside : previousLayer);
    }
    previousLayer = names;
    i = end;
  }
  const stage = new Map<StepName, number>();
  const stageOf = (name: StepName, seen: Set<StepName>): number => {
    const known = stage.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 1; // a cycle: reported elsewhere, never loop here
    seen.add(name);
    const value = 1 + Math.max(0, ...(after.get(name) ?? []).map((d) => stageOf(d, seen)));
    stage.set(name, value);
    return value;
  };
  const reaches = (from: StepName, to: StepName, seen = new Set<StepName>()): boolean => {
    if (seen.has(from)) return false;
    seen.add(from);
    return (after.get(from) ?? []).some((d) => d === to || reaches(d, to, seen));
  };
  return steps.map((step) => ({
    step,
    after: after.get(step.name) ?? [],
    stage: stageOf(step.name, new Set()),
    alongside: steps.filter((o) => o.name !== step.name && !reaches(step.name, o.name) && !reaches(o.name, step.name)).map((o) => o.name),
  }));
}

/** The steps nothing else waits for: what deployment-wide steps wait for. */
export function lastSteps(graph: readonly ClusterGraphNode[]): StepName[] {
  const waitedFor = new Set(graph.flatMap((n) => n.after));
  return graph.filter((n) => !waitedFor.has(n.step.name)).map((n) => n.step.name);
}
