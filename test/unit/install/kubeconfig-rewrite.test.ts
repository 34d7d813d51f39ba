/**
 * A cluster's kubeconfig is a cache in the state dir (create-cluster/kubeconfig.ts): a later step that finds it gone
 * (a state dir restored without it, a run journaled in PostgreSQL resumed in a fresh work dir) writes it again as
 * create-cluster did, instead of failing with "run create-cluster again", which `resume` cannot do for a done step.
 * gcloud is a recording fake (no GKE here); the releases of a cluster ask at the same time, so one rewrite serves all.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventInput } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { kubeconfigFor } from '../../../src/steps/install/cluster-context.js';
import { createFakeBin, type FakeBin } from '../../helpers/fake-bin.js';

const NAME = 'gp-prod-ws-eu117-eu-west1';
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

function context(type: 'gke' | 'k3s', created: Record<string, unknown>) {
  const events: EventInput[] = [];
  const ctx = {
    cluster: { name: NAME, shortName: 'eu117', region: 'europe-west1', type },
    config: { project: { id: 'gitpod-test', gcpSACredFile: '/nonexistent/sa.json' } },
    outputs: { 'create-cluster': created },
    sink: { emit: (e: EventInput) => void events.push(e) },
    signal: new AbortController().signal,
    logFile: join(dirOf(created), 'step.log'),
    redactor: new Redactor(),
  } as unknown as Parameters<typeof kubeconfigFor>[0];
  return { ctx, events };
}

function dirOf(created: Record<string, unknown>): string {
  return join(String(created.kubeconfig), '..');
}

function clusterDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-kubeconfig-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function fakeGcloud(): Promise<FakeBin> {
  const bin = await createFakeBin('gcloud', {
    responses: [{ match: ['get-credentials'], delayMs: 300, stdout: 'kubeconfig entry generated\n', writeToEnvFile: { env: 'KUBECONFIG', content: 'apiVersion: v1\nkind: Config\n' } }],
    recordEnv: ['KUBECONFIG'],
  });
  const path = process.env.PATH;
  process.env.PATH = bin.pathEnv().PATH;
  cleanup.push(async () => {
    process.env.PATH = path;
    await bin.cleanup();
  });
  return bin;
}

describe('kubeconfigFor', () => {
  it('a GKE cluster’s kubeconfig that is gone is fetched again with get-credentials, once for the releases that ask together', async () => {
    const gcloud = await fakeGcloud();
    const kubeconfig = join(clusterDir(), 'kubeconfig');
    const { ctx, events } = context('gke', { kubeconfig });
    const paths = await Promise.all([kubeconfigFor(ctx), kubeconfigFor(ctx), kubeconfigFor(ctx)]);
    expect(paths).toEqual([kubeconfig, kubeconfig, kubeconfig]);
    expect(readFileSync(kubeconfig, 'utf8')).toContain('kind: Config');
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
    const calls = await gcloud.calls();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.argv.slice(0, 4)).toEqual(['container', 'clusters', 'get-credentials', NAME]);
    expect(calls[0]?.env.KUBECONFIG).toBe(kubeconfig);
    expect(events.filter((e) => e.code === 'kubeconfig.rewritten')).toHaveLength(1);
  });

  it('a module-built kubeconfig that is gone is written again from the endpoint and CA create-cluster journaled', async () => {
    const kubeconfig = join(clusterDir(), 'kubeconfig');
    const { ctx, events } = context('k3s', { kubeconfig, endpoint: '10.0.0.7:6443', ca_certificate: 'Q0EtREFUQQ==' });
    expect(await kubeconfigFor(ctx)).toBe(kubeconfig);
    const doc = JSON.parse(readFileSync(kubeconfig, 'utf8')) as { clusters: Array<{ name: string; cluster: Record<string, string> }>; 'current-context': string };
    expect(doc.clusters[0]).toEqual({ name: NAME, cluster: { server: 'https://10.0.0.7:6443', 'certificate-authority-data': 'Q0EtREFUQQ==' } });
    expect(doc['current-context']).toBe(NAME);
    expect(events.map((e) => e.code)).toEqual(['kubeconfig.rewritten']);
  });

  it('without the journaled endpoint and CA (an older run) it says what is gone and how to put it back', async () => {
    const kubeconfig = join(clusterDir(), 'kubeconfig');
    const { ctx } = context('k3s', { kubeconfig });
    await expect(kubeconfigFor(ctx)).rejects.toThrow(new RegExp(`kubeconfig ${kubeconfig} of cluster ${NAME} is gone.*write the cluster's kubeconfig to that path.*then resume`));
    expect(existsSync(kubeconfig)).toBe(false);
  });

  it('a kubeconfig that is there is used as it is: no tool runs, nothing is said', async () => {
    const gcloud = await fakeGcloud();
    const kubeconfig = join(clusterDir(), 'kubeconfig');
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n# ours\n');
    const { ctx, events } = context('gke', { kubeconfig });
    expect(await kubeconfigFor(ctx)).toBe(kubeconfig);
    expect(readFileSync(kubeconfig, 'utf8')).toContain('# ours');
    expect(await gcloud.calls()).toEqual([]);
    expect(events).toEqual([]);
  });
});
