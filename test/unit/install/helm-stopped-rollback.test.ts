/**
 * Our own upgrade stopped by the backstop during helm's atomic rollback: helm had marked the new
 * revision (6) failed and created 7 `pending-rollback` ("Rollback to 5", rollback.go prepareRollback),
 * a revision the step's journaled mark (6) does not name. The step journals what its stopped helm
 * left, so the next attempt recovers 7 as its own, while a rollback someone else starts afterwards
 * (8) is still refused. The fake helm answers in the order real helm leaves the release (recorded
 * JSON shapes, helm-fixture.ts); a backstop of 3 s (--timeout 1s, slack 1 s) stops its upgrade.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyRelease } from '../../../src/steps/install/apply-release.js';
import { prepareGitpodRelease } from '../../../src/steps/install/install-gitpod.js';
import type { PreparedRelease } from '../../../src/steps/install/release.js';
import type { StepContext, StepOutputs } from '../../../src/steps/step.js';
import { Helm } from '../../../src/tools/helm.js';
import type { FakeBin, FakeResponse } from '../../helpers/fake-bin.js';
import { VERSION, fakeHelmOnPath, gitpodWorld, historyJson, listed, releaseJson, statusJson } from '../../fixtures/install/helm-fixture.js';
import { makeContext } from '../../fixtures/install/step-context.js';

let root: string;
let helm: FakeBin;
let restore: (() => Promise<void>) | undefined;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'wsd-helm-stopped-'));
});
afterEach(async () => {
  await restore?.();
  restore = undefined;
  rmSync(root, { recursive: true, force: true });
});

async function attempt(responses: FakeResponse[], previous?: StepOutputs) {
  await restore?.();
  ({ helm, restore } = await fakeHelmOnPath(responses));
  const world = gitpodWorld(root);
  const made = makeContext({ root: join(root, 'c1'), config: world.config, kubeconfig: world.kubeconfig, cluster: { valuesFiles: [world.clusterValues] } });
  const ctx: StepContext = { ...made.ctx, previous };
  const base = prepareGitpodRelease(ctx)!;
  const prepared: PreparedRelease = { ...base, spec: { ...base.spec, timeoutSeconds: 1 } };
  const client = new Helm({ kubeconfig: world.kubeconfig, homeDir: join(ctx.clusterDir, 'helm', 'install-gitpod'), signal: ctx.signal, sink: ctx.sink, backstopSlackSeconds: 1 });
  const run = () => applyRelease(ctx, 'install-gitpod', client, world.kubeconfig, prepared, { pollMs: 10 });
  return { ctx, run, sink: made.sink, checkpoints: made.checkpoints };
}

const sub = (argv: string[]): string => argv[0] ?? '';
const just = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

/** The first attempt: 5 deployed, upgrade --install (creates 6) stopped in its rollback, which left 7 pending-rollback. */
async function stoppedInRollback(): Promise<StepOutputs> {
  const first = await attempt([
    VERSION,
    listed(['gitpod']),
    { match: ['status'], times: 1, stdout: statusJson({ status: 'deployed', revision: 5, description: 'Upgrade complete' }) },
    { match: ['upgrade'], delayMs: 120_000 },
    { match: ['status'], stdout: statusJson({ status: 'pending-rollback', revision: 7, description: 'Rollback to 5', lastDeployed: just(0) }) },
  ]);
  await expect(first.run()).rejects.toMatchObject({ code: 'ToolTimeout', transient: false });
  // Journaled as helm starts (it creates 6, and may run until its backstop and kill grace are over), then when it exited, then what it left.
  const marks = first.checkpoints.map((c) => c.helmRun).filter(Boolean) as Array<Record<string, string>>;
  expect(marks).toEqual([
    expect.objectContaining({ command: 'upgrade', revision: 6, until: expect.any(String) }),
    expect.objectContaining({ command: 'upgrade', revision: 6, endedAt: expect.any(String) }),
    expect.objectContaining({ command: 'upgrade', revision: 6, left: expect.objectContaining({ revision: 7, status: 'pending-rollback' }) }),
  ]);
  // --timeout 1s, 1 s of slack: a 3 s backstop, then 10 s of kill grace.
  expect(Date.parse(marks[0]!.until!) - Date.parse(marks[0]!.startedAt!)).toBe(13_000);
  return Object.assign({}, ...first.checkpoints) as StepOutputs;
}

