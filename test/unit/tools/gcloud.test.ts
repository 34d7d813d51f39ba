import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { describeCluster, getCredentials, isClusterNotFound } from '../../../src/tools/gcloud.js';
import { createFakeBin, type FakeBin, type FakeResponse } from '../../helpers/fake-bin.js';
import { gcloudStderr } from '../../fixtures/recorded/gcloud-outputs.js';

const REF = { name: 'gp-prod-ws-eu17-eu-west1', project: 'gitpod-prod-123', region: 'europe-west1' };
const CRED_ENV = ['CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE', 'GOOGLE_APPLICATION_CREDENTIALS', 'KUBECONFIG', 'CLOUDSDK_CORE_DISABLE_PROMPTS'];

// Real gcloud answers (stderr, exit 1), recorded by test/fixtures/recorded/record-gcloud.mjs, moved to this project.
const NOT_FOUND = gcloudStderr('notFound', REF.project);
const NO_AUTH = gcloudStderr('noActiveAccount', REF.project);
const DENIED = gcloudStderr('permissionDenied', REF.project).split('gp-prod-ws-eu18-eu-west1').join(REF.name);
const BAD_KEY = gcloudStderr('malformedKeyFile', REF.project);
const NETWORK = gcloudStderr('tokenEndpointUnreachable', REF.project);
// Not recordable offline (the project lookup happens on Google's side); same ResponseError shape as NOT_FOUND above.
const PROJECT_GONE = "ERROR: (gcloud.container.clusters.describe) ResponseError: code=404, message=Not found: projects/gitpod-prod-123.\n";

const bins: FakeBin[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const bin of bins.splice(0)) await bin.cleanup();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function fakeGcloud(...responses: FakeResponse[]): Promise<FakeBin> {
  const bin = await createFakeBin('gcloud', { responses, recordEnv: CRED_ENV });
  bins.push(bin);
  return bin;
}

describe('describeCluster', () => {
  it('runs exactly the documented argv and returns the cluster', async () => {
    const gcloud = await fakeGcloud({ stdout: JSON.stringify({ name: REF.name, status: 'RUNNING', endpoint: '34.1.2.3' }) });
    const result = await describeCluster({ ...REF, env: gcloud.pathEnv() });
    expect(result).toEqual({ exists: true, cluster: { name: REF.name, status: 'RUNNING', endpoint: '34.1.2.3' } });
    const [call] = await gcloud.calls();
    expect(call!.argv).toEqual(['container', 'clusters', 'describe', REF.name, '--project', 'gitpod-prod-123', '--region', 'europe-west1', '--format=json']);
    expect(call!.env.CLOUDSDK_CORE_DISABLE_PROMPTS).toBe('1');
  });

  it('reports absent only on NOT_FOUND for this very cluster', async () => {
    const gcloud = await fakeGcloud({ stderr: NOT_FOUND, exitCode: 1 });
    expect(await describeCluster({ ...REF, env: gcloud.pathEnv() })).toEqual({ exists: false });
  });

  it.each([
    ['no credentials', NO_AUTH],
    ['permission denied', DENIED],
    ['project not found', PROJECT_GONE],
    ['a malformed key file', BAD_KEY],
    ['an unreachable token endpoint', NETWORK],
  ])('turns %s into an error, never into "absent"', async (_label, stderr) => {
    const gcloud = await fakeGcloud({ stderr, exitCode: 1 });
    await expect(describeCluster({ ...REF, env: gcloud.pathEnv() })).rejects.toMatchObject({
      code: 'ToolFailed',
      message: expect.stringContaining(`could not tell whether cluster ${REF.name} exists`),
    });
  });

  it('passes the credential file to this gcloud process only', async () => {
    const gcloud = await fakeGcloud({ stdout: '{"name":"x"}' });
    const before = process.env.CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE;
    await describeCluster({ ...REF, credFile: '/secrets/sa.json', env: gcloud.pathEnv() });
    const [call] = await gcloud.calls();
    expect(call!.env.CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE).toBe('/secrets/sa.json');
    expect(call!.env.GOOGLE_APPLICATION_CREDENTIALS).toBeNull();
    expect(process.env.CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE).toBe(before);
  });

  it('keeps the cluster description out of the event stream', async () => {
    const gcloud = await fakeGcloud({ stdout: '{"masterAuth":{"clientKey":"c2VjcmV0LWtleQ=="}}' });
    const sink = new MemorySink();
    await describeCluster({ ...REF, env: gcloud.pathEnv(), sink });
    expect(JSON.stringify(sink.events)).not.toContain('c2VjcmV0LWtleQ');
  });

  it('refuses names that would reach argv as flags', async () => {
    await expect(describeCluster({ ...REF, name: '--impersonate-service-account=x' })).rejects.toMatchObject({ code: 'ConfigInvalid' });
    await expect(describeCluster({ ...REF, project: '-p' })).rejects.toMatchObject({ code: 'ConfigInvalid' });
  });
});

describe('isClusterNotFound', () => {
  it('does not confuse a cluster whose name extends ours', () => {
    expect(isClusterNotFound(NOT_FOUND.replace(`clusters/${REF.name}.`, `clusters/${REF.name}-b.`), REF)).toBe(false);
  });
});

describe('getCredentials', () => {
  it('writes the kubeconfig through KUBECONFIG with mode 0600, never ~/.kube/config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wsd-gcloud-'));
    dirs.push(dir);
    const gcloud = await fakeGcloud({ match: ['get-credentials'], writeToEnvFile: { env: 'KUBECONFIG', content: 'apiVersion: v1\nkind: Config\n' } });
    const kubeconfigPath = join(dir, 'clusters', 'eu17.kubeconfig');
    const result = await getCredentials({ ...REF, kubeconfigPath, credFile: '/secrets/sa.json', env: gcloud.pathEnv() });
    expect(result.kubeconfigPath).toBe(kubeconfigPath);
    expect(await readFile(kubeconfigPath, 'utf8')).toContain('kind: Config');
    expect((await stat(kubeconfigPath)).mode & 0o777).toBe(0o600);
    const [call] = await gcloud.calls();
    expect(call!.argv).toEqual(['container', 'clusters', 'get-credentials', REF.name, '--project', 'gitpod-prod-123', '--region', 'europe-west1']);
    expect(call!.env.KUBECONFIG).toBe(kubeconfigPath);
    expect(call!.env.CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE).toBe('/secrets/sa.json');
  });

  it('reports gcloud failures with the reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wsd-gcloud-'));
    dirs.push(dir);
    const gcloud = await fakeGcloud({ stderr: NO_AUTH, exitCode: 1 });
    await expect(getCredentials({ ...REF, kubeconfigPath: join(dir, 'kc'), env: gcloud.pathEnv() })).rejects.toMatchObject({
      code: 'ToolFailed',
      message: expect.stringContaining('You do not currently have an active account selected'),
    });
  });
});
