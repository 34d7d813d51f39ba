/**
 * Journaled paths survive a copy or move of the state dir: paths under it are
 * journaled relative to it, older journals with absolute paths are rebased onto
 * the state dir in use, and a Terraform state outside the state dir is never
 * acted on.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nullSink } from '../../../src/core/events.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { assertInsideStateDir, fromJournalPaths, journalText, originalRoot, toJournalPaths } from '../../../src/state/state-paths.js';
import { retireCluster } from '../../../src/steps/retire/retire-cluster.js';
import type { ConnectedRegistry } from '../../../src/traffic/registry-adapter.js';
import { CLUSTER, createdFor, started } from '../../helpers/journal-fixture.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-paths-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ID = 'd-001';
const createdWith = (configFile: string) => createdFor(ID, 101, { configFile });
const outputsIn = (root: string) => ({
  workDir: join(root, ID, CLUSTER, 'terraform'),
  kubeconfig: join(root, ID, CLUSTER, 'kubeconfig'),
  moduleInput: { moduleSource: '/opt/modules/sandbox', variables: {}, backend: { type: 'local', path: join(root, 'terraform-state', `${CLUSTER}.tfstate`) } },
});

describe('journaled paths', () => {
  it('journals paths under the state dir relative to it and leaves others alone', () => {
    const encoded = toJournalPaths({ a: '/s/x/y', b: ['/s'], c: '/elsewhere/f', d: 'plain /s/x text', e: 3 }, '/s');
    expect(encoded).toEqual({ a: '<state-dir>/x/y', b: ['<state-dir>/'], c: '/elsewhere/f', d: 'plain /s/x text', e: 3 });
    expect(fromJournalPaths(encoded, '/t')).toMatchObject({ a: '/t/x/y', c: '/elsewhere/f' });
    expect(toJournalPaths({ p: '/state-other/f' }, '/state')).toEqual({ p: '/state-other/f' });
  });

  it('writes no absolute path of the state dir, and a copy resolves them against itself', async () => {
    const root = tempDir();
    const store = new FileStateStore(join(root, 'a'));
    const j = await store.create(ID);
    await j.append(createdWith('/cfg/ws.yaml'));
    await j.append({ type: 'step.succeeded', cluster: CLUSTER, step: 'create-cluster', outputs: outputsIn(store.root), durationMs: 1 });
    for (const file of ['journal.ndjson', 'snapshot.json']) expect(readFileSync(join(store.root, ID, file), 'utf8')).not.toContain(store.root);
    cpSync(store.root, join(root, 'b'), { recursive: true });
    const copy = new FileStateStore(join(root, 'b'));
    const opened = await copy.open(ID, { readOnly: true });
    expect(opened.snapshot().clusters[0]?.steps[0]?.outputs).toEqual(outputsIn(copy.root));
    expect(opened.snapshot().inputs.configFile).toBe('/cfg/ws.yaml');
  });

  it('rebases an older journal with absolute paths onto the state dir in use', async () => {
    const root = tempDir();
    const old = join(root, 'original');
    const moved = join(root, 'moved');
    mkdirSync(join(moved, ID), { recursive: true });
    const lines = [
      { ...createdWith('/cfg/ws.yaml'), seq: 1, time: '2026-01-01T00:00:00Z' },
      { type: 'step.succeeded', cluster: CLUSTER, step: 'create-cluster', outputs: outputsIn(old), durationMs: 1, seq: 2, time: '2026-01-01T00:00:01Z' },
    ];
    writeFileSync(join(moved, ID, 'journal.ndjson'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    expect(originalRoot(lines, ID)).toBe(old);
    const snap = (await new FileStateStore(moved).open(ID, { readOnly: true })).snapshot();
    expect(snap.clusters[0]?.steps[0]?.outputs).toEqual(outputsIn(moved));
  });

  it('refuses a terraform state outside the state dir before changing anything', async () => {
    expect(() => assertInsideStateDir('/s', '/s/terraform-state/x.tfstate', 'state')).not.toThrow();
    expect(() => assertInsideStateDir('/s', '/other/terraform-state/x.tfstate', 'the terraform state of eu1')).toThrow(/the terraform state of eu1 \/other\/terraform-state\/x\.tfstate lies outside the state dir \/s/);
    const calls: string[] = [];
    const registry = {
      metas: ['meta'],
      update: async () => void calls.push('update'),
      client: () => ({ deregister: async () => void calls.push('deregister') }),
      list: async () => [],
    } as unknown as ConnectedRegistry;
    const run = retireCluster({
      target: { name: 'eu1' },
      registry,
      project: 'p',
      drainTimeoutMs: 1_000,
      pollMs: 10,
      destroy: true,
      moduleInput: { moduleSource: '/m', variables: {} as never, backend: { type: 'local', path: '/other/terraform-state/eu1.tfstate' } },
      workDir: '/s/d/retire/eu1/terraform',
      stateDir: '/s',
      save: async () => undefined,
      record: async () => undefined,
      clock: { now: () => 0, sleep: async () => undefined },
      sink: nullSink,
    });
    await expect(run).rejects.toMatchObject({ code: 'StateCorrupt' });
    expect(calls).toEqual([]);
  });
});

describe('journalText', () => {
  it('is the serialised toJournalPaths for paths inside, outside, unnormalised and look-alike', () => {
    const root = '/srv/state';
    const values: unknown[] = [
      started,
      { outputs: { kubeconfig: '/srv/state/d-001/kc', other: '/srv/other/kc', url: 'https://example.test//x' } },
      { a: '/srv//state/d-001/kc', b: '/srv/./state/x', c: '/srv/x/../state/y', d: '/srv/state/.', e: '/srv/state' },
      { look: '/srv/statement/x', rel: 'srv/state/x', multi: '/srv/state/x\ny', list: ['/srv/state/a', 1, null, true] },
      'plain',
      ['/srv/state/z'],
    ];
    for (const value of values) expect(journalText(value, root), JSON.stringify(value)).toBe(JSON.stringify(toJournalPaths(value, root)));
    // The fast path really is taken only when nothing changes: a path inside is rewritten.
    expect(journalText({ p: '/srv//state/a' }, root)).toBe('{"p":"<state-dir>/a"}');
  });
});
