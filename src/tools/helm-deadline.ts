/**
 * How long a mutating helm call may legitimately run, so the backstop that kills a
 * hung helm never kills one still doing its job. Helm has no overall deadline: its
 * `--timeout` bounds each wait on its own (read from helm's pkg/action, release-3.18
 * and release-4.1 alike):
 *
 * - `upgrade --install --atomic` (helm 3) / `--rollback-on-failure` (helm 4): the wait
 *   for the new resources (T); when that fails, a rollback to the last deployed revision
 *   (upgrade.go failRelease: `rollin.Timeout = u.Timeout`, `Wait = true`) that waits
 *   again (T), or for a first install an uninstall (install.go failRelease:
 *   `uninstall.Timeout = i.Timeout`; helm 4 waits for the deletion, T). A first install
 *   also waits for CRDs a fixed 60 s (install.go installCRDs).
 * - every hook run (hooks.go execHook): delete-before-creation and wait (T), watch until
 *   ready (T), delete on success/failure and wait (T).
 * - `rollback --wait`, `uninstall --wait`: one wait (T) plus their hooks.
 *
 * Hooks are in the chart, which helm renders itself: an upgrade --install runs the hooks
 * of the chart it installs (counted from `helm template` before it runs, helm-hooks.ts),
 * and its atomic rollback those of the revision it goes back to (rollback.go prepareRollback:
 * `Hooks: previousRelease.Hooks`, counted from the release as helm stored it).
 *
 * The same bound says when a release left `pending-*` is abandoned for certain
 * (steps/install/pending-release.ts): a pending revision younger than the longest run
 * that could have created it may still be worked on by a live helm.
 */
import type { HelmRelease } from './helm.js';

/** Added to every bound: API calls between the waits, rendering, storage writes; helm's fixed CRD wait fits in it. */
export const BACKSTOP_SLACK_SECONDS = 120;

/** What a helm call does, for its bound. */
export type HelmCallKind = 'upgrade' | 'rollback' | 'uninstall' | 'other';

/**
 * Hook events of the chart a call installs that may run during each kind of call: an upgrade
 * --install runs install or upgrade hooks, and a failed first install is uninstalled (delete
 * hooks); an atomic rollback runs the rollback hooks of the revision it goes back to, counted
 * apart ({@link upgradeHookRuns}).
 */
const HOOK_EVENTS: Record<HelmCallKind, readonly string[]> = {
  upgrade: ['pre-install', 'post-install', 'pre-upgrade', 'post-upgrade', 'pre-delete', 'post-delete'],
  rollback: ['pre-rollback', 'post-rollback'],
  uninstall: ['pre-delete', 'post-delete'],
  other: [],
};

/** Waits of T outside hooks: the forward wait, and for an atomic upgrade the rollback's (or uninstall's) wait. */
const WAITS: Record<HelmCallKind, number> = { upgrade: 2, rollback: 1, uninstall: 1, other: 1 };

/** Each hook run may wait three times (delete before creation, watch, delete after). */
const WAITS_PER_HOOK = 3;

/** Hooks as helm stores them in a release (`helm status -o json`) or as helm-hooks.ts reads them from a rendered chart. */
export type HookList = Pick<HelmRelease, 'hooks'> | undefined;

/** How many hook runs `kind` may make, counted from the hooks of `release` (of the chart it installs). */
export function hookRuns(release: HookList, kind: HelmCallKind): number {
  const events = HOOK_EVENTS[kind];
  return (release?.hooks ?? []).reduce((n, hook) => n + (hook.events ?? []).filter((e) => events.includes(e)).length, 0);
}

/**
 * The hook runs of `upgrade --install`: those of the chart it installs (`chart`), and the
 * rollback hooks of the revision its atomic rollback goes back to (`rollbackTo`; none for a first install).
 */
export function upgradeHookRuns(chart: HookList, rollbackTo: HookList): number {
  return hookRuns(chart, 'upgrade') + hookRuns(rollbackTo, 'rollback');
}

/** The longest a helm call may legitimately run: every wait it may make, plus slack. The one bound both readers use. */
export function longestRunSeconds(kind: HelmCallKind, timeoutSeconds: number, hooks: number, slackSeconds = BACKSTOP_SLACK_SECONDS): number {
  return (WAITS[kind] + WAITS_PER_HOOK * hooks) * timeoutSeconds + slackSeconds;
}

/** The seconds after which the backstop may kill helm: its longest legitimate run. */
export const backstopSeconds = longestRunSeconds;

/** Clock skew allowed between the machine whose helm stamped a revision's `last_deployed` and the one reading it. */
export const CLOCK_SKEW_SECONDS = 180;

/**
 * After how long since a pending revision was created (its `last_deployed`) no helm of ours can
 * still be working on it: the longest run of the call that created it, plus clock skew. Without
 * hooks, 2 × timeout + 5 min for an upgrade.
 */
export function abandonedAfterSeconds(kind: HelmCallKind, timeoutSeconds: number, hooks: number): number {
  return longestRunSeconds(kind, timeoutSeconds, hooks) + CLOCK_SKEW_SECONDS;
}

/** What helm may have been doing when the backstop stopped it, and what to do (said by the error). */
export function backstopText(kind: HelmCallKind, timeoutSeconds: number, hooks: number, bound: number): string {
  const phases =
    kind === 'upgrade'
      ? `the wait for the release, then its rollback (or uninstall) and that wait, each up to --timeout ${timeoutSeconds}s`
      : `its wait, up to --timeout ${timeoutSeconds}s`;
  const hookText = hooks > 0 ? `, and ${hooks} hook run${hooks === 1 ? '' : 's'} of up to 3 × ${timeoutSeconds}s` : '';
  return (
    `helm was stopped after ${bound} s, longer than it may take by its own limits (${phases}${hookText}): it did not finish and may have been ` +
    'stopped in the middle of a change or of its own rollback, so the release may be left pending. Not retried: ' +
    'check the release with helm status and helm history and the API server; the next run recovers a pending release it journaled'
  );
}
