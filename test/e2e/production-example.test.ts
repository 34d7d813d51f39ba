/**
 * examples/production.yaml (gke in two regions, two meta clusters, gcs state, the real
 * chart repositories, Prometheus gates) validates and plans offline, with a recording
 * gcloud first on PATH: plan with a given cluster id needs no cloud call at all.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeBin, type FakeBin } from '../helpers/fake-bin.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

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
});
