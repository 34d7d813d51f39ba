/**
 * What the install steps read of a release (`Helm.status`, `Helm.hooksAt`) comes from helm's release
 * storage alone, with the REAL helm of both majors: helm 4's `status` also reads every resource of
 * the release from the API server, so an API server slow to answer those reads held the step up to
 * the call's 300 s bound. Helm keeps its releases in PostgreSQL here (`HELM_DRIVER=sql`), so with the
 * fake API server holding every request for a namespaced object (discovery answered), a read that
 * still answers touched the storage only. What
 * helm 4 is read through instead (`history --max 1`, `get hooks`) must say what `status` says.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Helm, type HelmRelease, type ReleaseSpec } from '../../../src/tools/helm.js';
import { startFakeKubeApi, type FakeKubeApi } from '../../fixtures/install/fake-kube-api.js';
import { realHelms } from '../../fixtures/install/real-helm.js';
import { createDatabase } from '../../fixtures/install/real-helm-world.js';
import { hasPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { requireBinary } from '../../helpers/require-binary.js';

const ready = requireBinary('openssl', 'the fake API server serves HTTPS') && hasPostgres('real helm keeps its releases in PostgreSQL (HELM_DRIVER=sql)');
const STORAGE = ['HELM_DRIVER', 'HELM_DRIVER_SQL_CONNECTION_STRING', 'WSD_HELM'] as const;
const saved = Object.fromEntries(STORAGE.map((k) => [k, process.env[k]]));

let postgres: TestPostgres;
let root: string;
beforeAll(async () => {
  if (!ready) return;
  postgres = await startPostgres();
  root = mkdtempSync(join(tmpdir(), 'wsd-helm-status-'));
}, 120_000);
afterAll(async () => {
  for (const key of STORAGE) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  await postgres?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A chart with a plain ConfigMap and two hooks (their events as helm stores them: trimmed, lower-cased). */
function hookedChart(dir: string): string {
  const chart = join(dir, 'chart');
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: gitpod\nversion: 1.2.3\n');
  const object = (name: string, hook?: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${hook === undefined ? '' : `  annotations:\n    helm.sh/hook: ${JSON.stringify(hook)}\n`}data: {}\n`;
  writeFileSync(join(chart, 'templates', 'all.yaml'), [object('plain'), object('migrate', 'pre-install, Pre-Upgrade'), object('restore', 'post-rollback')].join('---\n'));
  return chart;
}

/** What the step decides on, hooks as sorted event lists. */
const decided = (r: HelmRelease | undefined) => ({
  version: r?.version,
  status: r?.info.status,
  description: r?.info.description,
  lastDeployed: r?.info.last_deployed === undefined ? undefined : Date.parse(r.info.last_deployed),
  chart: r?.chart?.metadata?.version,
  hooks: (r?.hooks ?? []).map((h) => [...(h.events ?? [])].sort()).sort(),
});

describe.skipIf(!ready).each(realHelms())('the release as the step reads it, real helm $version', (real) => {
  let api: FakeKubeApi;
  let apiDir: string;
  beforeAll(async () => {
    ({ api, dir: apiDir } = await startFakeKubeApi());
    process.env.WSD_HELM = real.path;
    process.env.HELM_DRIVER = 'sql';
    process.env.HELM_DRIVER_SQL_CONNECTION_STRING = await createDatabase(postgres.url, `status${real.major}`);
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
    if (apiDir) rmSync(apiDir, { recursive: true, force: true });
  });

  it('reads status and hooks from the release storage, not the API server, and they say what helm status says', async () => {
    const dir = join(root, `v${real.major}`);
    const kubeconfig = api.writeKubeconfig(apiDir, 'token', `kubeconfig-${real.major}`);
    const helm = new Helm({ kubeconfig, homeDir: join(dir, 'home') });
    const spec: ReleaseSpec = { release: 'gitpod', namespace: 'reads', chart: { path: hookedChart(dir), name: 'gitpod' }, valuesFiles: [], set: {}, timeoutSeconds: 60, description: 'digest sha256=abc' };
    await helm.upgradeInstall(spec);
    await helm.upgradeInstall({ ...spec, description: 'digest sha256=def' });

    // helm's own `status -o json` (what helm 3's path reads) while the API server answers.
    const shown = JSON.parse((await helm.run(['helm', 'status', 'gitpod', '--kubeconfig', kubeconfig, '--namespace', 'reads', '--output', 'json'], 'helm status')).stdout) as HelmRelease;
    const expected = { ...decided(shown), chart: '1.2.3' };
    expect(expected).toMatchObject({ version: 2, status: 'deployed', description: 'digest sha256=def', hooks: [['post-rollback'], ['pre-install', 'pre-upgrade']] });

    // Every read of the release's objects is held; discovery (what any helm call asks first) is answered.
    const held: string[] = [];
    api.gate = (req) => {
      if (!req.path.includes('/namespaces/')) return undefined;
      held.push(`${req.method} ${req.path}`);
      return new Promise<void>(() => undefined);
    };
    try {
      // Generous for a loaded machine: each read takes well under a second when it does not wait on the API server.
      const within = <T>(read: Promise<T>) => Promise.race([read, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`held by the API server: ${held.slice(0, 3).join(', ')}`)), 30_000).unref())]);
      expect(decided(await within(helm.status('gitpod', 'reads')))).toEqual(expected);
      expect((await within(helm.hooksAt('gitpod', 'reads', 1)))?.hooks?.map((h) => [...(h.events ?? [])].sort()).sort()).toEqual(expected.hooks);
    } finally {
      api.gate = undefined;
    }
  }, 120_000);
});
