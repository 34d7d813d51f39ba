/**
 * Tools a killed run left working. A run killed with SIGKILL cannot stop its children: a `terraform apply` or
 * `helm upgrade` goes on changing its target after the journal's last word. `status` said only that the process was
 * gone and to resume, as if nothing ran; an operator who then acted by hand (a `terraform destroy`, a `helm
 * rollback`) would race the tool. It now names each one still running here (found as `resume` finds them, by the
 * journaled pid or the call's token) and each started on another host, which cannot be checked from here.
 */
import type { Snapshot, StepRecordState } from '../../state/model.js';
import { DEPLOYMENT_SCOPE } from '../../steps/step.js';
import { leftRunning, type LeftRunning } from '../../tools/child-journal.js';

export type LeftTool = LeftRunning & { cluster: string; step: string };

/** A step a killed or stopped run may have left a tool working for (a finished one waited for its tools). */
const unfinished = (s: StepRecordState): boolean => s.state !== 'succeeded' && s.state !== 'skipped' && s.state !== 'pending';

/** The tools of `snap`'s unfinished steps that still run (none while a process runs the deployment: they are its own). */
export function leftTools(snap: Snapshot): LeftTool[] {
  if (snap.state === 'running') return [];
  const steps = [...snap.clusters.flatMap((c) => c.steps.map((s) => ({ cluster: c.name, s }))), ...snap.deploymentSteps.map((s) => ({ cluster: DEPLOYMENT_SCOPE, s }))];
  return steps.filter(({ s }) => unfinished(s) && s.checkpoint !== undefined).flatMap(({ cluster, s }) => leftRunning(s.checkpoint).map((t) => ({ cluster, step: s.name, ...t })));
}

/** The status lines about them: what each is and what `resume` does about it. */
export function leftToolsText(snap: Snapshot, tools: readonly LeftTool[]): string {
  if (tools.length === 0) return '';
  const where = (t: LeftTool): string => `${t.cluster === DEPLOYMENT_SCOPE ? '' : `${t.cluster} `}${t.step}`;
  const lines = tools.map((t) =>
    t.elsewhere
      ? `  ${t.pids.length ? `pid ${t.pids.join(', ')}` : 'a process'} on host ${t.host} (cannot be checked from here): ${t.tool} on ${t.target} for ${where(t)}, started ${t.startedAt}; if it still runs there, stop it before resuming`
      : `  ${pidWords(t.pids)}: ${t.tool} on ${t.target} for ${where(t)}, started ${t.startedAt}; \`ws-deployment resume ${snap.id}\` waits for it to exit (at the latest ${t.until}) before that step goes on`,
  );
  return `still working on the deployment's clusters, left by the run that was killed:\n${lines.join('\n')}\n`;
}

/** `pid 7`, or `pid 7 (and 9, 12, which it started)`. */
function pidWords(pids: readonly number[]): string {
  const [first, ...rest] = pids;
  return `pid ${first}${rest.length ? ` (and ${rest.join(', ')}, which it started)` : ''}`;
}
