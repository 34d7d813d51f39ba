/**
 * The committed helm recordings (test/fixtures/recorded/helm-v3-outputs.json,
 * helm-v4-outputs.json) are rerecorded from the real binaries against the local
 * API server and must come out the same: the fake helm and the parsers are tested
 * against those files, so they must stay what helm really prints.
 * `WSD_RECORD_HELM=1` writes fresh recordings instead of comparing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubeApi } from '../../fixtures/install/fake-kube-api.js';
import { realHelms } from '../../fixtures/install/real-helm.js';
import { createDatabase, writeGitpodChart } from '../../fixtures/install/real-helm-world.js';
import { recordHelm, type HelmRecording } from '../../fixtures/recorded/record-helm.js';
import { hasPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { requireBinary } from '../../helpers/require-binary.js';

const ready = requireBinary('openssl', 'the fake API server serves HTTPS') && hasPostgres('real helm keeps its releases in PostgreSQL (HELM_DRIVER=sql)');
const fixture = (major: number): string => new URL(`../../fixtures/recorded/helm-v${major}-outputs.json`, import.meta.url).pathname;

let postgres: TestPostgres;
let root: string;
beforeAll(async () => {
  if (!ready) return;
  postgres = await startPostgres();
  root = mkdtempSync(join(tmpdir(), 'wsd-helm-record-'));
}, 120_000);
afterAll(async () => {
  await postgres?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!ready).each(realHelms())('recorded helm $version output', (helm) => {
  it('is still what the binary prints', async () => {
    const { api, dir } = await startFakeKubeApi();
    try {
      const home = join(root, `home-v${helm.major}`);
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: home,
        HELM_CONFIG_HOME: join(home, 'config'),
        HELM_CACHE_HOME: join(home, 'cache'),
        HELM_DATA_HOME: join(home, 'data'),
        KUBECONFIG: api.writeKubeconfig(dir, 'token'),
        HELM_DRIVER: 'sql',
        HELM_DRIVER_SQL_CONNECTION_STRING: await createDatabase(postgres.url, `record${helm.major}`),
      };
      const fresh = await recordHelm({ api, binary: helm.path, major: helm.major, version: helm.version, env, chart: writeGitpodChart(join(root, `v${helm.major}`)) });
      if (process.env.WSD_RECORD_HELM === '1') {
        writeFileSync(fixture(helm.major), `${JSON.stringify(fresh, null, 2)}\n`);
        return;
      }
      const committed = JSON.parse(readFileSync(fixture(helm.major), 'utf8')) as HelmRecording;
      expect(fresh).toEqual(committed);
    } finally {
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