/** The journal as it stands when helm starts: what a run killed together with its helm (SIGKILL of both) leaves. */
async function killedWithHelm(): Promise<{ journal: StepOutputs; startedAt: number; until: number }> {
  const first = await attempt([
    VERSION,
    listed(['gitpod']),
    { match: ['status'], times: 1, stdout: statusJson({ status: 'deployed', revision: 5, description: 'Upgrade complete' }) },
    { match: ['upgrade'], exitCode: 1, stderr: 'Error: UPGRADE FAILED: context canceled' },
  ]);
  await expect(first.run()).rejects.toMatchObject({ code: 'ToolFailed' });
  const started = first.checkpoints.findIndex((c) => c.helmRun !== undefined);
  const journal = Object.assign({}, ...first.checkpoints.slice(0, started + 1)) as StepOutputs;
  const mark = journal.helmRun as Record<string, string>;
  expect(mark).not.toHaveProperty('endedAt');
  return { journal, startedAt: Date.parse(mark.startedAt!), until: Date.parse(mark.until!) };
}

/** The journal after a failed or interrupted call this CLI outlived: the mark, and when helm exited. */
async function endedWithoutRollback(): Promise<{ journal: StepOutputs; endedAt: number }> {
  const first = await attempt([
    VERSION,
    listed(['gitpod']),
    { match: ['status'], times: 1, stdout: statusJson({ status: 'deployed', revision: 5, description: 'Upgrade complete' }) },
    { match: ['upgrade'], exitCode: 1, stderr: 'Error: UPGRADE FAILED: context canceled' },
  ]);
  await expect(first.run()).rejects.toMatchObject({ code: 'ToolFailed' });
  const journal = Object.assign({}, ...first.checkpoints) as StepOutputs;
  return { journal, endedAt: Date.parse((journal.helmRun as Record<string, string>).endedAt!) };
}

const at = (ms: number) => new Date(ms).toISOString();

const history = (...extra: Array<{ revision: number; status: string }>) =>
  historyJson([{ revision: 5, status: 'deployed' }, { revision: 6, status: 'failed' }, { revision: 7, status: 'pending-rollback' }, ...extra]);

