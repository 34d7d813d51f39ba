/**
 * What real helm (3.18 and 4.1) installs for a `chart.version` from a chart repository,
 * served on 127.0.0.1 with the versions 1.2.0, 1.2.5 and 1.3.0: `--version` is a
 * constraint to helm. An exact version (also written `v1.2.0` or `1.2.0+build`) picks
 * 1.2.0, and the release it deploys must then count as up to date (decideRelease); a
 * range picks the newest match, so the config refuses ranges instead of re-upgrading
 * every run to whatever was published last. For a chart folder helm ignores `--version`
 * altogether, so a chart.version its Chart.yaml does not declare is refused.
 * The helm binaries fail the suite when missing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jaegerSectionSchema } from '../../../src/steps/install/config.js';
import { decideRelease, prepareRelease } from '../../../src/steps/install/release.js';
import { isWsdError } from '../../../src/core/errors.js';
import { Helm } from '../../../src/tools/helm.js';
import { realHelms } from '../../fixtures/install/real-helm.js';

const VERSIONS = ['1.2.0', '1.2.5', '1.3.0'];
const root = mkdtempSync(join(tmpdir(), 'wsd-helm-chart-version-'));
const repoDir = join(root, 'repo');
let server: Server;
let repository = '';
const previous = process.env.WSD_HELM;

beforeAll(async () => {
  const helm = realHelms()[0]!.path;
  const env = { PATH: '', HOME: root, HELM_CONFIG_HOME: join(root, 'helm-config'), HELM_CACHE_HOME: join(root, 'helm-cache'), HELM_DATA_HOME: join(root, 'helm-data') };
  mkdirSync(repoDir);
  for (const version of VERSIONS) {
    const chart = join(root, `chart-${version}`);
    mkdirSync(join(chart, 'templates'), { recursive: true });
    writeFileSync(join(chart, 'Chart.yaml'), `apiVersion: v2\nname: demo\nversion: ${version}\n`);
    writeFileSync(join(chart, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  version: {{ .Chart.Version | quote }}\n');
    execFileSync(helm, ['package', chart, '--destination', repoDir], { env, stdio: 'pipe' });
  }
  execFileSync(helm, ['repo', 'index', repoDir], { env, stdio: 'pipe' });
  // A static file server for the repository (index.yaml and the packages), local only.
  server = createServer((request, response) => {
    const file = normalize(join(repoDir, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)));
    try {
      if (!file.startsWith(`${repoDir}/`)) throw new Error('outside');
      response.end(readFileSync(file));
    } catch {
      response.statusCode = 404;
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  repository = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});
afterEach(() => {
  if (previous === undefined) delete process.env.WSD_HELM;
  else process.env.WSD_HELM = previous;
});

function prepared(version: string) {
  return prepareRelease(join(root, 'cluster'), {
    release: 'demo',
    namespace: 'default',
    chart: { repository, name: 'demo', version },
    timeoutSeconds: 60,
    valuesFiles: [],
    set: {},
  });
}

/** The chart version real helm renders for `--version <version>`, through the product's template call. */
async function installedVersion(helmPath: string, version: string): Promise<string> {
  process.env.WSD_HELM = helmPath;
  const manifest = await new Helm({ homeDir: join(root, 'home') }).template(prepared(version).spec);
  const doc = parseAllDocuments(manifest).map((d) => d.toJS() as { data?: { version?: string } } | null).find((d) => d?.data?.version);
  return doc?.data?.version ?? '';
}

describe.each(realHelms())('chart versions with helm $version', ({ path }) => {
  it.each(['1.2.0', 'v1.2.0', '1.2.0+build.7'])('installs 1.2.0 for %s and then finds the release up to date', async (version) => {
    expect(await installedVersion(path, version)).toBe('1.2.0');
    const release = prepared(version);
    const deployed = { name: 'demo', namespace: 'default', version: 1, info: { status: 'deployed', description: release.spec.description }, chart: { metadata: { name: 'demo', version: '1.2.0' } } };
    expect(decideRelease(deployed, release).action).toBe('skip');
    expect(jaegerSectionSchema.safeParse({ chart: { repository, name: 'demo', version } }).success).toBe(true);
  });

  it.each([
    ['1.2', '1.2.5'],
    ['~1.2', '1.2.5'],
    ['^1.2.0', '1.3.0'],
    ['>=1.2.0', '1.3.0'],
  ])('installs the newest match for the range %s, which the config refuses', async (version, newest) => {
    expect(await installedVersion(path, version)).toBe(newest);
    const parsed = jaegerSectionSchema.safeParse({ chart: { repository, name: 'demo', version } });
    expect(parsed.error?.issues.map((i) => i.message).join('\n')).toContain('is not an exact chart version');
  });

  it('renders a chart folder at its own version whatever --version says, so a chart.version it does not declare is refused', async () => {
    process.env.WSD_HELM = path;
    const folder = join(root, 'chart-1.2.5');
    const spec = (version: string) => ({ release: 'demo', namespace: 'default', chart: { path: folder, name: 'demo', version }, timeoutSeconds: 60, valuesFiles: [], set: {} });
    const manifest = await new Helm({ homeDir: join(root, 'home') }).template({ ...spec('9.9.9'), description: 'd' });
    expect(manifest).toContain('version: "1.2.5"');
    const refusal = (() => {
      try {
        return prepareRelease(join(root, 'cluster'), spec('9.9.9'));
      } catch (error) {
        return error;
      }
    })();
    expect(isWsdError(refusal) && refusal.code).toBe('ConfigInvalid');
    expect((refusal as Error).message).toContain(`chart.version 9.9.9 is not the version of the local chart ${folder}: its Chart.yaml says 1.2.5`);
    expect(prepareRelease(join(root, 'cluster'), spec('v1.2.5')).spec.chart.version).toBe('v1.2.5');
  });
});
