/**
 * Secret `set` values reach real helm (both majors) only through a 0600 values
 * file that exists for the call alone: helm's argv (what `ps` and the plan show)
 * holds no secret, `helm template` renders the values all the same, and the
 * file is gone afterwards — also when helm fails.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { prepareRelease } from '../../../src/steps/install/release.js';
import { templateArgv, upgradeArgv } from '../../../src/tools/helm-argv.js';
import { Helm } from '../../../src/tools/helm.js';
import { realHelms } from '../../fixtures/install/real-helm.js';

const SECRET = 'pa55,word=with\\commas-and-${x}';
const MARKED = 'marked-as-secret-value';

const root = mkdtempSync(join(tmpdir(), 'wsd-helm-secret-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const previous = process.env.WSD_HELM;
afterEach(() => {
  if (previous === undefined) delete process.env.WSD_HELM;
  else process.env.WSD_HELM = previous;
});

const chart = join(root, 'chart');
mkdirSync(join(chart, 'templates'), { recursive: true });
writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
writeFileSync(
  join(chart, 'templates', 'config.yaml'),
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  password: {{ .Values.db.password | quote }}\n  other: {{ .Values.other.value | quote }}\n  replicas: {{ .Values.replicas | quote }}\n',
);

/** A wrapper that records, per call, argv plus the mode and content check of each secret values file, then runs helm. */
function recordingHelm(real: string, record: string): string {
  const path = join(root, `helm-${Math.random().toString(16).slice(2)}`);
  writeFileSync(
    path,
    [
      `#!${process.execPath}`,
      "const { appendFileSync, statSync, readFileSync } = require('node:fs');",
      "const { spawnSync } = require('node:child_process');",
      'const argv = process.argv.slice(2);',
      "const files = argv.filter((a) => a.endsWith('.secret.json')).map((f) => ({ mode: (statSync(f).mode & 0o777).toString(8), holds: JSON.stringify(JSON.parse(readFileSync(f, 'utf8'))).includes(" + JSON.stringify(JSON.stringify(SECRET)) + ') }));',
      `appendFileSync(${JSON.stringify(record)}, JSON.stringify({ argv, files }) + '\\n');`,
      `const r = spawnSync(${JSON.stringify(real)}, argv, { stdio: 'inherit' });`,
      'process.exit(r.status ?? 1);',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

describe.each(realHelms())('secret helm values with helm $version', ({ major, path }) => {
  const clusterDir = join(root, `cluster-${major}`);
  const prepared = prepareRelease(clusterDir, {
    release: 'gitpod',
    namespace: 'default',
    chart: { path: chart, name: 'demo' },
    timeoutSeconds: 120,
    valuesFiles: [],
    // db.password is credential-named (secret by default); other.value is marked.
    set: { 'db.password': SECRET, 'other.value': MARKED, replicas: 3 },
    secretSet: ['other.value'],
  });

  it('keeps them out of argv and renders them from a 0600 file removed after the call', async () => {
    expect(prepared.spec.set).toEqual({ replicas: 3 });
    for (const argv of [templateArgv(prepared.spec), upgradeArgv(prepared.spec, '/kubeconfig', major)]) {
      expect(argv.join(' ')).not.toContain(SECRET);
      expect(argv.join(' ')).not.toContain(MARKED);
      expect(argv).toContain(join(clusterDir, 'values', 'gitpod.secret.json'));
    }
    const record = join(root, `calls-${major}.ndjson`);
    process.env.WSD_HELM = recordingHelm(path, record);
    const manifest = await new Helm({ homeDir: join(root, `home-${major}`) }).template(prepared.spec);
    expect(manifest).toContain(`password: ${JSON.stringify(SECRET)}`);
    expect(manifest).toContain(`other: "${MARKED}"`);
    expect(manifest).toContain('replicas: "3"');
    const calls = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; files: Array<{ mode: string; holds: boolean }> });
    const template = calls.find((c) => c.argv[0] === 'template');
    expect(template?.files).toEqual([{ mode: '600', holds: true }]);
    expect(JSON.stringify(calls)).not.toContain(SECRET);
    expect(JSON.stringify(calls)).not.toContain(MARKED);
    expect(existsSync(prepared.spec.secretValuesFile ?? '')).toBe(false);
  });

  it('removes the file when helm fails', async () => {
    process.env.WSD_HELM = path;
    const broken = { ...prepared.spec, chart: { path: join(root, 'no-such-chart'), name: 'demo' } };
    await expect(new Helm({ homeDir: join(root, `home-${major}`) }).template(broken)).rejects.toThrow();
    expect(existsSync(prepared.spec.secretValuesFile ?? '')).toBe(false);
  });
});