describe('an upgrade of ours stopped during its atomic rollback', () => {
  // Ctrl-C, or SIGKILL of this CLI and helm together: nothing after helm's start is journaled. Helm had
  // marked 6 failed and created 7 "Rollback to 5" while it ran (between the mark's start and until).
  it('killed together with this CLI: the rollback revision created while our helm ran is recovered as ours', async () => {
    const { journal, startedAt } = await killedWithHelm();
    const pending = statusJson({ status: 'pending-rollback', revision: 7, description: 'Rollback to 5', lastDeployed: at(startedAt + 500) });
    const next = await attempt(
      [
        VERSION,
        listed(['gitpod']),
        { match: ['status'], stdout: pending },
        { match: ['history'], stdout: history() },
        { match: ['rollback'], stdout: 'Rollback was a success! Happy Helming!' },
        { match: ['upgrade'], stdout: releaseJson({ status: 'deployed', revision: 9 }) },
      ],
      journal,
    );
    expect(await next.run()).toMatchObject({ status: 'deployed', revision: 9 });
    const recover = next.sink.events.find((e) => e.code === 'release.recover');
    expect(recover?.data).toMatchObject({ action: 'rollback', from: 7, to: 5 });
    expect(recover?.message).toContain("revision 7 is the rollback helm's atomic upgrade starts when it fails");
  }, 60_000);

  it('killed together with this CLI: the same rollback created after our helm could have run is refused', async () => {
    const { journal, until } = await killedWithHelm();
    const pending = statusJson({ status: 'pending-rollback', revision: 7, description: 'Rollback to 5', lastDeployed: at(until + 1000) });
    const next = await attempt([VERSION, listed(['gitpod']), { match: ['status'], stdout: pending }, { match: ['history'], stdout: history() }], journal);
    await expect(next.run()).rejects.toMatchObject({ code: 'PreCheckRefused', message: expect.stringContaining('is pending-rollback at revision 7 since') });
    expect((await helm.calls()).map((c) => sub(c.argv)).filter((s) => ['rollback', 'uninstall', 'upgrade'].includes(s))).toEqual([]);
  }, 60_000);

  it('killed together with this CLI: a revision 7 that is not helm\'s own rollback of 6 (6 not failed, or another target) is refused', async () => {
    const { journal, startedAt } = await killedWithHelm();
    const cases = [
      { description: 'Rollback to 5', history: historyJson([{ revision: 5, status: 'deployed' }, { revision: 6, status: 'deployed' }, { revision: 7, status: 'pending-rollback' }]) },
      { description: 'Rollback to 4', history: history() },
    ];
    for (const c of cases) {
      const pending = statusJson({ status: 'pending-rollback', revision: 7, description: c.description, lastDeployed: at(startedAt + 500) });
      const next = await attempt([VERSION, listed(['gitpod']), { match: ['status'], stdout: pending }, { match: ['history'], stdout: c.history }], journal);
      await expect(next.run(), c.description).rejects.toMatchObject({ code: 'PreCheckRefused' });
    }
  }, 60_000);

  // Helm exited without a rollback (this CLI lived on and journaled when): a rollback, or the very
  // revision the mark names, created afterwards is an operator's, however early.
  it('a revision created after our helm exited is refused, even the one the mark names', async () => {
    const { journal, endedAt } = await endedWithoutRollback();
    const rollback = statusJson({ status: 'pending-rollback', revision: 7, description: 'Rollback to 5', lastDeployed: at(endedAt + 1) });
    const upgrade = statusJson({ status: 'pending-upgrade', revision: 6, description: 'Preparing upgrade', lastDeployed: at(endedAt + 1) });
    for (const [pending, revisions] of [
      [rollback, history()],
      [upgrade, historyJson([{ revision: 5, status: 'deployed' }, { revision: 6, status: 'pending-upgrade' }])],
    ] as const) {
      const next = await attempt([VERSION, listed(['gitpod']), { match: ['status'], stdout: pending }, { match: ['history'], stdout: revisions }], journal);
      await expect(next.run()).rejects.toMatchObject({ code: 'PreCheckRefused', message: expect.stringContaining('and not from an interrupted attempt') });
    }
  }, 60_000);

  it('is recovered by the next attempt as its own: rolled back to the last deployed revision, then upgraded', async () => {
    const journal = await stoppedInRollback();
    const next = await attempt(
      [
        VERSION,
        listed(['gitpod']),
        { match: ['status'], stdout: statusJson({ status: 'pending-rollback', revision: 7, description: 'Rollback to 5', lastDeployed: just(1) }) },
        { match: ['history'], stdout: history() },
        { match: ['rollback'], stdout: 'Rollback was a success! Happy Helming!' },
        { match: ['upgrade'], stdout: releaseJson({ status: 'deployed', revision: 9 }) },
      ],
      journal,
    );
    const record = await next.run();
    expect(record).toMatchObject({ status: 'deployed', revision: 9 });
    expect((await helm.calls()).map((c) => sub(c.argv))).toEqual(['version', 'list', 'status', 'history', 'rollback', 'template', 'upgrade']);
    const recover = next.sink.events.find((e) => e.code === 'release.recover');
    expect(recover?.data).toMatchObject({ action: 'rollback', from: 7, to: 5 });
    expect(recover?.message).toContain('revision 7 was left pending-rollback by an earlier attempt of this step in deployment deploy-1: its helm upgrade of revision 6');
    expect(recover?.message).toContain('during its own atomic rollback');
  }, 60_000);

  it('still refuses a rollback someone else started after it (revision 8), naming it', async () => {
    const journal = await stoppedInRollback();
    const next = await attempt(
      [
        VERSION,
        listed(['gitpod']),
        { match: ['status'], stdout: statusJson({ status: 'pending-rollback', revision: 8, description: 'Rollback to 5', lastDeployed: just(1) }) },
        { match: ['history'], stdout: history({ revision: 8, status: 'pending-rollback' }) },
      ],
      journal,
    );
    await expect(next.run()).rejects.toMatchObject({ code: 'PreCheckRefused', message: expect.stringContaining('is pending-rollback at revision 8 since') });
    expect((await helm.calls()).map((c) => sub(c.argv)).filter((s) => ['rollback', 'uninstall', 'upgrade'].includes(s))).toEqual([]);
  }, 60_000);
});
