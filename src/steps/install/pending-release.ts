/**
 * Whether a release found `pending-*` may be recovered (rolled back or
 * uninstalled) without breaking a helm run that is still live. Helm marks a
 * release pending for the whole of an install/upgrade/rollback, so a pending
 * release is either left behind by a run that died or being worked on right now
 * by another operator or CI job; recovering the latter would roll back (or
 * delete) under it. It is safe when the pending revision is the one this step's
 * own interrupted attempt created (journaled right before every mutating helm call
 * starts, with the span that call could run in, and created within it; if that
 * attempt's helm outlived a killed run, the step runner has waited for it to exit
 * before this step runs again: tools/child-journal.ts), or the rollback helm's own
 * atomic upgrade started in that span, or when it is older than any live helm run
 * can be, or when the operator says so with --overwrite.
 */
import type { HelmRelease, HelmRevision } from '../../tools/helm.js';
import { abandonedAfterSeconds, hookRuns, upgradeHookRuns, type HookList } from '../../tools/helm-deadline.js';
import type { StepContext } from '../step.js';
import type { PreparedRelease } from './release.js';

/** The checkpoint key under which the step journals a mutating helm call before running it. */
const HELM_RUN_KEY = 'helmRun';

/** What the step journals right before `helm upgrade --install` or `helm rollback`. */
interface HelmRunMark {
  release: string;
  namespace: string;
  command: 'upgrade' | 'rollback';
  /** The revision this call creates (and leaves pending if it is interrupted). */
  revision: number;
  startedAt: string;
  /**
   * The latest its helm could run: startedAt plus its backstop and kill grace. With {@link endedAt}, the
   * span in which a revision this call made was created (helm stamps `last_deployed` with this host's
   * clock, the one these times are read from): a revision created outside it is someone else's.
   * Absent in marks journaled before 2026-12-05.
   */
  until?: string;
  /** When its helm exited, journaled when the call failed or was interrupted while this CLI lived on. */
  endedAt?: string;
  /**
   * The release as this call left it when the backstop stopped its helm: a later revision than
   * `revision` when helm was stopped in its own atomic rollback (it creates revision + 1,
   * `pending-rollback`), which only this observation tells from an operator's rollback.
   */
  left?: { revision: number; status: string; at: string };
}

/**
 * Journals that this step is about to run a helm call creating `revision`, which may run `boundMs` at
 * most (called right before helm starts); returns the mark.
 */
export async function markHelmRun(ctx: StepContext, prepared: PreparedRelease, command: HelmRunMark['command'], revision: number, boundMs: number): Promise<HelmRunMark> {
  const now = Date.now();
  const mark: HelmRunMark = { release: prepared.spec.release, namespace: prepared.spec.namespace, command, revision, startedAt: new Date(now).toISOString(), until: new Date(now + boundMs).toISOString() };
  await ctx.checkpoint({ [HELM_RUN_KEY]: mark });
  return mark;
}

/** Journals when the helm of `mark` exited (it failed or was interrupted; runTool returns only once helm has exited). */
export async function markHelmEnded(ctx: StepContext, mark: HelmRunMark): Promise<HelmRunMark> {
  const entry: HelmRunMark = { ...mark, endedAt: new Date().toISOString() };
  await ctx.checkpoint({ [HELM_RUN_KEY]: entry });
  return entry;
}

/**
 * Journals the pending revision a helm call of this step left when it was stopped (its helm has
 * exited: runTool returns only then), so the next attempt recovers it as its own.
 */
export async function markHelmLeft(ctx: StepContext, mark: HelmRunMark, left: HelmRelease): Promise<void> {
  const entry: HelmRunMark = { ...mark, left: { revision: left.version, status: left.info.status, at: new Date().toISOString() } };
  await ctx.checkpoint({ [HELM_RUN_KEY]: entry });
}

/**
 * After how long a pending revision is abandoned for certain: the longest run of a helm of
 * ours that could have created it (tools/helm-deadline.ts, the backstop's own bound, hooks
 * included) plus clock skew. A pending-install or pending-upgrade revision was created by an
 * upgrade --install, which runs its hooks and, when atomic, rolls back to `rollbackTo` running
 * that revision's rollback hooks; a pending-rollback one by a rollback (on its own or as an
 * atomic upgrade's), whose hooks are those of the revision it goes back to, stored with it.
 */
