/**
 * examples/production.yaml (gke in two regions, two meta clusters, gcs state, the real
 * chart repositories, Prometheus gates) validates and plans offline, with a recording
 * gcloud first on PATH: plan with a given cluster id needs no cloud call at all.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeBin, type FakeBin } from '../helpers/fake-bin.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';
import { realHelms } from '../fixtures/install/real-helm.js';

describe('the production example', () => {
  const ws = sandboxWorkspace();
  const config = join(ws.dir, 'examples', 'production.yaml');
  let gcloud: FakeBin;
  beforeAll(async () => {
    gcloud = await createFakeBin('gcloud', { responses: [] });
  });
  afterAll(async () => {
    await gcloud.cleanup();
    ws.cleanup();
  });

  it('validates', async () => {
    const result = await runCli(['validate', '--config', config], { env: { PATH: gcloud.pathEnv().PATH } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('valid (2 workspace cluster(s), 2 meta cluster(s), environment production)');
  });

  it('plans both gke clusters with the real chart repositories, without calling gcloud', async () => {
    const result = await runCli(['plan', '--config', config, '--state-dir', ws.stateDir, '--cluster-id', '117', '--output', 'json'], { env: { PATH: gcloud.pathEnv().PATH } });
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { clusters: Array<{ name: string; steps: Array<{ name: string; actions?: Array<{ argv?: string[] }> }> }> };
    expect(doc.clusters.map((c) => c.name)).toEqual(['gp-prod-ws-eu117-eu-west1', 'gp-prod-ws-us117-us-west1']);
    expect(result.stdout).toContain('https://charts.gitpod.io');
    expect(result.stdout).toContain('https://jaegertracing.github.io/helm-charts');
    expect(await gcloud.calls()).toEqual([]);
  });

  // What deploy would run is `helm upgrade` with the flags of the helm it finds: helm 4 renamed `--atomic`.
  it.each(realHelms().map((h) => [h.major, h] as const))('shows helm %i\'s upgrade flags when that helm is the one deploy would run', async (major, helm) => {
    const result = await runCli(['plan', '--config', config, '--state-dir', ws.stateDir, '--cluster-id', '117', '--output', 'json'], { env: { PATH: gcloud.pathEnv().PATH, WSD_HELM: helm.path } });
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { clusters: Array<{ steps: Array<{ actions: Array<{ description: string; argv?: string[] }> }> }> };
    const upgrades = doc.clusters.flatMap((c) => c.steps.flatMap((s) => s.actions)).filter((a) => a.argv?.[1] === 'upgrade');
    expect(upgrades).toHaveLength(6);
    for (const a of upgrades) {
      expect(a.argv).toEqual(expect.arrayContaining(major === 4 ? ['--rollback-on-failure', '--wait'] : ['--atomic', '--wait']));
      expect(a.argv).not.toContain(major === 4 ? '--atomic' : '--rollback-on-failure');
      expect(a.description).toContain(`(helm ${major})`);
    }
  });

  it('says when no helm is found, and shows helm 3\'s flags', async () => {
    const result = await runCli(['plan', '--config', config, '--state-dir', ws.stateDir, '--cluster-id', '117', '--output', 'json'], { env: { PATH: gcloud.pathEnv().PATH, WSD_HELM: join(ws.dir, 'no-such-helm') } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('(no helm found: shown with helm 3 flags)');
    expect(result.stdout).toContain('"--atomic"');
  });
});
