/**
 * `status --all` on a state dir where one journal is damaged mid-file: the others are listed as
 * usual, the damaged one as `damaged` with its file, line and fix (text and JSON), exit 0; and
 * `status ID` of the damaged one refuses with the same words. So too whatever the deployment's
 * state and whether its snapshot (written before the damage, so it still looks current) is there.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import { runCli } from '../helpers/cli.js';
import { createdFor } from '../helpers/journal-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'wsd-damaged-status-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function deployment(store: FileStateStore, id: string, clusterId: number, finished: 'succeeded' | 'failed' | 'running' = 'succeeded'): Promise<string> {
  const j = await store.create(id);
  await j.append(createdFor(id, clusterId));
  await j.append({ type: 'step.started', cluster: `gp-dev-ws-eu${clusterId}-eu-west1`, step: 'create-cluster', attempt: 1 });
  // A running one has a record after the damaged line 2 too: damage there is mid-file, not a torn last line.
  if (finished === 'running') await j.append({ type: 'step.succeeded', cluster: `gp-dev-ws-eu${clusterId}-eu-west1`, step: 'create-cluster', outputs: {}, durationMs: 1 });
  else await j.append({ type: 'deployment.finished', state: finished });
  return join(j.dir, 'journal.ndjson');
}

describe('status with a journal damaged mid-file', () => {
  it('lists it as damaged beside the others, and status ID says where and what to do', async () => {
    const store = new FileStateStore(root);
    await deployment(store, '20260101-000000-aaaa', 101);
    const journal = await deployment(store, '20260102-000000-bbbb', 102);
    const lines = readFileSync(journal, 'utf8').split('\n');
    lines[1] = 'garbage{{';
    writeFileSync(journal, lines.join('\n'));
    rmSync(join(root, '20260102-000000-bbbb', 'snapshot.json'));

    const text = await runCli(['status', '--all', '--state-dir', root]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/20260101-000000-aaaa\s+succeeded/);
    expect(text.stdout).toMatch(/20260102-000000-bbbb\s+damaged\s+p\s+development/);
    expect(text.stdout).toContain(`20260102-000000-bbbb: journal ${journal} line 2 is not valid JSON`);
    expect(text.stdout).toMatch(/repair line 2 by hand/);

    const json = await runCli(['status', '--all', '--output', 'json', '--state-dir', root]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ id: '20260102-000000-bbbb', state: 'damaged', damaged: expect.objectContaining({ file: journal, line: 2, clusterId: 102 }) }),
      expect.objectContaining({ id: '20260101-000000-aaaa', state: 'succeeded' }),
    ]);

    const one = await runCli(['status', '20260102-000000-bbbb', '--state-dir', root]);
    expect(one.code).not.toBe(0);
    expect(one.stderr).toContain(`deployment 20260102-000000-bbbb: journal ${journal} line 2 is not valid JSON`);
    expect(one.stderr).toMatch(/restore .* from a backup of the state dir/);
  });

  it('lists it as damaged, exit 0, in every state, with or without its snapshot', async () => {
    const dir = mkdtempSync(join(root, 'states-'));
    const store = new FileStateStore(dir);
    await deployment(store, '20260101-000000-aaaa', 101);
    const cases = (['succeeded', 'failed', 'running'] as const).flatMap((state) => [true, false].map((keepSnapshot) => ({ state, keepSnapshot })));
    for (const [i, c] of cases.entries()) {
      const id = `20260102-00000${i}-bbbb`;
      const journal = await deployment(store, id, 110 + i, c.state);
      const lines = readFileSync(journal, 'utf8').split('\n');
      lines[1] = 'garbage{{';
      writeFileSync(journal, lines.join('\n'));
      if (!c.keepSnapshot) rmSync(join(dir, id, 'snapshot.json'));
    }
    const json = await runCli(['status', '--all', '--output', 'json', '--state-dir', dir]);
    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout) as Array<{ id: string; state: string }>;
    expect(listed.filter((d) => d.id.endsWith('-bbbb')).map((d) => d.state)).toEqual(cases.map(() => 'damaged'));
    expect(listed.find((d) => d.id === '20260101-000000-aaaa')?.state).toBe('succeeded');
    const text = await runCli(['status', '--all', '--state-dir', dir]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.match(/line 2 is not valid JSON/g)).toHaveLength(cases.length);
  });
});
