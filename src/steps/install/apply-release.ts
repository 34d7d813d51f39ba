/**
 * Applies one prepared release to a real cluster: observe, recover a release an
 * interrupted run left `pending-*` (when no live helm run can own it), `helm upgrade --install --atomic --wait`,
 * then wait for the release's own workloads through the Kubernetes API.
 */
import { progressReporter } from '../../core/progress.js';
import { WsdError, isWsdError } from '../../core/errors.js';
import type { BeforeStart, Helm, HelmRelease } from '../../tools/helm.js';
import { parseManifests } from '../../tools/kube/apply.js';
import { loadClusterKubeConfig } from '../../tools/kube/kube-config.js';
import { WORKLOAD_KINDS, describeWorkload, waitForRollout, type WorkloadKind, type WorkloadRef } from '../../tools/kube/rollout.js';
import type { StepContext, StepName } from '../step.js';
import { markHelmEnded, markHelmLeft, markHelmRun, pendingVerdict, rollbackTarget, type PendingVerdict } from './pending-release.js';
import { decideRelease, releaseRecord, writePrepared, type PreparedRelease, type ReleaseDecision, type ReleaseRecord } from './release.js';

interface ApplyOptions {
  /** Poll interval of the roll-out wait. */
  pollMs: number;
}

/** Deployments/DaemonSets/StatefulSets of a rendered manifest (namespace defaults to the release's). */
export function workloadsOf(manifest: string | undefined, namespace: string): WorkloadRef[] {
  if (!manifest) return [];
  return parseManifests(manifest, 'release manifest')
    .filter((o) => (WORKLOAD_KINDS as readonly string[]).includes(o.kind ?? ''))
    .map((o) => ({ kind: o.kind as WorkloadKind, name: o.metadata?.name ?? '', namespace: o.metadata?.namespace ?? namespace }));
}

function emit(ctx: StepContext, step: StepName, level: 'info' | 'warn', code: string, message: string, data?: Record<string, unknown>): void {
  ctx.sink.emit({ level, code, cluster: ctx.cluster.name, step, message, data });
}

/** Observes the release and decides (used by `check` and again by `run`, which never trusts a stale view). */
export async function observeRelease(helm: Helm, prepared: PreparedRelease): Promise<{ current?: HelmRelease; decision: ReleaseDecision }> {
  const current = await helm.status(prepared.spec.release, prepared.spec.namespace);
  return { current, decision: decideRelease(current, prepared) };
}

/**
 * Runs a mutating helm call creating `revision`, journaled right before its helm starts (what it
 * creates, and until when it may run: pending-release.ts). When the call fails or is interrupted, the
 * time its helm exited is journaled: a revision created later is not ours. When the backstop stopped
 * its helm (ToolTimeout: helm may have been in the middle of its own atomic rollback, which creates a
 * revision the mark does not name), the release as helm left it is journaled too, so the next attempt
 * recovers it as its own and still refuses a revision someone else creates afterwards.
 */
async function journaledCall<T>(
  ctx: StepContext,
  step: StepName,
  helm: Helm,
  prepared: PreparedRelease,
  command: 'upgrade' | 'rollback',
  revision: number,
  call: (beforeStart: BeforeStart) => Promise<T>,
): Promise<T> {
  let mark: Awaited<ReturnType<typeof markHelmRun>> | undefined;
  try {
    return await call(async (boundMs) => {
      mark = await markHelmRun(ctx, prepared, command, revision, boundMs);
    });
  } catch (error) {
    if (mark === undefined) throw error;
    try {
      mark = await markHelmEnded(ctx, mark);
    } catch (journaling) {
      // The call's own error is what the operator must see; without the exit time the next run bounds our helm by `until`.
      emit(ctx, step, 'warn', 'release.unjournaled', `could not journal when helm exited: ${(journaling as Error).message}`, { release: prepared.spec.release });
    }
    if (isWsdError(error) && error.code === 'ToolTimeout' && !ctx.signal?.aborted) {
      const { release, namespace } = prepared.spec;
      try {
        const left = await helm.status(release, namespace);
        if (left?.info.status.startsWith('pending-')) await markHelmLeft(ctx, mark, left);
      } catch (observing) {
        emit(ctx, step, 'warn', 'release.unobserved', `could not read what the stopped helm left of release ${release}: ${(observing as Error).message}; the next run refuses a pending revision it cannot tell as its own`, { release });
      }
    }
    throw error;
  }
}

/**
 * Brings a release left `pending-*` back to a settled state, logged as recovery,
 * once {@link pendingVerdict} found no helm run can still be working on it.
 * Returns the release's latest revision afterwards (0: it no longer exists).
 */
