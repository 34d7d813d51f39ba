/**
 * Rollout status of Deployments, DaemonSets and StatefulSets, judged the way
 * `kubectl rollout status` judges them, read through the Kubernetes API of the
 * cluster's own kubeconfig. When a workload is not ready we look at its pods
 * for the reason (ImagePullBackOff, CrashLoopBackOff, Unschedulable…), so a
 * failure names what is wrong instead of "timed out".
 */
import type {
  KubeConfig,
  V1DaemonSet,
  V1Deployment,
  V1LabelSelector,
  V1Pod,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { kubeModule } from './kube-module.js';
import { WsdError } from '../../core/errors.js';
import { runningClock } from '../../core/job-pause.js';
import { sleep } from '../../core/sleep.js';
import { kubeError, withDeadline } from './kube-config.js';

export type WorkloadKind = 'Deployment' | 'DaemonSet' | 'StatefulSet';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'DaemonSet', 'StatefulSet'];

export interface WorkloadRef {
  kind: WorkloadKind;
  name: string;
  namespace: string;
}

/** What we observed about one workload. */
interface WorkloadState extends WorkloadRef {
  ready: boolean;
  /** e.g. "0/1 ready". */
  summary: string;
  /** Why it is not ready, from the workload's conditions or its pods. */
  reason?: string;
}

interface Judgement {
  ready: boolean;
  summary: string;
  reason?: string;
}

function staleGeneration(meta: { generation?: number } | undefined, observed: number | undefined): boolean {
  return meta?.generation !== undefined && (observed ?? 0) < meta.generation;
}

/** kubectl's DeploymentStatusViewer. */
function judgeDeployment(d: V1Deployment): Judgement {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const available = s.availableReplicas ?? 0;
  const summary = `${s.readyReplicas ?? 0}/${want} ready`;
  if (staleGeneration(d.metadata, s.observedGeneration)) return { ready: false, summary, reason: 'waiting for the controller to observe the new spec' };
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { ready: false, summary, reason: 'ProgressDeadlineExceeded' };
  if ((s.updatedReplicas ?? 0) < want) return { ready: false, summary, reason: `${s.updatedReplicas ?? 0}/${want} updated` };
  if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0)) return { ready: false, summary, reason: 'old replicas are pending termination' };
  if (available < (s.updatedReplicas ?? 0)) return { ready: false, summary };
  return { ready: true, summary };
}

