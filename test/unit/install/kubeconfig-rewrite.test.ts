/**
 * A cluster's kubeconfig is a cache in the state dir (create-cluster/kubeconfig.ts): a later step that finds it gone
 * (a state dir restored without it, a run journaled in PostgreSQL resumed in a fresh work dir) writes it again as
 * create-cluster did, instead of failing with "run create-cluster again", which `resume` cannot do for a done step.
 * gcloud is a recording fake (no GKE here); the releases of a cluster ask at the same time, so one rewrite serves all.
 * Another cluster's kubeconfig copied over it was used as it was (helm installed into that cluster): now it is moved
 * aside and written again, said as a warning (create-cluster/kubeconfig-owner.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeKubeconfigFromOutputs } from '../../../src/steps/create-cluster/kubeconfig.js';
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

  it('another cluster’s module-built kubeconfig copied over this one is moved aside and written again from the journal, with a warning', async () => {
    const kubeconfig = join(clusterDir(), 'kubeconfig');
    // What create-cluster wrote for another cluster (its own server and CA), copied over this cluster's.
    writeKubeconfigFromOutputs(kubeconfig, { name: 'gp-prod-ws-us117-us-west1', endpoint: '10.0.0.9:6443', caCertificate: 'T1RIRVI=' });
    const theirs = readFileSync(kubeconfig, 'utf8');
    const { ctx, events } = context('k3s', { kubeconfig, endpoint: '10.0.0.7:6443', ca_certificate: 'Q0EtREFUQQ==' });
    expect(await Promise.all([kubeconfigFor(ctx), kubeconfigFor(ctx)])).toEqual([kubeconfig, kubeconfig]);
    const doc = JSON.parse(readFileSync(kubeconfig, 'utf8')) as { clusters: Array<{ name: string; cluster: Record<string, string> }> };
    expect(doc.clusters).toEqual([{ name: NAME, cluster: { server: 'https://10.0.0.7:6443', 'certificate-authority-data': 'Q0EtREFUQQ==' } }]);
    expect(readFileSync(`${kubeconfig}.replaced`, 'utf8')).toBe(theirs);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ level: 'warn', code: 'kubeconfig.rewritten', cluster: NAME });
    expect(events[0]?.message).toBe(
      `kubeconfig of ${NAME} (${kubeconfig}) is another cluster's: its current context points at server https://10.0.0.9:6443, not https://10.0.0.7:6443 that create-cluster journaled; moved it to ${kubeconfig}.replaced and writing it again from the endpoint and CA create-cluster journaled, so nothing is installed into that cluster`,
    );
  });

  it('the same server with another CA is another cluster’s too; this cluster’s with credentials added by hand is kept', async () => {
    const kubeconfig = join(clusterDir(), 'kubeconfig');
    const created = { kubeconfig, endpoint: '10.0.0.7:6443', ca_certificate: 'Q0EtREFUQQ==' };
    writeKubeconfigFromOutputs(kubeconfig, { name: NAME, endpoint: '10.0.0.7:6443', caCertificate: 'T1RIRVI=' });
    const first = context('k3s', created);
    await kubeconfigFor(first.ctx);
    expect(first.events[0]?.message).toContain('has another CA than create-cluster journaled');
    // An operator's token in the user entry, kubectl-style YAML: server and CA are this cluster's, so it is used as it is.
    const ours = `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://10.0.0.7:6443\n    certificate-authority-data: Q0EtREFUQQ==\ncontexts:\n- name: x\n  context: { cluster: c, user: u }\ncurrent-context: x\nusers:\n- name: u\n  user: { token: t0ken }\n`;
    writeFileSync(kubeconfig, ours);
    const second = context('k3s', created);
    await kubeconfigFor(second.ctx);
    expect(readFileSync(kubeconfig, 'utf8')).toBe(ours);
    expect(second.events).toEqual([]);
  });

  it('a GKE kubeconfig whose current context is another cluster’s (gke_<project>_<region>_<name>, as gcloud names it) is fetched again', async () => {
    const gcloud = await fakeGcloud();
    const kubeconfig = join(clusterDir(), 'kubeconfig');
    const gkeConfig = (cluster: string) =>
      `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://34.1.2.3\n  name: ${cluster}\ncontexts:\n- context:\n    cluster: ${cluster}\n    user: ${cluster}\n  name: ${cluster}\ncurrent-context: ${cluster}\n`;
    writeFileSync(kubeconfig, gkeConfig('gke_gitpod-test_europe-west1_gp-prod-ws-eu116-eu-west1'));
    const { ctx, events } = context('gke', { kubeconfig });
    expect(await kubeconfigFor(ctx)).toBe(kubeconfig);
    expect((await gcloud.calls()).map((c) => c.argv.slice(0, 4))).toEqual([['container', 'clusters', 'get-credentials', NAME]]);
    expect(events.filter((e) => e.code === 'kubeconfig.rewritten').map((e) => e.message)).toEqual([expect.stringContaining(`its current context's cluster is gke_gitpod-test_europe-west1_gp-prod-ws-eu116-eu-west1, not gke_gitpod-test_europe-west1_${NAME}`)]);
    expect(readFileSync(`${kubeconfig}.replaced`, 'utf8')).toContain('eu116');
    // Its own context: used as it is.
    writeFileSync(kubeconfig, gkeConfig(`gke_gitpod-test_europe-west1_${NAME}`));
    const again = context('gke', { kubeconfig });
    await kubeconfigFor(again.ctx);
    expect(again.events).toEqual([]);
    // One gcloud did not write (a hand-made context, e.g. through a proxy): the operator's choice, used as it is.
    writeFileSync(kubeconfig, gkeConfig('via-proxy'));
    const hand = context('gke', { kubeconfig });
    await kubeconfigFor(hand.ctx);
    expect(hand.events).toEqual([]);
    expect(readFileSync(kubeconfig, 'utf8')).toContain('via-proxy');
    expect(await gcloud.calls()).toHaveLength(1);
  });
  it('a GKE kubeconfig with the right context but another server or CA than create-cluster journaled is fetched again; an older journal (no kubeServer) compares the name only', async () => {
    const gcloudConfig = gkeKubeconfig(`gke_gitpod-test_europe-west1_${NAME}`, 'https://34.1.2.3', 'Q0E=');
    const gcloud = await createFakeBin('gcloud', { responses: [{ match: ['get-credentials'], stdout: 'kubeconfig entry generated\n', writeToEnvFile: { env: 'KUBECONFIG', content: gcloudConfig } }] });
    const path = process.env.PATH;
    process.env.PATH = gcloud.pathEnv().PATH;
    cleanup.push(async () => {
      process.env.PATH = path;
      await gcloud.cleanup();
    });
    const kubeconfig = join(clusterDir(), 'kubeconfig');
    const journaled = { kubeconfig, kubeServer: 'https://34.1.2.3', kubeCa: 'Q0E=' };
    writeFileSync(kubeconfig, gkeKubeconfig(`gke_gitpod-test_europe-west1_${NAME}`, 'https://35.9.9.9', 'Q0E='));
    const moved = context('gke', journaled);
    await kubeconfigFor(moved.ctx);
    expect(moved.events.filter((e) => e.code === 'kubeconfig.rewritten').map((e) => e.message)).toEqual([
      expect.stringContaining(`its current context (gke_gitpod-test_europe-west1_${NAME}) points at server https://35.9.9.9, not https://34.1.2.3 that create-cluster journaled`),
    ]);
    expect(readFileSync(kubeconfig, 'utf8')).toBe(gcloudConfig);
    writeFileSync(kubeconfig, gkeKubeconfig(`gke_gitpod-test_europe-west1_${NAME}`, 'https://34.1.2.3', 'T1RIRVI='));
    const otherCa = context('gke', journaled);
    await kubeconfigFor(otherCa.ctx);
    expect(otherCa.events.filter((e) => e.code.startsWith('kubeconfig.')).map((e) => e.message)).toEqual([expect.stringContaining('has another CA than create-cluster journaled')]);
    expect(await gcloud.calls()).toHaveLength(2);
    // Its own: used as it is. Journaled before kubeServer was: the name alone is compared, as before.
    const own = context('gke', journaled);
    await kubeconfigFor(own.ctx);
    writeFileSync(kubeconfig, gkeKubeconfig(`gke_gitpod-test_europe-west1_${NAME}`, 'https://35.9.9.9', 'Q0E='));
    const older = context('gke', { kubeconfig });
    await kubeconfigFor(older.ctx);
    expect([...own.events, ...older.events]).toEqual([]);
    expect(await gcloud.calls()).toHaveLength(2);
  });

  it("where gcloud itself writes another server than journaled (a rotated control plane IP), that stands for the run: said once, not fetched by every step", async () => {
    const gcloud = await createFakeBin('gcloud', { responses: [{ match: ['get-credentials'], stdout: 'kubeconfig entry generated\n', writeToEnvFile: { env: 'KUBECONFIG', content: gkeKubeconfig(`gke_gitpod-test_europe-west1_${NAME}`, 'https://36.0.0.1', 'Q0E=') } }] });
    const path = process.env.PATH;
    process.env.PATH = gcloud.pathEnv().PATH;
    cleanup.push(async () => {
      process.env.PATH = path;
      await gcloud.cleanup();
    });
    const kubeconfig = join(clusterDir(), 'kubeconfig');
    const journaled = { kubeconfig, kubeServer: 'https://34.1.2.3', kubeCa: 'Q0E=' };
    const first = context('gke', journaled);
    await kubeconfigFor(first.ctx);
    expect(first.events.map((e) => e.code).filter((c) => c.startsWith('kubeconfig.'))).toEqual(['kubeconfig.rewritten', 'kubeconfig.endpoint-changed']);
    const next = context('gke', journaled);
    await kubeconfigFor(next.ctx);
    expect(next.events).toEqual([]);
    expect(await gcloud.calls()).toHaveLength(1);
  });
});

/** A kubeconfig as gcloud get-credentials writes it: context, cluster and user all named `context`. */
function gkeKubeconfig(context: string, server: string, ca: string): string {
  return `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: ${ca}\n    server: ${server}\n  name: ${context}\ncontexts:\n- context:\n    cluster: ${context}\n    user: ${context}\n  name: ${context}\ncurrent-context: ${context}\nusers:\n- name: ${context}\n  user: {}\n`;
}
