/**
 * The product's helm output parsing and the fake helm, against what the real helm
 * 3.18 and 4.1 printed (test/fixtures/recorded/helm-v*-outputs.json, kept current by
 * test/integration/install/helm-recorded.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workloadsOf } from '../../../src/steps/install/apply-release.js';
import { decideRelease, type PreparedRelease } from '../../../src/steps/install/release.js';
import { digestFromDescription } from '../../../src/steps/install/values.js';
import { Helm, parseChartRef, type HelmRelease, type HelmRevision } from '../../../src/tools/helm.js';
import { classifyHelmError, parseJsonOutput } from '../../../src/tools/helm-errors.js';
import { ToolFailedError } from '../../../src/tools/exec.js';
import { fakeHelmOnPath, historyJson, listed, releaseJson, statusJson } from '../../fixtures/install/helm-fixture.js';
import type { HelmRecording } from '../../fixtures/recorded/record-helm.js';

const recordings = [3, 4].map((major) => JSON.parse(readFileSync(new URL(`../../fixtures/recorded/helm-v${major}-outputs.json`, import.meta.url), 'utf8')) as HelmRecording);
const ZEROS = '0'.repeat(64);

function prepared(version = '1.2.3'): PreparedRelease {
  return {
    spec: { release: 'gitpod', namespace: 'recorded', chart: { repository: 'https://charts.example.com', name: 'gitpod', version }, valuesFiles: [], set: {}, timeoutSeconds: 60, description: '' },
    digest: ZEROS,
    digestKind: 'sha256',
    values: {},
  };
}

/** A ToolFailedError as runTool raises it for a helm that exited non-zero with this stderr. */
function failed(call: { argv: string[]; exitCode: number; stderr: string }): ToolFailedError {
  return new ToolFailedError(`helm exited with ${call.exitCode}`, { argv: ['helm', ...call.argv], exitCode: call.exitCode, signal: null, stdout: '', stderr: call.stderr });
}

describe.each(recordings)('recorded helm $helm output', (rec) => {
  const json = <T>(name: string): T => parseJsonOutput<T>(rec.cases[name]!.stdout, name);

  it('upgrade --install -o json: deployed, revision, chart version and the manifest the rollout wait reads', () => {
    const installed = json<HelmRelease>('install');
    expect(installed).toMatchObject({ name: 'gitpod', version: 1, info: { status: 'deployed' }, chart: { metadata: { name: 'gitpod', version: '1.2.3' } } });
    expect(json<HelmRelease>('upgrade').version).toBe(2);
    expect(workloadsOf(installed.manifest, 'recorded')).toEqual([]);
    expect(installed.manifest).toContain('kind: ConfigMap');
  });

  it('status -o json has no chart: the chart version comes from helm list', () => {
    const status = json<HelmRelease>('status');
    expect(status.chart).toBeUndefined();
    expect(digestFromDescription(status.info.description)).toBe(`sha256=${ZEROS}`);
    const [entry] = json<Array<{ name: string; chart: string }>>('list');
    expect(parseChartRef(entry?.chart)).toEqual({ name: 'gitpod', version: '1.2.3' });
    expect(json<unknown[]>('listMissing')).toEqual([]);
  });

  it('a release a killed helm left behind is pending-upgrade and the decision is to roll it back', () => {
    const pending = json<HelmRelease>('statusPending');
    expect(pending.info.status).toBe('pending-upgrade');
    expect(decideRelease(pending, prepared())).toMatchObject({ action: 'recover-rollback' });
    expect(json<Array<{ status: string }>>('listPending').map((e) => e.status)).toEqual(['pending-upgrade']);
  });

  it('history -o json: revisions and statuses, before and after the rollback', () => {
    expect(json<HelmRevision[]>('history').map((h) => [h.revision, h.status])).toEqual([[1, 'superseded'], [2, 'deployed']]);
    expect(json<HelmRevision[]>('historyAfterRollback').map((h) => [h.revision, h.status])).toEqual([[1, 'superseded'], [2, 'superseded'], [3, 'pending-upgrade'], [4, 'deployed']]);
  });

  it('not-found and another-operation errors are permanent, and say what helm said', () => {
    for (const name of ['statusMissing', 'historyMissing', 'upgradePending']) {
      const error = classifyHelmError(failed(rec.cases[name]!), `helm ${name}`);
      expect(error.transient, name).toBe(false);
      expect(error.message).toContain(rec.cases[name]!.stderr.trim().replace(/^Error: /, ''));
    }
  });
});

describe('the fake helm against the recorded helm 3.18 output', () => {
  const rec = recordings[0]!;
  const keys = (text: string): unknown => {
    const value = JSON.parse(text) as unknown;
    const shape = (v: unknown): unknown => (Array.isArray(v) ? v.map(shape) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, k === 'config' ? '…' : shape((v as Record<string, unknown>)[k])])) : typeof v);
    return shape(value);
  };

  it('prints status, upgrade, list and history in the same shape, field for field', () => {
    expect(keys(statusJson({ status: 'deployed', revision: 2 }))).toEqual(keys(rec.cases.status!.stdout));
    expect(keys(releaseJson({ status: 'deployed', revision: 2, manifest: 'x' }))).toEqual(keys(rec.cases.upgrade!.stdout));
    expect(keys(listed(['gitpod']).stdout!)).toEqual(keys(rec.cases.list!.stdout));
    expect(keys(historyJson([{ revision: 1, status: 'superseded' }, { revision: 2, status: 'deployed' }]))).toEqual(keys(rec.cases.history!.stdout));
  });
});

describe('Helm.status on the recorded output', () => {
  let restore: (() => Promise<void>) | undefined;
  let root: string | undefined;
  afterEach(async () => {
    await restore?.();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it.each(recordings)('fills the chart version from helm list ($helm), so an unchanged release is skipped', async (rec) => {
    ({ restore } = await fakeHelmOnPath([
      { match: ['version', '--template'], stdout: rec.helm },
      { match: ['list'], stdout: rec.cases.list!.stdout },
      { match: ['status'], stdout: rec.cases.status!.stdout },
      // helm 4 is read from its storage (history --max 1, get hooks: the recorded chart has none), not `status`.
      { match: ['history'], stdout: rec.cases.history!.stdout },
      { match: ['get', 'hooks'], stdout: '' },
    ]));
    root = mkdtempSync(join(tmpdir(), 'wsd-helm-rec-'));
    const helm = new Helm({ kubeconfig: join(root, 'kubeconfig'), homeDir: join(root, 'helm') });
    const status = await helm.status('gitpod', 'recorded');
    expect(status?.chart?.metadata?.version).toBe('1.2.3');
    expect(decideRelease(status, prepared())).toMatchObject({ action: 'skip' });
    expect(decideRelease(status, prepared('1.2.4'))).toMatchObject({ action: 'upgrade', reason: expect.stringContaining('runs chart version 1.2.3, want 1.2.4') });
  });
});
