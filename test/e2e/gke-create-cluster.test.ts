/**
 * The gke path of CreateCluster through the real CLI: gcloud is a recording
 * fake on PATH (there is no GKE here), Terraform is real with a fixture module
 * of the same variable contract (the sandbox module) and a local backend.
 * Proves the pre-run check's three answers (absent → create, found → refuse,
 * auth error → error, never "absent") and the per-cluster kubeconfig.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeBin, type FakeBin, type FakeResponse } from '../helpers/fake-bin.js';
import { requireBinary } from '../helpers/require-binary.js';
import { REPO, runCli, sandboxWorkspace } from '../helpers/cli.js';
import { gcloudStderr } from '../fixtures/recorded/gcloud-outputs.js';

const hasTerraform = requireBinary('terraform', 'CreateCluster runs real terraform');
const NAME = 'gp-prod-ws-eu117-eu-west1';
// Real gcloud wording, recorded by test/fixtures/recorded/record-gcloud.mjs for gp-prod-ws-eu17-eu-west1
// (an id below 100 is refused now); only the cluster name is swapped in.
/** As gcloud get-credentials writes it (context, cluster and user named gke_<project>_<region>_<name>). */
const GKE_CONTEXT = `gke_gitpod-test_europe-west1_${NAME}`;
const GCLOUD_KUBECONFIG = `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: Q0E=\n    server: https://34.1.2.3\n  name: ${GKE_CONTEXT}\ncontexts:\n- context:\n    cluster: ${GKE_CONTEXT}\n    user: ${GKE_CONTEXT}\n  name: ${GKE_CONTEXT}\ncurrent-context: ${GKE_CONTEXT}\nusers:\n- name: ${GKE_CONTEXT}\n  user: {}\n`;
const NOT_FOUND = gcloudStderr('notFound').replaceAll('gp-prod-ws-eu17-eu-west1', NAME);

function config(dir: string): string {
  const file = join(dir, 'gke.yaml');
  writeFileSync(join(dir, 'sa.json'), JSON.stringify({ type: 'service_account', private_key_id: 'gke-test-key-id-0001' }));
  writeFileSync(
    file,
    `version: v1
environment: production
project: { id: gitpod-test, gcpSACredFile: ./sa.json, network: gitpod-prod, dnsZone: gitpod.test }
metaClusters: [{ name: prod-meta-eu01, region: europe-west1 }]
workspaceClusters:
  - { region: europe-west1, prefix: eu, governedBy: prod-meta-eu01, type: gke }
terraform:
  module: { source: ${join(REPO, 'terraform', 'modules', 'sandbox-cluster')} }
  backend: { type: local }
`,
  );
  return file;
}

describe.skipIf(!hasTerraform)('CreateCluster on gke', () => {
  const ws = sandboxWorkspace();
  let gcloud: FakeBin | undefined;
  afterEach(async () => {
    await gcloud?.cleanup();
  });

  const run = async (responses: FakeResponse[]) => {
    gcloud = await createFakeBin('gcloud', { responses, recordEnv: ['CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE', 'KUBECONFIG', 'GOOGLE_APPLICATION_CREDENTIALS'] });
    const result = await runCli(['deploy', '--config', config(ws.dir), '--state-dir', ws.stateDir, '--cluster-id', '117', '--only', 'create-cluster', '--allow-unfinished'], {
      env: { PATH: gcloud.pathEnv().PATH },
    });
    return { result, calls: await gcloud.calls() };
  };

  it('creates the cluster when GKE says not found, and writes its own kubeconfig with get-credentials', async () => {
    const { result, calls } = await run([
      { match: ['describe'], exitCode: 1, stderr: NOT_FOUND },
      { match: ['get-credentials'], stdout: 'kubeconfig entry generated\n', writeToEnvFile: { env: 'KUBECONFIG', content: GCLOUD_KUBECONFIG } },
    ]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code).toBe(0);
    const describe = calls.find((c) => c.argv.includes('describe'));
    expect(describe?.argv).toEqual(['container', 'clusters', 'describe', NAME, '--project', 'gitpod-test', '--region', 'europe-west1', '--format=json']);
    // The key file goes to this gcloud process only, through its environment.
    expect(describe?.env.CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE).toBe(join(ws.dir, 'sa.json'));
    const creds = calls.find((c) => c.argv.includes('get-credentials'));
    expect(creds?.argv.slice(0, 4)).toEqual(['container', 'clusters', 'get-credentials', NAME]);
    const kubeconfig = creds?.env.KUBECONFIG as string;
    expect(kubeconfig).toMatch(new RegExp(`${ws.stateDir}/\\d{8}-\\d{6}-[0-9a-f]{4}/${NAME}/kubeconfig$`));
    expect(existsSync(kubeconfig)).toBe(true);
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
    // The server and CA gcloud wrote are journaled: a later step tells a kubeconfig of this name pointing elsewhere (kubeconfig-owner.ts).
    const journal = readFileSync(join(kubeconfig, '..', '..', 'journal.ndjson'), 'utf8');
    const succeeded = journal.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; outputs?: Record<string, unknown> }).find((r) => r.type === 'step.succeeded');
    expect(succeeded?.outputs).toMatchObject({ kubeServer: 'https://34.1.2.3', kubeCa: 'Q0E=' });
    const state = JSON.parse(readFileSync(join(ws.stateDir, 'terraform-state', `${NAME}.tfstate`), 'utf8')) as { resources: unknown[] };
    expect(state.resources.length).toBeGreaterThan(0);
  });

  it('refuses (exit 3) when GKE already has a cluster of that name from elsewhere', async () => {
    const { result } = await run([{ match: ['describe'], stdout: JSON.stringify({ name: NAME, status: 'RUNNING' }) }]);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(new RegExp(`cluster ${NAME} already exists \\(GKE project gitpod-test\\) and was not created by deployment`));
  });

  it('treats an authentication error as an error, never as "absent"', async () => {
    const { result, calls } = await run([
      { match: ['describe'], exitCode: 1, stderr: gcloudStderr('noActiveAccount') },
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/could not tell whether cluster .* exists/);
    expect(calls.some((c) => c.argv.includes('get-credentials'))).toBe(false);
  });
});