async function recover(
  ctx: StepContext,
  step: StepName,
  helm: Helm,
  prepared: PreparedRelease,
  decision: Extract<ReleaseDecision, { action: 'recover-uninstall' | 'recover-rollback' }>,
  current: HelmRelease,
  why: string,
): Promise<number> {
  const { release, namespace, timeoutSeconds } = prepared.spec;
  if (decision.action === 'recover-uninstall') {
    emit(ctx, step, 'warn', 'release.recover', `${decision.reason}; safe to recover: ${why}; uninstalling it before installing again`, { release, action: 'uninstall', revision: current.version });
    await helm.uninstall(release, namespace, timeoutSeconds, current);
    return 0;
  }
  const target = rollbackTarget(await helm.history(release, namespace), current.version);
  if (!target) {
    emit(ctx, step, 'warn', 'release.recover', `${decision.reason} and has no earlier deployed revision; safe to recover: ${why}; uninstalling it before installing again`, {
      release,
      action: 'uninstall',
      revision: current.version,
    });
    await helm.uninstall(release, namespace, timeoutSeconds, current);
    return 0;
  }
  emit(ctx, step, 'warn', 'release.recover', `${decision.reason}; safe to recover: ${why}; rolling back to revision ${target.revision}, the last deployed one`, {
    release,
    action: 'rollback',
    from: current.version,
    to: target.revision,
  });
  // Journaled as helm starts: if this rollback is interrupted in turn, its pending revision is ours.
  await journaledCall(ctx, step, helm, prepared, 'rollback', current.version + 1, (beforeStart) => helm.rollback(release, namespace, target.revision, timeoutSeconds, current, beforeStart));
  return current.version + 1;
}

/** Whether the pending release may be recovered now (shared by the pre-run check and run). */
export function pendingVerdictFor(ctx: StepContext, helm: Helm, kubeconfig: string, prepared: PreparedRelease, current: HelmRelease): Promise<PendingVerdict> {
  const { release, namespace } = prepared.spec;
  return pendingVerdict({ ctx, prepared, current, kubeconfig, history: () => helm.history(release, namespace), hooksAt: (revision) => helm.hooksAt(release, namespace, revision) });
}

/** Installs or upgrades the release (or skips it when unchanged) and waits for its workloads. */
export async function applyRelease(ctx: StepContext, step: StepName, helm: Helm, kubeconfig: string, prepared: PreparedRelease, options: ApplyOptions): Promise<ReleaseRecord> {
  const { release, namespace, timeoutSeconds } = prepared.spec;
  const { current, decision } = await observeRelease(helm, prepared);
  if (decision.action === 'skip') {
    emit(ctx, step, 'info', 'release.skip', decision.evidence, { release, digest: prepared.digest });
    return releaseRecord(prepared, 'unchanged', current);
  }
  let latest = current?.version ?? 0;
  if ((decision.action === 'recover-uninstall' || decision.action === 'recover-rollback') && current) {
    const verdict = await pendingVerdictFor(ctx, helm, kubeconfig, prepared, current);
    if (!verdict.safe) throw new WsdError('PreCheckRefused', verdict.reason, { details: { release, namespace, status: current.info.status, revision: current.version } });
    latest = await recover(ctx, step, helm, prepared, decision, current, verdict.why);
  }
  writePrepared(prepared);
  emit(ctx, step, 'info', decision.action === 'install' ? 'release.install' : 'release.upgrade', `${decision.reason}: running helm upgrade --install`, {
    release,
    chart: prepared.spec.chart.name,
    version: prepared.spec.chart.version,
    digest: prepared.digest,
    valuesFiles: prepared.spec.valuesFiles,
  });
  // Journaled as helm starts: a resume that finds this revision pending knows it was this step's own run.
  const deployed = await journaledCall(ctx, step, helm, prepared, 'upgrade', latest + 1, (beforeStart) => helm.upgradeInstall(prepared.spec, current, beforeStart));
  if (deployed.info?.status !== 'deployed') {
    throw new WsdError('StepFailed', `helm reported release ${release} as ${deployed.info?.status ?? 'unknown'} after upgrade --install; inspect it with helm history ${release} -n ${namespace}`);
  }

  const workloads = workloadsOf(deployed.manifest, namespace);
  if (workloads.length > 0) {
    const kc = await loadClusterKubeConfig(kubeconfig);
    // The sub-phase `status --watch` shows for this cluster (journaled, throttled).
    const progress = progressReporter({ sink: ctx.sink, cluster: ctx.cluster.name, step });
    progress.report(rolloutsText(release, workloads.length));
    const states = await waitForRollout(kc, workloads, {
      timeoutMs: timeoutSeconds * 1000,
      pollMs: options.pollMs,
      signal: ctx.signal,
      onObserve: (observed) => {
        const waiting = observed.filter((o) => !o.ready).length;
        progress.report(rolloutsText(release, waiting), { final: waiting === 0 });
        ctx.sink.emit({
          level: 'debug',
          code: 'release.rollout',
          cluster: ctx.cluster.name,
          step,
          message: observed.map(describeWorkload).join('; '),
        });
      },
    });
    emit(ctx, step, 'info', 'release.ready', `release ${release}: ${states.length} workloads rolled out`, { release, workloads: states.length });
  }
  return releaseRecord(prepared, 'deployed', deployed);
}

/** `helm gitpod: waiting for 3 rollouts`, `helm gitpod: rollouts done`. */
export function rolloutsText(release: string, waiting: number): string {
  return waiting === 0 ? `helm ${release}: rollouts done` : `helm ${release}: waiting for ${waiting} rollout${waiting === 1 ? '' : 's'}`;
}
