/**
 * The fault-injection fake helm (test/fixtures/faults/fake-helm.mjs, used by the e2e fault tests)
 * answers exactly what real helm printed for the same call: checked against the offline recordings
 * of helm 3.18 and 4.1 (rerecorded from the binaries by test/integration/install/helm-offline-recorded.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { fixtureTool } from '../../e2e/faults/fixture-tool.js';
import type { HelmRecording } from '../../fixtures/recorded/record-helm.js';

const recording = (major: 3 | 4): HelmRecording =>
  JSON.parse(readFileSync(new URL(`../../fixtures/recorded/helm-v${major}-offline-outputs.json`, import.meta.url), 'utf8')) as HelmRecording;

describe.each([3, 4] as const)('fault fake helm against real helm %i output', (major) => {
  const helm = fixtureTool('helm', 'fake-helm.mjs', { major, templateDelayMs: 0 });
  afterAll(() => helm.cleanup());
  const rec = recording(major);
  const run = (...argv: string[]) => execFileSync(`${helm.dir}/helm`, argv, { encoding: 'utf8' });

  it('prints the recorded version, short and long', () => {
    expect(rec.helm).toMatch(new RegExp(`^v${major}\\.\\d+\\.\\d+$`));
    expect(run('version', '--template', '{{.Version}}')).toBe(rec.helm);
    expect(run('version')).toBe(rec.cases.version?.stdout);
    expect(run('version')).toContain(`Version:"${rec.helm}"`);
  });

  it('lints and renders exactly as real helm did for the same chart and release', () => {
    const chart = '/tmp/somewhere/offline-chart';
    expect(run('lint', chart, '--namespace', 'recorded').split(chart).join('<chart>')).toBe(rec.cases.lint?.stdout);
    expect(run('template', 'recorded-release', chart, '--namespace', 'recorded')).toBe(rec.cases.template?.stdout);
  });

  it("renders the caller's release and chart into helm's manifest shape", () => {
    const out = run('template', 'gitpod', '/charts/gitpod', '--namespace', 'default');
    expect(out.startsWith('---\n# Source: gitpod/templates/configmap.yaml\n')).toBe(true);
    const docs = parseAllDocuments(out).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    expect(docs).toMatchObject([{ kind: 'ConfigMap', metadata: { name: 'gitpod-rendered' } }]);
    expect(helm.calls().map((c) => c.event)).toContain('done');
  });
});

describe('fault fake helm default', () => {
  it('is helm 3 when the scenario names no major', () => {
    const helm = fixtureTool('helm', 'fake-helm.mjs', {});
    try {
      expect(execFileSync(`${helm.dir}/helm`, ['version', '--template', '{{.Version}}'], { encoding: 'utf8' })).toBe(recording(3).helm);
    } finally {
      helm.cleanup();
    }
  });
});
