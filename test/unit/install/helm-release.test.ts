/**
 * Contract tests of install-gitpod against a recording fake `helm` on PATH:
 * the argv of install and upgrade, values file order, skip when unchanged,
 * recovery of each pending-* state, and the non-interactive, per-cluster setup.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createInstallGitpodStep, prepareGitpodRelease } from '../../../src/steps/install/install-gitpod.js';
import { createInstallJaegerStep } from '../../../src/steps/install/install-jaeger.js';
import type { FakeBin, FakeResponse } from '../../helpers/fake-bin.js';
import { VERSION, fakeHelmOnPath, gitpodWorld, historyJson, listed, releaseJson, statusJson } from '../../fixtures/install/helm-fixture.js';
import { makeContext } from '../../fixtures/install/step-context.js';

let root: string;
let helm: FakeBin;
let restore: () => Promise<void>;
const step = createInstallGitpodStep({ pollMs: 10 });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'wsd-helm-'));
});
afterEach(async () => {
  await restore?.();
  rmSync(root, { recursive: true, force: true });
});

async function setup(responses: FakeResponse[], name = 'c1') {
  const world = gitpodWorld(root, name);
  ({ helm, restore } = await fakeHelmOnPath(responses));
  const { ctx, sink, checkpoints } = makeContext({
    root: join(root, name),
    config: world.config,
    kubeconfig: world.kubeconfig,
    cluster: { valuesFiles: [world.clusterValues] },
  });
  return { world, ctx, sink, checkpoints, prepared: prepareGitpodRelease(ctx)! };
}

const sub = (argv: string[]): string => argv[0] ?? '';

describe('install-gitpod with helm', () => {
  it('installs a missing release with the full non-interactive argv and values in order', async () => {
    const { world, ctx, prepared } = await setup([VERSION, { match: ['list'], stdout: '[]' }, { match: ['upgrade'], stdout: releaseJson({ status: 'deployed', revision: 1 }) }]);
    const check = await step.check!(ctx);
    expect(check).toEqual({ action: 'proceed', reason: 'release gitpod in namespace default does not exist' });
    const outputs = await step.run(ctx);

    const calls = await helm.calls();
    // A first install renders its chart first: its hooks bound how long helm may run (helm-deadline.ts).
    expect(calls.map((c) => sub(c.argv))).toEqual(['version', 'list', 'version', 'list', 'template', 'upgrade']);
    expect(calls[4]?.argv.slice(0, 7)).toEqual(['template', 'gitpod', 'gitpod', '--repo', 'https://charts.example.com', '--version', '1.2.3']);
    const generated = join(ctx.clusterDir, 'values', 'gitpod.generated.yaml');
    expect(calls.at(-1)?.argv).toEqual([
      'upgrade', '--install', 'gitpod', 'gitpod', '--repo', 'https://charts.example.com', '--version', '1.2.3',
      '--kubeconfig', world.kubeconfig, '--namespace', 'default', '--create-namespace',
      '--atomic', '--wait', '--timeout', '900s', '--reset-values', '--history-max', '10',
      '--description', `ws-deployment values-sha256=${prepared.digest}`,
      '--values', world.globalValues, '--values', world.clusterValues, '--values', generated,
      '--set', 'components.proxy.replicas=3', '--set-string', 'installation.tenant=gitpod\\,eu',
      '--output', 'json',
    ]);
    // Helm never shares ~/.config/helm: its dirs live in this cluster's folder, and stdin is empty.
    for (const call of calls) {
      expect(call.env.HELM_CONFIG_HOME).toBe(join(ctx.clusterDir, 'helm', 'install-gitpod', 'config'));
      expect(call.env.HELM_CACHE_HOME).toBe(join(ctx.clusterDir, 'helm', 'install-gitpod', 'cache'));
      expect(call.env.HELM_DATA_HOME).toBe(join(ctx.clusterDir, 'helm', 'install-gitpod', 'data'));
      expect(call.stdin).toBe('');
    }
    const values = parse(readFileSync(generated, 'utf8')) as Record<string, unknown>;
    expect(values).toMatchObject({
      hostname: 'gitpod.example.com',
      workspaceHost: 'ws-eu17.gitpod.example.com',
      installation: { shortname: 'eu17', region: 'europe-west1', cluster: 'gp-prod-ws-eu17-eu-west1', stage: 'production' },
      version: 'commit-abc',
      components: { wsManager: { version: 'commit-def' }, wsDaemon: { version: 'commit-xyz' } },
    });
    expect(outputs).toEqual({
      releases: [{ name: 'gitpod', namespace: 'default', chart: 'gitpod', version: '1.2.3', digest: prepared.digest, status: 'deployed', revision: 1, valuesFiles: [world.globalValues, world.clusterValues, generated] }],
    });
  });

  it('skips a release deployed with the same chart version and values digest, with evidence', async () => {
    const world = gitpodWorld(root, 'probe');
    const { ctx: probeCtx } = makeContext({ root: join(root, 'c1'), config: world.config, cluster: { valuesFiles: [world.clusterValues] } });
    const digest = prepareGitpodRelease(probeCtx)!.digest;
    const { ctx, prepared } = await setup([VERSION, listed(['gitpod']), { match: ['status'], stdout: statusJson({ status: 'deployed', revision: 4, description: `ws-deployment values-sha256=${digest}` }) }]);
    // Same config, different inputs dir: values content is equal, but file paths differ, so the digest (content-based) matches.
    expect(prepared.digest).toBe(digest);
    const check = await step.check!(ctx);
    expect(check.action).toBe('skip');
    expect(check.action === 'skip' && check.evidence).toBe(`release gitpod in namespace default is deployed at revision 4 with chart gitpod 1.2.3 and values digest ${digest.slice(0, 12)}`);
    const outputs = await step.run(ctx);
    expect((await helm.calls()).map((c) => sub(c.argv))).not.toContain('upgrade');
    expect(outputs).toMatchObject({ releases: [{ name: 'gitpod', status: 'unchanged', revision: 4, digest }] });
  });

  it('upgrades when the values digest or the chart version differ', async () => {
    const { ctx } = await setup([
      VERSION,
      { ...listed(['gitpod']), times: 1 },
      { match: ['status'], times: 1, stdout: statusJson({ status: 'deployed', revision: 4, description: `ws-deployment values-sha256=${'0'.repeat(64)}` }) },
      listed(['gitpod'], '1.2.2'),
      { match: ['status'], stdout: statusJson({ status: 'deployed', revision: 4, description: 'Upgrade complete' }) },
      { match: ['upgrade'], stdout: releaseJson({ status: 'deployed', revision: 5 }) },
    ]);
    const first = await step.check!(ctx);
    expect(first).toMatchObject({ action: 'proceed', reason: expect.stringContaining('values digest sha256=000000000000') });
    const second = await step.check!(ctx);
    expect(second).toMatchObject({ action: 'proceed', reason: expect.stringContaining('runs chart version 1.2.2, want 1.2.3') });
    await step.run(ctx);
    expect((await helm.calls()).filter((c) => sub(c.argv) === 'upgrade')).toHaveLength(1);
  });

  /** This step's own journaled mark of a helm call that created `revision` (what an interrupted attempt leaves). */
  const ownRun = (revision: number, command = 'upgrade') => ({ helmRun: { release: 'gitpod', namespace: 'default', command, revision, startedAt: '2026-01-01T00:00:00.000Z' } });
  /** `info.last_deployed` this many minutes ago (the gitpod release's --timeout is 900 s: stale after 35 min). */
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

  it('recovers pending-install left by its own interrupted attempt by uninstalling before installing again', async () => {
    const { world, ctx, sink, checkpoints } = await setup([
      VERSION,
      listed(['gitpod']),
      { match: ['status'], stdout: statusJson({ status: 'pending-install', revision: 1, lastDeployed: minutesAgo(1) }) },
      { match: ['uninstall'], stdout: 'release "gitpod" uninstalled' },
      { match: ['upgrade'], stdout: releaseJson({ status: 'deployed', revision: 1 }) },
    ]);
    ctx.previous = ownRun(1);
    expect(await step.check!(ctx)).toMatchObject({ action: 'proceed' });
    await step.run(ctx);
    const calls = await helm.calls();
    expect(calls.map((c) => sub(c.argv))).toEqual(['version', 'list', 'status', 'version', 'list', 'status', 'uninstall', 'template', 'upgrade']);
    expect(calls[6]?.argv).toEqual(['uninstall', 'gitpod', '--kubeconfig', world.kubeconfig, '--namespace', 'default', '--wait', '--timeout', '900s']);
    const message = sink.events.find((e) => e.code === 'release.recover')?.message;
    expect(message).toContain('is pending-install at revision 1; safe to recover: revision 1 was started by an earlier attempt of this step in deployment deploy-1');
    expect(message).toContain('uninstalling it before installing again');
    // The new install is journaled before helm runs: it creates revision 1 again.
    expect(checkpoints).toEqual([{ helmRun: expect.objectContaining({ release: 'gitpod', command: 'upgrade', revision: 1 }) }]);
  });

  it.each(['pending-upgrade', 'pending-rollback'])('recovers %s left by its own interrupted attempt by rolling back to the last deployed revision', async (status) => {
    const { world, ctx, sink, checkpoints } = await setup([
      VERSION,
      listed(['gitpod']),
      { match: ['status'], stdout: statusJson({ status, revision: 7, lastDeployed: minutesAgo(1) }) },
      {
        match: ['history'],
        stdout: historyJson([
          { revision: 4, status: 'superseded' },
          { revision: 5, status: status === 'pending-upgrade' ? 'deployed' : 'superseded' },
          { revision: 6, status: 'failed' },
          { revision: 7, status },
        ]),
      },
      { match: ['rollback'], stdout: 'Rollback was a success! Happy Helming!' },
      { match: ['upgrade'], stdout: releaseJson({ status: 'deployed', revision: 9 }) },
    ]);
    ctx.previous = ownRun(7, status === 'pending-upgrade' ? 'upgrade' : 'rollback');
    await step.run(ctx);
    const calls = await helm.calls();
    expect(calls.map((c) => sub(c.argv))).toEqual(['version', 'list', 'status', 'history', 'rollback', 'template', 'upgrade']);
    expect(calls[4]?.argv).toEqual(['rollback', 'gitpod', '5', '--kubeconfig', world.kubeconfig, '--namespace', 'default', '--wait', '--timeout', '900s']);
    const recover = sink.events.find((e) => e.code === 'release.recover');
    expect(recover?.level).toBe('warn');
    expect(recover?.data).toMatchObject({ action: 'rollback', from: 7, to: 5 });
    // Each mutating call is journaled before it runs, with the revision it creates.
    expect(checkpoints.map((c) => c.helmRun)).toEqual([
      expect.objectContaining({ command: 'rollback', revision: 8 }),
      expect.objectContaining({ command: 'upgrade', revision: 9 }),
    ]);
  });

  it.each([
    ['pending-upgrade', undefined, '`helm rollback gitpod 5 --namespace default --kubeconfig '],
    ['pending-install', undefined, '`helm uninstall gitpod --namespace default --kubeconfig '],
    // Our own mark names another revision: a newer run (not ours) is pending now.
    ['pending-upgrade', 6, '`helm rollback gitpod 5 --namespace default --kubeconfig '],
  ] as const)('refuses to recover a %s another live helm run may own (own mark: %s), naming it, since when, and the fixes', async (status, marked, fix) => {
    const since = minutesAgo(3);
    const { world, ctx } = await setup([
      VERSION,
      listed(['gitpod']),
      { match: ['status'], stdout: statusJson({ status, revision: 7, lastDeployed: since }) },
      { match: ['history'], stdout: historyJson([{ revision: 5, status: 'deployed' }, { revision: 6, status: 'failed' }, { revision: 7, status }]) },
    ]);
    if (marked) ctx.previous = ownRun(marked);
    const check = await step.check!(ctx);
    expect(check.action).toBe('refuse');
    const reason = check.action === 'refuse' ? check.reason : '';
    expect(reason).toContain(`release gitpod in namespace default is ${status} at revision 7 since ${since} (3 min ago), and not from an interrupted attempt of deployment deploy-1`);
    expect(reason).toContain('another helm run (an operator or a CI job) may still be working on it');
    expect(reason).toContain('`ws-deployment resume deploy-1`');
    expect(reason).toContain(`after ${new Date(Date.parse(since) + 35 * 60_000).toISOString()} it counts as abandoned`);
    expect(reason).toContain(`${fix}${world.kubeconfig}\``);
    expect(reason).toContain('resume with --overwrite');
    // run re-observes and refuses the same way, changing nothing.
    await expect(step.run(ctx)).rejects.toMatchObject({ code: 'PreCheckRefused', message: expect.stringContaining(`is ${status} at revision 7 since ${since}`) });
    expect((await helm.calls()).map((c) => sub(c.argv)).filter((s) => ['rollback', 'uninstall', 'upgrade'].includes(s))).toEqual([]);
  });

  it('recovers a pending release older than any live helm run can be, and says why that is safe', async () => {
    const { ctx, sink } = await setup([
      VERSION,
      listed(['gitpod']),
      { match: ['status'], stdout: statusJson({ status: 'pending-upgrade', revision: 7, lastDeployed: minutesAgo(36) }) },
      { match: ['history'], stdout: historyJson([{ revision: 6, status: 'deployed' }, { revision: 7, status: 'pending-upgrade' }]) },
      { match: ['rollback'], stdout: 'Rollback was a success! Happy Helming!' },
      { match: ['upgrade'], stdout: releaseJson({ status: 'deployed', revision: 9 }) },
    ]);
    expect(await step.check!(ctx)).toMatchObject({ action: 'proceed' });
    await step.run(ctx);
    expect((await helm.calls()).map((c) => sub(c.argv))).toContain('rollback');
    const message = sink.events.find((e) => e.code === 'release.recover')?.message;
    expect(message).toMatch(/safe to recover: it has been pending since \S+ \(36 min ago\), longer than any live helm run of ours with --timeout 900s can take on it, its hooks included \(2100 s\)/);
    expect(message).toContain('rolling back to revision 6');
  });

  // A helm of ours may work on a release with hooks far longer than 2 × timeout (helm-deadline.ts): each
  // hook run waits up to 3 × 900 s. Hand-worked bounds, each the backstop's (waits × 900 s + 120 s) + 180 s of skew:
  // pending-upgrade 7 with a pre-upgrade hook, whose atomic rollback to 6 runs 6's post-rollback hook:
  //   (2 + 3 × 2) × 900 + 120 + 180 = 7500 s = 125 min;
  // pending-rollback 7 holding (as helm stores it) the post-rollback hook of its target: (1 + 3) × 900 + 300 = 3900 s = 65 min.
  it.each([
    ['pending-upgrade', 125],
    ['pending-rollback', 65],
  ] as const)('takes a foreign %s with hooks as abandoned only past the longest run of a helm of ours (%i min), not before', async (status, bound) => {
    const world = (minutes: number) => [
      VERSION,
      listed(['gitpod']),
      // The rollback target's hooks, as `helm status --revision 6` shows them.
      { match: ['status', '--revision', '6'], stdout: statusJson({ status: 'deployed', revision: 6, hooks: [['pre-upgrade'], ['post-rollback']] }) },
      { match: ['status'], stdout: statusJson({ status, revision: 7, lastDeployed: minutesAgo(minutes), hooks: status === 'pending-upgrade' ? [['pre-upgrade'], ['test']] : [['post-rollback']] }) },
      { match: ['history'], stdout: historyJson([{ revision: 6, status: 'deployed' }, { revision: 7, status }]) },
      { match: ['rollback'], stdout: 'Rollback was a success! Happy Helming!' },
      { match: ['upgrade'], stdout: releaseJson({ status: 'deployed', revision: 9 }) },
    ];
    const young = await setup(world(bound - 1));
    const refused = await step.check!(young.ctx);
    expect(refused.action).toBe('refuse');
    const reason = refused.action === 'refuse' ? refused.reason : '';
    const since = Date.parse(/since (\S+) \(/.exec(reason)?.[1] ?? '');
    expect(reason).toContain(`after ${new Date(since + bound * 60_000).toISOString()} it counts as abandoned`);
    await restore();

    const old = await setup(world(bound + 1));
    expect(await step.check!(old.ctx)).toMatchObject({ action: 'proceed' });
    await step.run(old.ctx);
    expect((await helm.calls()).map((c) => sub(c.argv))).toContain('rollback');
    expect(old.sink.events.find((e) => e.code === 'release.recover')?.message).toContain(`its hooks included (${bound * 60} s)`);
  });

  it('recovers a young foreign pending release with --overwrite, saying so', async () => {
    const { ctx, sink } = await setup([
      VERSION,
      listed(['gitpod']),
      { match: ['status'], stdout: statusJson({ status: 'pending-install', revision: 1, lastDeployed: minutesAgo(2) }) },
      { match: ['uninstall'], stdout: 'release "gitpod" uninstalled' },
      { match: ['upgrade'], stdout: releaseJson({ status: 'deployed', revision: 1 }) },
    ]);
    ctx.options.overwrite = true;
    await step.run(ctx);
    expect((await helm.calls()).map((c) => sub(c.argv))).toContain('uninstall');
    expect(sink.events.find((e) => e.code === 'release.recover')?.message).toContain('not from this deployment, but --overwrite was given');
  });

  it('upgrades a failed release without any recovery', async () => {
    const { ctx } = await setup([
      VERSION,
      listed(['gitpod']),
      { match: ['status'], stdout: statusJson({ status: 'failed', revision: 3 }) },
      { match: ['upgrade'], stdout: releaseJson({ status: 'deployed', revision: 4 }) },
    ]);
    await step.run(ctx);
    expect((await helm.calls()).map((c) => sub(c.argv))).toEqual(['version', 'list', 'status', 'template', 'upgrade']);
  });

  it('never shares a kubeconfig or helm home between two clusters deployed in parallel', async () => {
    const a = gitpodWorld(root, 'a');
    const b = gitpodWorld(root, 'b');
    ({ helm, restore } = await fakeHelmOnPath([VERSION, { match: ['list'], stdout: '[]' }, { match: ['upgrade'], stdout: releaseJson({ status: 'deployed', revision: 1 }) }]));
    const ca = makeContext({ root: join(root, 'a'), config: a.config, kubeconfig: a.kubeconfig, cluster: { name: 'gp-prod-ws-eu17-eu-west1' } }).ctx;
    const cb = makeContext({ root: join(root, 'b'), config: b.config, kubeconfig: b.kubeconfig, cluster: { name: 'gp-prod-ws-eu18-eu-west1', shortName: 'eu18', id: 18 } }).ctx;
    await Promise.all([step.run(ca), step.run(cb)]);
    const calls = await helm.calls();
    expect(calls).toHaveLength(8);
    for (const call of calls) {
      const mine = call.env.HELM_CONFIG_HOME === join(ca.clusterDir, 'helm', 'install-gitpod', 'config') ? a : b;
      const dir = mine === a ? ca.clusterDir : cb.clusterDir;
      expect(call.env.HELM_CONFIG_HOME).toBe(join(dir, 'helm', 'install-gitpod', 'config'));
      expect(call.env.KUBECONFIG).toBe(mine.kubeconfig);
      const flag = call.argv.indexOf('--kubeconfig');
      if (flag >= 0) expect(call.argv[flag + 1]).toBe(mine.kubeconfig);
    }
    expect(new Set(calls.map((c) => c.env.KUBECONFIG))).toEqual(new Set([a.kubeconfig, b.kubeconfig]));
    expect(calls.every((c) => c.env.HELM_NAMESPACE === null)).toBe(true);
  });

  it('gives each release of one cluster its own helm home, so releases installing at the same time never share a cache', async () => {
    const world = gitpodWorld(root, 'one');
    ({ helm, restore } = await fakeHelmOnPath([VERSION, { match: ['template'], stdout: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' }]));
    const { ctx } = makeContext({ root: join(root, 'one'), config: { ...world.config, jaeger: { instance: { spec: { strategy: 'allInOne' } } } }, kubeconfig: world.kubeconfig });
    ctx.options.dryRun = true;
    await Promise.all([step.run(ctx), createInstallJaegerStep({ pollMs: 10 }).run(ctx)]);
    const calls = (await helm.calls()).filter((c) => sub(c.argv) === 'template');
    const homes = (name: string) => new Set(calls.filter((c) => c.argv[1] === name).flatMap((c) => [c.env.HELM_CONFIG_HOME, c.env.HELM_CACHE_HOME, c.env.HELM_DATA_HOME]));
    expect(homes('gitpod')).toEqual(new Set(['config', 'cache', 'data'].map((d) => join(ctx.clusterDir, 'helm', 'install-gitpod', d))));
    expect(homes('jaeger-operator')).toEqual(new Set(['config', 'cache', 'data'].map((d) => join(ctx.clusterDir, 'helm', 'install-jaeger', d))));
  });

  it('renders with helm template for --dry-run, without touching the cluster', async () => {
    const { world, ctx } = await setup([VERSION, { match: ['template'], stdout: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ws-manager}\n' }]);
    ctx.options.dryRun = true;
    expect(await step.check!(ctx)).toMatchObject({ action: 'proceed' });
    const outputs = await step.run(ctx);
    const calls = await helm.calls();
    expect(calls.map((c) => sub(c.argv))).toEqual(['version', 'template']);
    expect(calls[1]?.argv).not.toContain('--kubeconfig');
    expect(calls[1]?.argv.slice(0, 8)).toEqual(['template', 'gitpod', 'gitpod', '--repo', 'https://charts.example.com', '--version', '1.2.3', '--namespace']);
    expect(calls[1]?.argv).toContain(world.globalValues);
    expect(readFileSync(join(ctx.clusterDir, 'releases', 'gitpod', 'manifest.yaml'), 'utf8')).toContain('ws-manager');
    expect(outputs).toMatchObject({ dryRun: true, releases: [{ name: 'gitpod', status: 'rendered', rendering: 'helm template' }] });
  });

  it('plans chart, version, values files in order and the merged digest without running anything', async () => {
    const { world, ctx, prepared } = await setup([]);
    const actions = step.describe(ctx);
    const command = actions.find((a) => a.kind === 'command' && a.argv?.[1] === 'upgrade');
    // Every install or upgrade renders the chart first, to count its hooks (they bound how long helm may run).
    const render = actions.find((a) => a.kind === 'command' && a.argv?.[1] === 'template');
    expect(render?.description).toBe('render gitpod to count its hooks (they bound how long helm may run)');
    expect(actions.indexOf(render!)).toBeLessThan(actions.indexOf(command!));
    expect(command?.data).toEqual({
      release: 'gitpod',
      namespace: 'default',
      chart: 'gitpod',
      version: '1.2.3',
      valuesFiles: [world.globalValues, world.clusterValues, join(ctx.clusterDir, 'values', 'gitpod.generated.yaml')],
      digest: prepared.digest,
      digestKind: 'sha256',
    });
    expect(command?.argv?.slice(0, 4)).toEqual(['helm', 'upgrade', '--install', 'gitpod']);
    expect(await helm.calls()).toEqual([]);
    expect(existsSync(join(ctx.clusterDir, 'values'))).toBe(false);
  });

  it('plans a repository with credentials as a 0600 file and a repo update, with no credentials in any argv', async () => {
    const world = gitpodWorld(root);
    const gitpod = world.config.gitpod as Record<string, unknown>;
    const chart = { repository: 'https://robot:s3cret@charts.example.com/gitpod', name: 'gitpod', version: '1.2.3' };
    const { ctx } = makeContext({ root, config: { ...world.config, gitpod: { ...gitpod, chart } }, kubeconfig: world.kubeconfig });
    const actions = step.describe(ctx);
    const file = join(ctx.clusterDir, 'values', 'gitpod.secret-repositories.yaml');
    expect(actions.find((a) => a.kind === 'file' && a.path === file)?.description).toContain('0600');
    const commands = actions.filter((a) => a.kind === 'command').map((a) => a.argv ?? []);
    expect(commands.map((argv) => argv.slice(1, 3))).toEqual([['repo', 'update'], ['template', 'gitpod'], ['upgrade', '--install']]);
    expect(commands[1]).toContain('ws-deployment-gitpod/gitpod');
    expect(commands[2]).toContain('ws-deployment-gitpod/gitpod');
    expect(JSON.stringify(actions)).not.toMatch(/s3cret|robot/);
    expect(existsSync(file)).toBe(false);
  });
});
