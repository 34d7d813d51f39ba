/**
 * One journal damaged in the middle must not take the whole state dir down: the listing shows
 * it as `damaged` (where, and what to do) beside the others, allocation never reuses the cluster
 * id its intact part shows, and whoever must not ignore it (deploy's unfinished check, resume,
 * status of that id) refuses with the deployment, the file, the line and the fix. Nothing is
 * read past the damaged line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../../src/config/load.js';
import { unfinishedRefusal } from '../../../src/engine/deployment.js';
import { allocateClusterId, clusterIdHistory } from '../../../src/plan/allocate-id.js';
import { parseConfig } from '../../../src/config/load.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { resumableDeployments } from '../../../src/state/resumable.js';
import { createdFor } from '../../helpers/journal-fixture.js';

const DEV = { project: 'p', environment: 'development' };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A state dir with a finished deployment (id 101) and an interrupted one (id 102, newer) whose journal `damage` garbles. */
async function stateDir(damage: (lines: string[]) => void): Promise<{ store: FileStateStore; journal: string }> {
  const root = mkdtempSync(join(tmpdir(), 'wsd-damaged-'));
  dirs.push(root);
  const store = new FileStateStore(root);
  const done = await store.create('d-101');
  await done.append(createdFor('d-101', 101));
  await done.append({ type: 'deployment.finished', state: 'succeeded' });
  const open = await store.create('d-102');
  await open.append(createdFor('d-102', 102));
  await open.append({ type: 'step.started', cluster: 'gp-dev-ws-eu102-eu-west1', step: 'create-cluster', attempt: 1 });
  await open.append({ type: 'step.succeeded', cluster: 'gp-dev-ws-eu102-eu-west1', step: 'create-cluster', outputs: {}, durationMs: 1 });
  const journal = join(open.dir, 'journal.ndjson');
  const lines = readFileSync(journal, 'utf8').split('\n');
  damage(lines);
  writeFileSync(journal, lines.join('\n'));
  // The cache must not decide: the listing rebuilds from the journal.
  rmSync(join(open.dir, 'snapshot.json'));
  return { store, journal };
}

const loaded = { config: { project: { id: 'p' }, environment: 'development' } } as unknown as LoadedConfig;

describe('a journal damaged mid-file', () => {
  it('is listed as damaged with its file, line and fix, beside the others', async () => {
    const { store, journal } = await stateDir((l) => (l[1] = 'garbage{{'));
    const list = await store.list();
    expect(list.map((d) => [d.id, d.state])).toEqual([
      ['d-102', 'damaged'],
      ['d-101', 'succeeded'],
    ]);
    const damaged = list[0]?.damaged;
    expect(damaged).toMatchObject({ file: journal, line: 2, clusterId: 102 });
    expect(damaged?.fix).toMatch(/restore .*journal\.ndjson from a backup .*repair line 2 by hand.*move its folder/);
    expect(list[0]).toMatchObject(DEV);
  });

  it('is refused by open (status ID, resume ID) with the deployment, file, line and fix', async () => {
    const { store, journal } = await stateDir((l) => (l[1] = 'garbage{{'));
    const refusal = store.open('d-102', { readOnly: true });
    await expect(refusal).rejects.toMatchObject({ code: 'StateCorrupt', details: { deploymentId: 'd-102', file: journal, line: 2 } });
    await expect(store.open('d-102')).rejects.toThrow(/deployment d-102: journal .* line 2 is not valid JSON.*restore .*from a backup/);
  });

  // A record cut in the middle (not the last line): not a torn tail, so not dropped.
  it("stops deploy's unfinished check, naming it, the file, the line and --allow-unfinished", async () => {
    const { store, journal } = await stateDir((l) => (l[1] = '{"seq":2,'));
    const gen = resumableDeployments(store, DEV);
    await expect(gen.next()).rejects.toMatchObject({ code: 'StateCorrupt', details: { deploymentId: 'd-102', line: 2 } });
    const refusal = await unfinishedRefusal(loaded, {} as never, { store });
    expect(refusal?.code).toBe('ResumeRefused');
    expect(refusal?.message).toContain(`deployment d-102: journal ${journal} line 2 is not valid JSON`);
    expect(refusal?.message).toMatch(/repair line 2 by hand.*--allow-unfinished/);
    expect(await unfinishedRefusal(loaded, { allowUnfinished: true } as never, { store })).toBeUndefined();
    // Another environment's deployments are not held up by it.
    expect(await unfinishedRefusal({ config: { project: { id: 'p' }, environment: 'staging' } } as unknown as LoadedConfig, {} as never, { store })).toBeUndefined();
  });

  it('keeps the cluster id its intact part shows taken', async () => {
    const { store } = await stateDir((l) => (l[1] = 'garbage{{'));
    const history = await clusterIdHistory(store, DEV);
    expect(history).toMatchObject({ lastUsed: 102, unknown: [] });
    expect([...history.taken]).toEqual([102]);
    const { config } = parseConfig(
      'version: v1\nenvironment: development\nproject: { id: damaged-test, network: n, dnsZone: z.test }\nmetaClusters: [{ name: meta, region: europe-west1 }]\nworkspaceClusters: [{ region: europe-west1, prefix: eu, governedBy: meta, type: sandbox }]\n',
      '/tmp/damaged.yaml',
    );
    // Even when the search would start at it (wrapping round), it is skipped.
    expect(await allocateClusterId(config, { probe: async () => ({ exists: false }), lastUsed: 101, taken: history.taken })).toBe(103);
  });

  it('says so when the damage hides its cluster id and environment, and blocks deploys of every environment', async () => {
    const { store, journal } = await stateDir((l) => (l[0] = 'garbage{{'));
    const list = await store.list();
    expect(list.find((d) => d.id === 'd-102')).toMatchObject({ state: 'damaged', project: '', environment: '', damaged: { line: 1 } });
    expect(list.find((d) => d.id === 'd-102')?.damaged?.clusterId).toBeUndefined();
    const history = await clusterIdHistory(store, DEV);
    expect(history.lastUsed).toBe(101);
    expect(history.unknown).toEqual([expect.stringContaining(`deployment d-102: its journal ${journal} line 1 is damaged before its cluster id`)]);
    const staging = { config: { project: { id: 'p' }, environment: 'staging' } } as unknown as LoadedConfig;
    expect((await unfinishedRefusal(staging, {} as never, { store }))?.message).toContain('deployment d-102');
  });
});