export function staleAfterSeconds(status: string, timeoutSeconds: number, pending: HookList, rollbackTo: HookList): number {
  return status === 'pending-rollback'
    ? abandonedAfterSeconds('rollback', timeoutSeconds, hookRuns(pending, 'rollback'))
    : abandonedAfterSeconds('upgrade', timeoutSeconds, upgradeHookRuns(pending, rollbackTo));
}

/** The revision a rollback of a pending release goes back to: the newest deployed, else superseded, one before it. */
export function rollbackTarget(history: readonly HelmRevision[], pendingRevision: number): HelmRevision | undefined {
  const earlier = history.filter((h) => h.revision < pendingRevision).sort((a, b) => b.revision - a.revision);
  return earlier.find((h) => h.status === 'deployed') ?? earlier.find((h) => h.status === 'superseded');
}

export type PendingVerdict = { safe: true; why: string } | { safe: false; reason: string };

interface PendingInput {
  ctx: Pick<StepContext, 'previous' | 'options' | 'deploymentId'>;
  prepared: PreparedRelease;
  current: HelmRelease;
  kubeconfig: string;
  /** Reads the history, only to name the exact revision of the manual rollback in a refusal. */
  history: () => Promise<HelmRevision[]>;
  /** The hooks helm stored with `revision` (whose rollback hooks an atomic upgrade's rollback runs). */
  hooksAt: (revision: number) => Promise<HookList>;
  now?: number;
}

function ownMark(previous: StepContext['previous'], prepared: PreparedRelease): HelmRunMark | undefined {
  const mark = previous?.[HELM_RUN_KEY] as Partial<HelmRunMark> | undefined;
  if (!mark || mark.release !== prepared.spec.release || mark.namespace !== prepared.spec.namespace || typeof mark.revision !== 'number') return undefined;
  return mark as HelmRunMark;
}

function ago(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'less than a minute ago';
  if (minutes < 120) return `${minutes} min ago`;
  return `${Math.floor(minutes / 60)} h ago`;
}

/**
 * Whether a revision created at `created` (ms) may be one the helm call of `mark` made: created while it ran,
 * from its start to its exit (or, where no exit was journaled, the latest it could run). Undefined for a
 * mark journaled without that bound; false when `created` is unknown.
 */
function duringOwnRun(mark: HelmRunMark, created: number): boolean | undefined {
  const end = Date.parse(mark.endedAt ?? mark.until ?? '');
  if (!Number.isFinite(end)) return undefined;
  // A second of slack at the start: the mark's time is taken just before helm starts, in ms.
  return Number.isFinite(created) && created >= Date.parse(mark.startedAt) - 1000 && created <= end;
}

/**
 * Whether the pending-rollback `current` is the one the atomic upgrade of `mark` started on failing, and its
 * helm was stopped in (a Ctrl-C, or this CLI and helm killed together: nobody could journal what it left).
 * Helm's atomic upgrade marks its revision N failed and creates N + 1 "Rollback to M", M the last deployed
 * one before N (upgrade.go failRelease, rollback.go prepareRollback, helm 3.18 and 4.1). An operator's
 * `helm rollback` looks the same in helm's history; only its time tells: ours was created while our
 * helm ran, which the mark bounds. An operator's rollback afterwards is refused as before.
 */
async function ownAtomicRollback(input: PendingInput, mark: HelmRunMark, created: number): Promise<boolean> {
  const { current } = input;
  if (mark.left || mark.command !== 'upgrade' || current.info.status !== 'pending-rollback' || current.version !== mark.revision + 1) return false;
  if (duringOwnRun(mark, created) !== true) return false;
  const history = await input.history();
  const target = rollbackTarget(history, mark.revision);
  return history.find((h) => h.revision === mark.revision)?.status === 'failed' && target !== undefined && current.info.description === `Rollback to ${target.revision}`;
}

