/**
 * `resume` of a deployment while a newer deployment of its environment has a damaged journal: whether the newer
 * one superseded it (promoted its own clusters) is past the damage. The resume took the damaged one for "not
 * superseded" and went on: its traffic shift would move new starts back onto the older generation and retire
 * the newer one's clusters as old. It now refuses, naming the newer journal and its fix, with nothing journaled.
 * Readers (`status`, `report`) still show the older deployment.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../../src/state/file-store.js';
import { supersededBy } from '../../../src/state/resumable.js';
import { runInProcess } from '../../helpers/in-process-cli.js';
import { createdFor } from '../../helpers/journal-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const OLDER = '20260101-000000-aaaa';
const NEWER = '20260102-000000-bbbb';
const SANDBOX = { project: 'sandbox-project', environment: 'development' };

describe('resume beside a newer deployment whose journal is damaged', () => {
  it('refuses, naming the newer journal; readers still read the older one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wsd-resume-damaged-'));
    dirs.push(root);
    const store = new FileStateStore(root);
    const older = await store.create(OLDER);
    await older.append(createdFor(OLDER, 101, SANDBOX));
    await older.append({ type: 'step.started', cluster: 'gp-dev-ws-eu101-eu-west1', step: 'create-cluster', attempt: 1 });
    await older.append({ type: 'step.failed', cluster: 'gp-dev-ws-eu101-eu-west1', step: 'create-cluster', error: { code: 'ToolFailed', message: 'x' } });
    await older.append({ type: 'deployment.finished', state: 'failed' });
    // Started with --allow-unfinished beside it; how it ended is past the damage.
    const newer = await store.create(NEWER);
    await newer.append(createdFor(NEWER, 102, SANDBOX));
    await newer.append({ type: 'step.started', cluster: 'gp-dev-ws-eu102-eu-west1', step: 'create-cluster', attempt: 1 });
    await newer.append({ type: 'deployment.finished', state: 'succeeded' });
    const journal = join(root, NEWER, 'journal.ndjson');
    const lines = readFileSync(journal, 'utf8').split('\n');
    lines[1] = 'garbage{{';
    writeFileSync(journal, lines.join('\n'));
    const olderJournal = join(root, OLDER, 'journal.ndjson');
    const before = readFileSync(olderJournal, 'utf8');

    const snap = (await store.open(OLDER, { readOnly: true })).snapshot();
    expect(await supersededBy(store, snap)).toBeUndefined();
    await expect(supersededBy(store, snap, { refuseDamaged: true })).rejects.toMatchObject({ code: 'StateCorrupt' });

    const resumed = await runInProcess(['resume', OLDER, '--config', 'examples/sandbox.yaml', '--state-dir', root]);
    expect(resumed.code).not.toBe(0);
    expect(resumed.stderr).toContain(`whether a newer deployment of this environment superseded ${OLDER}`);
    expect(resumed.stderr).toContain(`deployment ${NEWER}: journal ${journal} line 2 is not valid JSON`);
    expect(resumed.stderr).toMatch(/restore .*journal\.ndjson from a backup/);
    expect(readFileSync(olderJournal, 'utf8')).toBe(before);

    const status = await runInProcess(['status', OLDER, '--state-dir', root]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`deployment ${OLDER}: failed`);
  });
});
