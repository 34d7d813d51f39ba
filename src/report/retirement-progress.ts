/**
 * Where each old cluster stands after a retirement that stopped part-way (failed, interrupted, refused at a drain
 * timeout): which were already deregistered and destroyed, which are still registered (and where) and still exist.
 * Said from the retire step's journaled progress (its checkpoint, written after each cordon, deregistration and
 * destroy: steps/retire/retire-cluster.ts), so `status` (text and JSON), the report and the final webhook say it in
 * these same words; the step's error names only the one thing that failed.
 */
import type { Snapshot } from '../state/model.js';
import { arr, isObject, str } from './journal-reading.js';

export interface OldClusterState {
  name: string;
  /** Meta clusters it was deregistered from. */
  deregisteredFrom: string[];
  /** Meta clusters whose registry still has it (cordoned where the retirement got that far). */
  registeredOn: string[];
  /** `destroyed`; `destroy-started` (a terraform destroy began and did not finish: it may exist in part); `exists`. */
  cluster: 'destroyed' | 'destroy-started' | 'exists';
  /** The same, in words: `deregistered and destroyed`, `cordoned, still registered on meta-eu; not destroyed: it still exists`. */
  words: string;
}

export interface RetirementProgress {
  clusters: OldClusterState[];
  /** One line for every reader: `retirement of the old clusters stopped part-way: eu90 …; us90 …`. */
  line: string;
}

const strings = (v: unknown): string[] => arr(v).flatMap((x) => (typeof x === 'string' ? [x] : []));

/** Undefined unless the retirement began and did not end (succeeded or skipped: the step's own outputs say it). */
export function retirementProgress(snap: Snapshot): RetirementProgress | undefined {
  const step = (snap.deploymentSteps ?? []).find((s) => s.name === 'retire-old-clusters');
  if (!step || step.state === 'succeeded' || step.state === 'skipped') return undefined;
  const checkpoint = step.checkpoint ?? {};
  const progress = isObject(checkpoint.progress) ? checkpoint.progress : {};
  const planned = isObject(checkpoint.clusters) ? arr(checkpoint.clusters.oldClusters).flatMap((c) => (isObject(c) && str(c.name) ? [str(c.name)!] : [])) : [];
  const names = [...new Set([...planned, ...Object.keys(progress)])];
  // Nothing was touched yet (stopped at its gate or its checks): every old cluster stands as the shift left it.
  if (Object.keys(progress).length === 0) return undefined;
  // Every meta cluster the shift worked on, where the journal has them: one the retirement did not reach still registers it.
  const shiftOutputs = (snap.deploymentSteps ?? []).find((s) => s.name === 'traffic-shift')?.outputs ?? {};
  const metas = strings(shiftOutputs.metas);
  const clusters = names.map((name) => oldClusterState(name, isObject(progress[name]) ? progress[name] : {}, metas));
  return { clusters, line: `retirement of the old clusters stopped part-way: ${clusters.map((c) => `${c.name} ${c.words}`).join('; ')}` };
}

function oldClusterState(name: string, p: Record<string, unknown>, metas: readonly string[]): OldClusterState {
  const deregisteredFrom = strings(p.deregistered);
  const cordoned = strings(p.cordoned);
  // Each meta ends the cordon pass cordoned or (unknown there) deregistered; the ones not deregistered still have it.
  const registeredOn = [...new Set([...metas, ...cordoned])].filter((m) => !deregisteredFrom.includes(m));
  const cluster = p.destroyed === true ? 'destroyed' : p.destroyStarted === true ? 'destroy-started' : 'exists';
  const manual = strings(p.manual);
  const registry =
    registeredOn.length === 0
      ? deregisteredFrom.length > 0 || p.done === true
        ? 'deregistered'
        : 'untouched, still registered'
      : `${registeredOn.every((m) => cordoned.includes(m)) ? 'cordoned, ' : ''}still registered on ${registeredOn.join(', ')}${deregisteredFrom.length ? ` (deregistered from ${deregisteredFrom.join(', ')})` : ''}`;
  const exists =
    cluster === 'destroyed'
      ? 'destroyed'
      : cluster === 'destroy-started'
        ? 'its terraform destroy began and did not finish: it may exist in part'
        : `not destroyed: it still exists${manual.length ? ` (destroy it by hand: ${manual.join(' ')})` : ''}`;
  return { name, deregisteredFrom, registeredOn, cluster, words: cluster === 'destroyed' && registry === 'deregistered' ? 'deregistered and destroyed' : `${registry}; ${exists}` };
}