/** Decides whether recovering the pending release is safe; a refusal names the release, its state, since when, and the ways out. */
export async function pendingVerdict(given: PendingInput): Promise<PendingVerdict> {
  let history: Promise<HelmRevision[]> | undefined;
  const input = { ...given, history: () => (history ??= given.history()) };
  const { ctx, prepared, current, kubeconfig } = input;
  const { release, namespace, timeoutSeconds } = prepared.spec;
  const status = current.info.status;
  const mark = ownMark(ctx.previous, prepared);
  const created = Date.parse(current.info.last_deployed ?? '');
  if (mark && mark.revision === current.version && duringOwnRun(mark, created) !== false) {
    return { safe: true, why: `revision ${current.version} was started by an earlier attempt of this step in deployment ${ctx.deploymentId} (helm ${mark.command} at ${mark.startedAt}), which was interrupted` };
  }
  if (mark && (await ownAtomicRollback(input, mark, created))) {
    return {
      safe: true,
      why:
        `revision ${current.version} is the rollback helm's atomic upgrade starts when it fails: an earlier attempt of this step in deployment ${ctx.deploymentId} ran helm upgrade ` +
        `(started ${mark.startedAt}), which created revision ${mark.revision}, now failed, and was stopped before its rollback (${current.info.description}, created ${current.info.last_deployed} while that helm ran) ended`,
    };
  }
  if (mark?.left && mark.left.revision === current.version && mark.left.status === status) {
    return {
      safe: true,
      why:
        `revision ${current.version} was left ${status} by an earlier attempt of this step in deployment ${ctx.deploymentId}: its helm ${mark.command} of revision ${mark.revision} ` +
        `(started ${mark.startedAt}) was stopped at ${mark.left.at}${status === 'pending-rollback' ? ' during its own atomic rollback' : ''}, and the step journaled what it left`,
    };
  }
  const now = input.now ?? Date.now();
  // An uninstall does not restamp the revision (helm sets info.deleted, not last_deployed): its age says nothing about the uninstall's.
  const since = status === 'uninstalling' ? NaN : created;
  const staleAfter = Number.isFinite(since) ? await abandonedAfter(input) : Infinity;
  const staleMs = staleAfter * 1000;
  if (Number.isFinite(since) && now - since > staleMs) {
    return {
      safe: true,
      why: `it has been pending since ${new Date(since).toISOString()} (${ago(now - since)}), longer than any live helm run of ours with --timeout ${timeoutSeconds}s can take on it, its hooks included (${staleAfter} s), so the run that left it is gone`,
    };
  }
  const sinceText = Number.isFinite(since)
    ? `since ${new Date(since).toISOString()} (${ago(now - since)})`
    : status === 'uninstalling'
      ? 'since an unknown time (helm records no time for an uninstall)'
      : 'since an unknown time (helm status shows no last_deployed)';
  if (ctx.options.overwrite) {
    return { safe: true, why: `it is pending ${sinceText} and not from this deployment, but --overwrite was given` };
  }
  const target = await manualFix(input, status, kubeconfig);
  const until = Number.isFinite(since) ? ` after ${new Date(since + staleMs).toISOString()} it counts as abandoned and is recovered automatically;` : '';
  return {
    safe: false,
    reason:
      `release ${release} in namespace ${namespace} is ${status} at revision ${current.version} ${sinceText}, and not from an interrupted attempt of deployment ${ctx.deploymentId}: ` +
      `another helm run (an operator or a CI job) may still be working on it. Wait for that run to finish and run again (\`ws-deployment resume ${ctx.deploymentId}\`);${until} ` +
      `if you know no helm run is live, recover it by hand with ${target} and run again, or resume with --overwrite to let ws-deployment recover it`,
  };
}

/** {@link staleAfterSeconds} for the pending revision; for a pending-upgrade one, with the hooks of the revision its rollback goes back to. */
async function abandonedAfter(input: PendingInput): Promise<number> {
  const { current, prepared } = input;
  const status = current.info.status;
  const target = status === 'pending-upgrade' ? rollbackTarget(await input.history(), current.version) : undefined;
  return staleAfterSeconds(status, prepared.spec.timeoutSeconds, current, target ? await input.hooksAt(target.revision) : undefined);
}

async function manualFix(input: PendingInput, status: string, kubeconfig: string): Promise<string> {
  const { release, namespace } = input.prepared.spec;
  const where = `${release} --namespace ${namespace} --kubeconfig ${kubeconfig}`;
  if (status === 'pending-install' || status === 'uninstalling') return `\`helm uninstall ${where}\``;
  const target = rollbackTarget(await input.history(), input.current.version);
  return target ? `\`helm rollback ${release} ${target.revision} --namespace ${namespace} --kubeconfig ${kubeconfig}\`` : `\`helm uninstall ${where}\` (it has no earlier deployed revision)`;
}
