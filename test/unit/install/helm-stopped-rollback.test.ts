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
  // Journaled before helm ran (it creates 6), then what the stopped helm left.
  expect(first.checkpoints.map((c) => c.helmRun)).toEqual([
    expect.objectContaining({ command: 'upgrade', revision: 6 }),
    expect.objectContaining({ command: 'upgrade', revision: 6, left: expect.objectContaining({ revision: 7, status: 'pending-rollback' }) }),
  ]);
  return Object.assign({}, ...first.checkpoints) as StepOutputs;
}

const history = (...extra: Array<{ revision: number; status: string }>) =>
  historyJson([{ revision: 5, status: 'deployed' }, { revision: 6, status: 'failed' }, { revision: 7, status: 'pending-rollback' }, ...extra]);

describe('an upgrade of ours stopped during its atomic rollback', () => {
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