/** kubectl's DaemonSetStatusViewer (OnDelete daemon sets are not rolled out by the controller). */
function judgeDaemonSet(ds: V1DaemonSet): Judgement {
  const s = ds.status ?? { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
  const summary = `${s.numberReady}/${s.desiredNumberScheduled} ready`;
  if (ds.spec?.updateStrategy?.type === 'OnDelete') return { ready: true, summary };
  if (staleGeneration(ds.metadata, s.observedGeneration)) return { ready: false, summary, reason: 'waiting for the controller to observe the new spec' };
  if ((s.updatedNumberScheduled ?? 0) < s.desiredNumberScheduled) {
    return { ready: false, summary, reason: `${s.updatedNumberScheduled ?? 0}/${s.desiredNumberScheduled} updated` };
  }
  if ((s.numberAvailable ?? 0) < s.desiredNumberScheduled) return { ready: false, summary };
  return { ready: true, summary };
}

/** kubectl's StatefulSetStatusViewer. */
function judgeStatefulSet(sts: V1StatefulSet): Judgement {
  const want = sts.spec?.replicas ?? 1;
  const s = sts.status ?? { replicas: 0 };
  const summary = `${s.readyReplicas ?? 0}/${want} ready`;
  if (sts.spec?.updateStrategy?.type === 'OnDelete') return { ready: true, summary };
  if (staleGeneration(sts.metadata, s.observedGeneration)) return { ready: false, summary, reason: 'waiting for the controller to observe the new spec' };
  if ((s.readyReplicas ?? 0) < want) return { ready: false, summary };
  const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  if (partition > 0) {
    return (s.updatedReplicas ?? 0) < want - partition ? { ready: false, summary, reason: 'partitioned roll out in progress' } : { ready: true, summary };
  }
  if (s.updateRevision !== s.currentRevision) return { ready: false, summary, reason: `${s.updatedReplicas ?? 0}/${want} updated` };
  return { ready: true, summary };
}

/** The most telling reason a pod is not ready, or undefined. */
function podProblem(pod: V1Pod): string | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const c of statuses) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && waiting.reason !== 'ContainerCreating' && waiting.reason !== 'PodInitializing') {
      return `${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
    }
    const terminated = c.state?.terminated ?? c.lastState?.terminated;
    if (terminated && terminated.exitCode !== 0 && !c.ready) return `${terminated.reason ?? 'Error'} (container ${c.name} exit code ${terminated.exitCode})`;
  }
  const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled) return `${unscheduled.reason ?? 'Unschedulable'}${unscheduled.message ? ` (${unscheduled.message})` : ''}`;
  for (const c of statuses) if (c.state?.waiting?.reason) return c.state.waiting.reason;
  if (pod.status?.phase && pod.status.phase !== 'Running' && pod.status.phase !== 'Succeeded') return `pod ${pod.status.phase}`;
  return undefined;
}

/**
 * A workload's label selector in the API's query syntax: `matchLabels` as `k=v`,
 * `matchExpressions` as set-based requirements (`k in (a,b)`, `k notin (a,b)`,
 * `k`, `!k`), all ANDed (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/).
 * Undefined when the selector is empty (a workload always has one; an empty one would match every pod).
 */
export function selectorString(selector: V1LabelSelector | undefined): string | undefined {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const expression of selector?.matchExpressions ?? []) {
    const values = (expression.values ?? []).join(',');
    switch (expression.operator) {
      case 'In':
        parts.push(`${expression.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${expression.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(expression.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${expression.key}`);
        break;
      default:
        throw new WsdError('KubernetesError', `label selector operator ${expression.operator} of key ${expression.key} is not one of In, NotIn, Exists, DoesNotExist`);
    }
  }
  return parts.length > 0 ? parts.join(',') : undefined;
}

/** One-line description for logs and errors: "deployment ws-manager: 0/1 ready, reason ImagePullBackOff". */
export function describeWorkload(state: WorkloadState): string {
  return `${state.kind.toLowerCase()} ${state.name}: ${state.summary}${state.reason ? `, reason ${state.reason}` : ''}`;
}

const CALL_MS = 30_000;

/** Reads the current state of workloads: all of a namespace, or the given ones. */
export async function observeWorkloads(kc: KubeConfig, target: { namespace: string } | readonly WorkloadRef[]): Promise<WorkloadState[]> {
  const { AppsV1Api, CoreV1Api } = await kubeModule();
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const namespaces = Array.isArray(target) ? [...new Set(target.map((r) => r.namespace))] : [(target as { namespace: string }).namespace];
  const states: Array<WorkloadState & { selector?: string }> = [];
  for (const namespace of namespaces) {
    try {
      const [deployments, daemonSets, statefulSets] = await Promise.all([
        withDeadline(apps.listNamespacedDeployment({ namespace }), CALL_MS, `listing deployments in ${namespace}`),
        withDeadline(apps.listNamespacedDaemonSet({ namespace }), CALL_MS, `listing daemonsets in ${namespace}`),
        withDeadline(apps.listNamespacedStatefulSet({ namespace }), CALL_MS, `listing statefulsets in ${namespace}`),
      ]);
      const add = (kind: WorkloadKind, name: string | undefined, judged: Judgement, selector: V1LabelSelector | undefined): void => {
        states.push({ kind, name: name ?? '?', namespace, ...judged, selector: selectorString(selector) });
      };
      for (const d of deployments.items) add('Deployment', d.metadata?.name, judgeDeployment(d), d.spec?.selector);
      for (const d of daemonSets.items) add('DaemonSet', d.metadata?.name, judgeDaemonSet(d), d.spec?.selector);
      for (const d of statefulSets.items) add('StatefulSet', d.metadata?.name, judgeStatefulSet(d), d.spec?.selector);
    } catch (error) {
      throw kubeError(error, `reading workloads in namespace ${namespace}`);
    }
  }
  let result = states;
  if (Array.isArray(target)) {
    result = (target as readonly WorkloadRef[]).map(
      (ref) =>
        states.find((s) => s.kind === ref.kind && s.name === ref.name && s.namespace === ref.namespace) ?? {
          ...ref,
          ready: false,
          summary: 'not found',
        },
    );
  }
  for (const state of result) {
    const selector = (state as { selector?: string }).selector;
    if (state.ready || !selector) continue;
    try {
      const pods = await withDeadline(core.listNamespacedPod({ namespace: state.namespace, labelSelector: selector }), CALL_MS, `listing pods of ${state.name}`);
      const problem = pods.items.map(podProblem).find((p) => p !== undefined);
      if (problem) state.reason = problem;
    } catch (error) {
      throw kubeError(error, `reading pods of ${state.kind.toLowerCase()} ${state.name}`);
    }
  }
  return result.map(({ kind, name, namespace, ready, summary, reason }) => ({ kind, name, namespace, ready, summary, ...(reason ? { reason } : {}) }));
}

interface WaitOptions {
  timeoutMs: number;
  pollMs: number;
  signal?: AbortSignal;
  /** Called after each observation (for progress events). */
  onObserve?: (states: WorkloadState[]) => void;
}

/**
 * Polls until every workload is rolled out. On timeout throws `KubernetesError`
 * naming each workload still not ready with its last observed state.
 */
export async function waitForRollout(kc: KubeConfig, target: { namespace: string } | readonly WorkloadRef[], options: WaitOptions): Promise<WorkloadState[]> {
  // Running time: a Ctrl-Z longer than the timeout must not fail the wait at `fg` after one more look.
  const clock = runningClock();
  const deadline = clock() + options.timeoutMs;
  let last: WorkloadState[] = [];
  let lastError: WsdError | undefined;
  while (true) {
    try {
      last = await observeWorkloads(kc, target);
      lastError = undefined;
      options.onObserve?.(last);
      if (last.every((s) => s.ready)) return last;
    } catch (error) {
      lastError = kubeError(error, 'observing the roll out');
      if (!lastError.transient) throw lastError;
    }
    if (clock() + options.pollMs > deadline) break;
    await sleep(options.pollMs, options.signal);
  }
  const pending = last.filter((s) => !s.ready).map(describeWorkload);
  const detail = lastError ? lastError.message : pending.join('; ');
  throw new WsdError('KubernetesError', `workloads did not roll out within ${Math.round(options.timeoutMs / 1000)} s: ${detail}`, {
    transient: lastError?.transient ?? false,
    details: { pending: last.filter((s) => !s.ready) },
  });
}
