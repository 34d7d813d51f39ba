/**
 * The install step with the REAL helm (3.18 and 4.1, from the devDependency layer
 * packages) against the local Kubernetes API server: install, skip when unchanged,
 * upgrade on changed values, a failed upgrade rolled back by helm and recovered by
 * the next run, rollback, uninstall, and releases left `pending-install` /
 * `pending-upgrade` by a helm killed with SIGKILL while the API server was
 * answering slowly — refused while they may belong to a live run, recovered by the
 * product's pending-* handling once the step's journal says the killed run was its own.
 * Helm stores releases in PostgreSQL (`HELM_DRIVER=sql`, passed through by the product).
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWsdError } from '../../../src/core/errors.js';
import { applyRelease } from '../../../src/steps/install/apply-release.js';
import { helmFor } from '../../../src/steps/install/cluster-context.js';
import { Helm } from '../../../src/tools/helm.js';
import { checkpointChildJournal, withChildJournal } from '../../../src/tools/child-journal.js';
import { createInstallGitpodStep, prepareGitpodRelease } from '../../../src/steps/install/install-gitpod.js';
import { writePrepared } from '../../../src/steps/install/release.js';
import { upgradeArgv } from '../../../src/tools/helm-argv.js';
import { startFakeKubeApi, type FakeKubeApi } from '../../fixtures/install/fake-kube-api.js';
import { status } from '../../fixtures/install/fake-kube-writes.js';
import { gitpodWorld } from '../../fixtures/install/helm-fixture.js';
import { realHelms } from '../../fixtures/install/real-helm.js';
import { CHART_VERSION, createDatabase, killDuringConfigMapWrite, writeGitpodChart } from '../../fixtures/install/real-helm-world.js';
import { makeContext } from '../../fixtures/install/step-context.js';
import { hasPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { requireBinary } from '../../helpers/require-binary.js';

const ready = requireBinary('openssl', 'the fake API server serves HTTPS') && hasPostgres('real helm keeps its releases in PostgreSQL (HELM_DRIVER=sql)');
const step = createInstallGitpodStep({ pollMs: 20 });
const STORAGE = ['HELM_DRIVER', 'HELM_DRIVER_SQL_CONNECTION_STRING', 'WSD_HELM'] as const;

let postgres: TestPostgres;
let root: string;
const saved = Object.fromEntries(STORAGE.map((k) => [k, process.env[k]]));
beforeAll(async () => {
  if (!ready) return;
  postgres = await startPostgres();
  root = mkdtempSync(join(tmpdir(), 'wsd-real-helm-'));
}, 120_000);
afterAll(async () => {
  for (const key of STORAGE) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  await postgres?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!ready).each(realHelms())('install-gitpod with real helm $version', (helmBinary) => {
  let api: FakeKubeApi;
  let apiDir: string;
  let chart: string;

  beforeAll(async () => {
    ({ api, dir: apiDir } = await startFakeKubeApi());
    process.env.WSD_HELM = helmBinary.path;
    process.env.HELM_DRIVER = 'sql';
    process.env.HELM_DRIVER_SQL_CONNECTION_STRING = await createDatabase(postgres.url, `helm${helmBinary.major}`);
    chart = writeGitpodChart(join(root, `v${helmBinary.major}`));
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
    if (apiDir) rmSync(apiDir, { recursive: true, force: true });
  });

  /** A cluster whose Gitpod release goes to its own namespace (the tests share one API server and database). */
  function cluster(namespace: string) {
    const world = gitpodWorld(join(root, `v${helmBinary.major}`), namespace);
    const gitpod = { ...(world.config.gitpod as object), chart: { path: chart, name: 'gitpod', version: CHART_VERSION }, namespace, timeoutSeconds: 120 };
    const kubeconfig = api.writeKubeconfig(apiDir, 'token', `kubeconfig-${namespace}`);
    const { ctx, sink } = makeContext({ root: join(root, `v${helmBinary.major}`, namespace), config: { ...world.config, gitpod }, kubeconfig, cluster: { valuesFiles: [world.clusterValues] } });
    const helm = helmFor(ctx, 'install-gitpod', kubeconfig);
    const settings = () => api.get('v1', 'configmaps', namespace, 'gitpod-settings')?.data as Record<string, string> | undefined;
    const setWsManager = (cpu: number) => writeFileSync(world.clusterValues, `components:\n  wsManager:\n    resources: {cpu: ${cpu}}\n`);
    const history = async () => (await helm.history('gitpod', namespace)).map((h) => `${h.revision}:${h.status}`);
    return { ctx, sink, helm, kubeconfig, settings, setWsManager, history };
  }

  it('installs, skips when unchanged, upgrades changed values, rolls back and uninstalls', async () => {
    const c = cluster('lifecycle');
    expect(await step.check!(c.ctx)).toEqual({ action: 'proceed', reason: 'release gitpod in namespace lifecycle does not exist' });
    expect((await step.run(c.ctx)).releases).toEqual([expect.objectContaining({ name: 'gitpod', status: 'deployed', revision: 1, version: CHART_VERSION })]);
    expect(c.settings()).toEqual({ 'server-replicas': '2', 'ws-manager': '{"cpu":2}', 'short-name': 'eu17' });

    const skipped = await step.check!(c.ctx);
    expect(skipped, JSON.stringify(skipped)).toMatchObject({ action: 'skip', evidence: expect.stringContaining('is deployed at revision 1 with chart gitpod 1.2.3') });

    c.setWsManager(4);
    expect(await step.check!(c.ctx)).toMatchObject({ action: 'proceed', reason: expect.stringContaining('was deployed with values digest') });
    expect((await step.run(c.ctx)).releases).toEqual([expect.objectContaining({ status: 'deployed', revision: 2 })]);
    expect(c.settings()?.['ws-manager']).toBe('{"cpu":4}');

    await c.helm.rollback('gitpod', 'lifecycle', 1, 120);
    expect(await c.history()).toEqual(['1:superseded', '2:superseded', '3:deployed']);
    expect(c.settings()?.['ws-manager']).toBe('{"cpu":2}');
    // The rollback's description carries no digest of ours: the next run upgrades again.
    expect(await step.check!(c.ctx)).toMatchObject({ action: 'proceed', reason: expect.stringContaining('values digest unknown') });

    await c.helm.uninstall('gitpod', 'lifecycle', 120);
    expect(await c.helm.status('gitpod', 'lifecycle')).toBeUndefined();
    expect(c.settings()).toBeUndefined();
  }, 180_000);

  it('a failed upgrade is rolled back by helm, reported with the API server\'s reason, and the next run upgrades', async () => {
    const c = cluster('failing');
    await step.run(c.ctx);
    api.refuseWrite = (req, obj) =>
      req.path.includes('/namespaces/failing/configmaps') && (obj?.data as Record<string, string> | undefined)?.['ws-manager'] === '{"cpu":13}'
        ? status(422, 'Invalid', 'ConfigMap "gitpod-settings" is invalid: data: admission webhook "policy.example" denied the request: 13 CPUs')
        : undefined;
    try {
      c.setWsManager(13);
      const error = await step.run(c.ctx).catch((e: unknown) => e);
      expect(isWsdError(error) && error.code, String(error)).toBe('ToolFailed');
      expect((error as Error).message).toContain('denied the request: 13 CPUs');
      expect(await c.history()).toEqual(['1:superseded', '2:failed', '3:deployed']);
      expect(c.settings()?.['ws-manager']).toBe('{"cpu":2}');
    } finally {
      api.refuseWrite = undefined;
    }
    c.setWsManager(3);
    expect((await step.run(c.ctx)).releases).toEqual([expect.objectContaining({ status: 'deployed', revision: 4 })]);
    expect(c.settings()?.['ws-manager']).toBe('{"cpu":3}');
  }, 180_000);

  const ownRun = (namespace: string, revision: number) => ({ helmRun: { release: 'gitpod', namespace, command: 'upgrade', revision, startedAt: new Date().toISOString() } });

  /** Runs real helm upgrade --install (the product's argv, another value) and SIGKILLs it while the API server holds its ConfigMap write. */
  async function killMidWrite(c: ReturnType<typeof cluster>, namespace: string): Promise<void> {
    const prepared = prepareGitpodRelease(c.ctx)!;
    writePrepared(prepared);
    const argv = upgradeArgv({ ...prepared.spec, set: { ...prepared.spec.set, 'components.server.replicas': 7 } }, c.kubeconfig, helmBinary.major);
    await killDuringConfigMapWrite(api, helmBinary.path, argv.slice(1), { homeDir: join(c.ctx.clusterDir, 'helm', 'killed'), kubeconfig: c.kubeconfig }, namespace);
  }

  it('a release left pending-upgrade by a killed helm is rolled back to the last deployed revision, then upgraded', async () => {
    const c = cluster('killed-upgrade');
    await step.run(c.ctx);
    await killMidWrite(c, 'killed-upgrade');
    expect((await c.helm.status('gitpod', 'killed-upgrade'))?.info.status).toBe('pending-upgrade');
    // Not journaled by this step and younger than its timeout: another live run may own it.
    expect(await step.check!(c.ctx)).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/is pending-upgrade at revision 2 since \d{4}-\d\d-\d\dT[\d:.]+Z \(/) });
    expect(await c.history()).toEqual(['1:deployed', '2:pending-upgrade']);

    // What the step journals before it runs helm: the killed run was this step's own attempt.
    c.ctx.previous = ownRun('killed-upgrade', 2);
    c.setWsManager(5);
    const outputs = await step.run(c.ctx);
    const recover = c.sink.events.find((e) => e.code === 'release.recover');
    expect(recover?.data).toMatchObject({ action: 'rollback', from: 2, to: 1 });
    // Helm's rollback leaves the interrupted revision as it was; the release itself is settled.
    expect(await c.history()).toEqual(['1:superseded', '2:pending-upgrade', '3:superseded', '4:deployed']);
    expect(outputs.releases).toEqual([expect.objectContaining({ status: 'deployed', revision: 4 })]);
    expect(c.settings()).toMatchObject({ 'server-replicas': '2', 'ws-manager': '{"cpu":5}' });
  }, 180_000);

  it('a release left pending-install by a killed helm is uninstalled, then installed', async () => {
    const c = cluster('killed-install');
    await killMidWrite(c, 'killed-install');
    expect((await c.helm.status('gitpod', 'killed-install'))?.info.status).toBe('pending-install');
    c.ctx.previous = ownRun('killed-install', 1);

    const outputs = await step.run(c.ctx);
    expect(c.sink.events.find((e) => e.code === 'release.recover')?.data).toMatchObject({ action: 'uninstall', revision: 1 });
    expect(outputs.releases).toEqual([expect.objectContaining({ status: 'deployed', revision: 1 })]);
    expect(await c.history()).toEqual(['1:deployed']);
  }, 180_000);

  // The refusal tells the operator to resume with --overwrite when no helm run is live: that must work.
  it('a pending-upgrade left by a run not of this deployment: the refusal offers --overwrite, and --overwrite recovers it', async () => {
    const c = cluster('overwrite-upgrade');
    await step.run(c.ctx);
    await killMidWrite(c, 'overwrite-upgrade');
    const refused = await step.check!(c.ctx);
    expect(refused).toMatchObject({ action: 'refuse', reason: expect.stringContaining('resume with --overwrite') });

    c.ctx.options = { ...c.ctx.options, overwrite: true };
    expect(await step.check!(c.ctx)).toMatchObject({ action: 'proceed' });
    const outputs = await step.run(c.ctx);
    expect(c.sink.events.find((e) => e.code === 'release.recover')?.data).toMatchObject({ action: 'rollback', from: 2, to: 1 });
    expect(outputs.releases).toEqual([expect.objectContaining({ status: 'deployed', revision: 4 })]);
    expect(c.settings()).toMatchObject({ 'server-replicas': '2' });
  }, 180_000);

  // The backstop stops our helm while its atomic rollback of a refused upgrade is held by the API
  // server: helm has marked 2 failed and created 3 pending-rollback, which the step's mark (2) does
  // not name. The step journals what helm left; the next run recovers 3 as its own.
  it('an upgrade stopped by the backstop in its own atomic rollback is recovered by the next run, journaled as what it left', async () => {
    const c = cluster('stopped-rollback');
    await step.run(c.ctx);
    let refused = false;
    api.refuseWrite = (req, obj) => {
      if (!req.path.includes('/namespaces/stopped-rollback/configmaps') || (obj?.data as Record<string, string> | undefined)?.['ws-manager'] !== '{"cpu":13}') return undefined;
      refused = true;
      return status(422, 'Invalid', 'ConfigMap "gitpod-settings" is invalid: data: admission webhook "policy.example" denied the request: 13 CPUs');
    };
    // After the refusal, helm's rollback reads or writes the ConfigMap: held, never answered (that one
    // request only: helm 4's `status` afterwards reads the release's resources too).
    let held = false;
    api.gate = (req) => {
      if (held || !refused || !req.path.startsWith('/api/v1/namespaces/stopped-rollback/configmaps')) return undefined;
      held = true;
      return new Promise<void>(() => undefined);
    };
    const checkpoints: Array<Record<string, unknown>> = [];
    try {
      c.setWsManager(13);
      const prepared = prepareGitpodRelease(c.ctx)!;
      // --timeout 1s, 15 s of slack: the backstop (17 s) stops helm long after it reached the held request.
      const short = { ...prepared, spec: { ...prepared.spec, timeoutSeconds: 1 } };
      const helm = new Helm({ kubeconfig: c.kubeconfig, homeDir: join(c.ctx.clusterDir, 'helm', 'install-gitpod'), sink: c.sink, backstopSlackSeconds: 15 });
      const ctx = { ...c.ctx, checkpoint: async (partial: Record<string, unknown>) => void checkpoints.push(partial) };
      const error = await applyRelease(ctx, 'install-gitpod', helm, c.kubeconfig, short, { pollMs: 20 }).catch((e: unknown) => e);
      expect(isWsdError(error) && error.code, String(error)).toBe('ToolTimeout');
    } finally {
      api.refuseWrite = undefined;
      api.gate = undefined;
    }
    // What the recording fake of helm-stopped-rollback.test.ts answers: 2 failed, 3 pending-rollback.
    expect(await c.history()).toEqual(['1:deployed', '2:failed', '3:pending-rollback']);
    const journal = Object.assign({}, ...checkpoints) as Record<string, unknown>;
    expect(journal.helmRun).toMatchObject({ command: 'upgrade', revision: 2, left: { revision: 3, status: 'pending-rollback' } });

    c.ctx.previous = journal;
    c.setWsManager(6);
    expect(await step.check!(c.ctx)).toMatchObject({ action: 'proceed' });
    const outputs = await step.run(c.ctx);
    expect(c.sink.events.find((e) => e.code === 'release.recover')?.data).toMatchObject({ action: 'rollback', from: 3, to: 1 });
    expect(outputs.releases).toEqual([expect.objectContaining({ status: 'deployed', revision: 5 })]);
    expect(c.settings()?.['ws-manager']).toBe('{"cpu":6}');
  }, 180_000);

  // SIGKILL of this CLI and its helm together while helm's atomic rollback is held by the API server:
  // nothing after helm's start is journaled (no `left`, no exit time). Helm had marked 2 failed and
  // created 3 pending-rollback "Rollback to 1" while it ran: the next run recovers 3 as its own.
  it('an upgrade killed together with this CLI in its own atomic rollback is recovered by the next run from what was journaled before helm started', async () => {
    const c = cluster('killed-rollback');
    await step.run(c.ctx);
    let refused = false;
    api.refuseWrite = (req, obj) => {
      if (!req.path.includes('/namespaces/killed-rollback/configmaps') || (obj?.data as Record<string, string> | undefined)?.['ws-manager'] !== '{"cpu":13}') return undefined;
      refused = true;
      return status(422, 'Invalid', 'ConfigMap "gitpod-settings" is invalid: data: admission webhook "policy.example" denied the request: 13 CPUs');
    };
    const checkpoints: Array<Record<string, unknown>> = [];
    let frozen: Record<string, unknown> | undefined;
    api.gate = (req) => {
      if (frozen || !refused || !req.path.startsWith('/api/v1/namespaces/killed-rollback/configmaps')) return undefined;
      // The journal as it stands now is all a run killed now leaves; helm's group goes with it.
      frozen = Object.assign({}, ...checkpoints) as Record<string, unknown>;
      const child = (frozen.children as Array<{ pid?: number; target: string }> | undefined)?.find((m) => m.target === 'release gitpod in namespace killed-rollback');
      if (child?.pid === undefined) return Promise.reject(new Error('helm upgrade was not journaled with its pid'));
      process.kill(-child.pid, 'SIGKILL');
      return new Promise<void>(() => undefined);
    };
    try {
      c.setWsManager(13);
      const checkpoint = async (partial: Record<string, unknown>) => void checkpoints.push(partial);
      // As the step runner runs a step: its tool children journaled (their pids) in its checkpoint.
      const error = await withChildJournal(checkpointChildJournal(checkpoint), () => step.run({ ...c.ctx, checkpoint })).catch((e: unknown) => e);
      expect(isWsdError(error) && error.code, String(error)).toBe('ToolFailed');
    } finally {
      api.refuseWrite = undefined;
      api.gate = undefined;
    }
    expect(await c.history()).toEqual(['1:deployed', '2:failed', '3:pending-rollback']);
    expect(frozen?.helmRun).toMatchObject({ command: 'upgrade', revision: 2, until: expect.any(String) });
    expect(frozen?.helmRun).not.toHaveProperty('left');
    expect(frozen?.helmRun).not.toHaveProperty('endedAt');

    c.ctx.previous = frozen;
    c.setWsManager(6);
    expect(await step.check!(c.ctx)).toMatchObject({ action: 'proceed' });
    const outputs = await step.run(c.ctx);
    const recover = c.sink.events.find((e) => e.code === 'release.recover');
    expect(recover?.data).toMatchObject({ action: 'rollback', from: 3, to: 1 });
    expect(recover?.message).toContain("the rollback helm's atomic upgrade starts when it fails");
    expect(outputs.releases).toEqual([expect.objectContaining({ status: 'deployed', revision: 5 })]);
    expect(c.settings()?.['ws-manager']).toBe('{"cpu":6}');
  }, 180_000);

  // A helm uninstall killed while its deletes are held leaves the release `uninstalling` for good: it was
  // said as "being uninstalled by another operation; wait for it to finish", which never happens.
  it('a release left uninstalling by a killed helm uninstall is refused with the way out, and --overwrite finishes it and installs', async () => {
    const c = cluster('killed-uninstall');
    await step.run(c.ctx);
    const args = ['uninstall', 'gitpod', '--kubeconfig', c.kubeconfig, '--namespace', 'killed-uninstall', '--wait', '--timeout', '60s'];
    await killDuringConfigMapWrite(api, helmBinary.path, args, { homeDir: join(c.ctx.clusterDir, 'helm', 'killed'), kubeconfig: c.kubeconfig }, 'killed-uninstall');
    expect(await c.history()).toEqual(['1:uninstalling']);
    const refused = await step.check!(c.ctx);
    expect(refused).toMatchObject({ action: 'refuse', reason: expect.stringContaining('is uninstalling at revision 1 since an unknown time') });
    expect(refused).toMatchObject({ reason: expect.stringMatching(/`helm uninstall gitpod --namespace killed-uninstall --kubeconfig .*` and run again, or resume with --overwrite/) });

    c.ctx.options = { ...c.ctx.options, overwrite: true };
    const outputs = await step.run(c.ctx);
    expect(c.sink.events.find((e) => e.code === 'release.recover')?.data).toMatchObject({ action: 'uninstall', revision: 1 });
    expect(outputs.releases).toEqual([expect.objectContaining({ status: 'deployed', revision: 1 })]);
    expect(await c.history()).toEqual(['1:deployed']);
  }, 180_000);

  it('a pending-install left by a run not of this deployment: --overwrite uninstalls and installs it', async () => {
    const c = cluster('overwrite-install');
    await killMidWrite(c, 'overwrite-install');
    expect(await step.check!(c.ctx)).toMatchObject({ action: 'refuse', reason: expect.stringContaining('resume with --overwrite') });

    c.ctx.options = { ...c.ctx.options, overwrite: true };
    const outputs = await step.run(c.ctx);
    expect(c.sink.events.find((e) => e.code === 'release.recover')?.data).toMatchObject({ action: 'uninstall', revision: 1 });
    expect(outputs.releases).toEqual([expect.objectContaining({ status: 'deployed', revision: 1 })]);
    expect(await c.history()).toEqual(['1:deployed']);
  }, 180_000);
});
