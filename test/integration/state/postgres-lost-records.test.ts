/**
 * Records lost from the PostgreSQL journal. Every append writes its record and moves the snapshot row's
 * head in one transaction, so no crash leaves the head ahead of the records: one that is proves records
 * were deleted, or the events table was put back from an older backup. The store then refuses (writers
 * and readers alike) instead of going on from a shorter history. The reverse, the snapshot row put back
 * from an older backup while the journal is whole, loses nothing: the journal is the truth.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStateStore } from '../../../src/state/postgres/postgres-store.js';
import type { DeploymentJournal, StateStore } from '../../../src/state/store.js';
import { runCli } from '../../helpers/cli.js';
import { hasPostgres } from '../../helpers/postgres.js';
import { CLUSTER, created } from '../../helpers/journal-fixture.js';
import { startPgFixture, type PgFixture } from './pg-fixture.js';

describe.skipIf(!hasPostgres('the postgres state store is tested on a real server'))('postgres state store: lost records', () => {
  let fx: PgFixture;
  beforeAll(async () => {
    fx = await startPgFixture();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  /** A deployment whose cluster step succeeded before it was interrupted: records 1 to 5 (5 wrote the snapshot). */
  async function deployment(): Promise<{ url: string; s: PostgresStateStore; j: DeploymentJournal }> {
    const url = await fx.freshDatabase();
    const s = await openPostgresStore({ url, workDir: await fx.workDir() });
    const j = await s.create('d-001');
    await j.append(created);
    await j.append({ type: 'step.started', cluster: CLUSTER, step: 'create-cluster', attempt: 1 });
    await j.append({ type: 'event', level: 'info', code: 'tool.line', message: 'creating' });
    await j.append({ type: 'step.succeeded', cluster: CLUSTER, step: 'create-cluster', outputs: { a: 1 }, durationMs: 5 });
    await j.append({ type: 'deployment.finished', state: 'interrupted' });
    return { url, s, j };
  }

  const tables = async (url: string) => ({
    head: await fx.query(url, 'SELECT head_seq, snapshot_seq, snapshot FROM ws_deployment_snapshots'),
    events: await fx.query(url, 'SELECT seq, record FROM ws_deployment_events ORDER BY seq'),
  });

  /** Every way in must refuse with the same words, and leave both tables as they were. */
  async function expectRefused(url: string, s: PostgresStateStore, words: RegExp): Promise<string> {
    const before = await tables(url);
    const refusals = await Promise.allSettled([s.open('d-001'), (s as StateStore).open('d-001', { readOnly: true }), s.readRecords('d-001')]);
    const messages = refusals.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'opened'));
    for (const r of refusals) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'StateCorrupt' } });
    expect(new Set(messages).size).toBe(1);
    expect(messages[0]).toMatch(words);
    const [listed] = await s.list();
    expect(listed).toMatchObject({ id: 'd-001', state: 'damaged', project: 'p', environment: 'development', damaged: { clusterId: 101 } });
    expect(`deployment d-001: ${listed?.damaged?.file} ${listed?.damaged?.problem}; ${listed?.damaged?.fix}`).toBe(messages[0]);
    expect(await tables(url)).toEqual(before);
    return messages[0]!;
  }

  it('refuses a journal whose newest records were deleted, naming them, what it means and both ways out', async () => {
    const { url, s } = await deployment();
    await fx.query(url, 'DELETE FROM ws_deployment_events WHERE seq >= 4');
    const message = await expectRefused(url, s, /lost records 4 to 5/);
    expect(message).toContain('ends at record 3');
    expect(message).toContain('restore the table ws_deployment_events');
    expect(message).toContain('records were deleted, or the table was restored from an older backup');
    // Accepting the loss, as the message says, makes it openable from what the journal holds.
    const accept = /`(UPDATE ws_deployment_snapshots [^`]+)`/.exec(message)?.[1];
    expect(accept).toBeDefined();
    await fx.query(url, accept!);
    const reopened = await s.open('d-001');
    expect(reopened.snapshot().clusters[0]?.steps[0]?.state).toBe('running');
    expect((await reopened.append({ type: 'deployment.resumed', pid: 1 })).seq).toBe(4);
    await s.close();
  });

  it('says so on the command line: status lists it damaged, status ID, report and resume refuse and change nothing', async () => {
    const { url, s } = await deployment();
    await s.close();
    await fx.query(url, 'DELETE FROM ws_deployment_events WHERE seq >= 4');
    const before = await tables(url);
    const state = ['--state', url, '--state-dir', await fx.workDir()];
    const listed = await runCli(['status', '--all', ...state]);
    expect(listed.stdout).toMatch(/d-001\s+damaged/);
    expect(listed.stdout + listed.stderr).toContain('lost records 4 to 5');
    for (const args of [['status', 'd-001'], ['report', 'd-001', '--output', join(await fx.workDir(), 'r.html')], ['resume', 'd-001']]) {
      const r = await runCli([...args, ...state]);
      expect(r.code, `${args[0]}: ${r.stdout}${r.stderr}`).not.toBe(0);
      expect(r.stderr, args[0]).toMatch(/deployment d-001: the journal in postgres:\/\/\S+ \(table ws_deployment_events\) lost records 4 to 5: it ends at record 3/);
      expect(r.stderr, args[0]).not.toContain(fx.server.url.replace(/^.*:([^:@]*)@.*$/, '$1'));
    }
    expect(await tables(url)).toEqual(before);
  });

  it('refuses an events table put back from a dump older than the snapshot row, though the snapshot alone would look whole', async () => {
    const { url, s, j } = await deployment();
    await fx.query(url, 'CREATE TABLE events_dump AS SELECT * FROM ws_deployment_events');
    await j.append({ type: 'deployment.resumed', pid: 1 });
    // What restoring only this table from that dump does (pg_restore --clean -t ws_deployment_events).
    await fx.query(url, 'DELETE FROM ws_deployment_events; INSERT INTO ws_deployment_events SELECT * FROM events_dump');
    const message = await expectRefused(url, s, /lost record 6: /);
    expect(message).toContain('ends at record 5');
    await s.close();
  });

  it('refuses a journal with a record deleted in the middle, and one with the records after the snapshot gone', async () => {
    const { url, s } = await deployment();
    await fx.query(url, 'DELETE FROM ws_deployment_events WHERE seq = 2');
    const message = await expectRefused(url, s, /lost record 2: /);
    expect(message).toContain('ends at record 1');
    expect(message).toMatch(/DELETE FROM ws_deployment_events WHERE deployment_id = 'd-001' AND seq > 1/);
    await s.close();
  });

  it('goes on from the whole journal when the snapshot row was put back from an older dump (nothing lost)', async () => {
    const { url, s, j } = await deployment();
    const [old] = await fx.query(url, 'SELECT head_seq, snapshot, snapshot_seq FROM ws_deployment_snapshots');
    const whole = j.snapshot();
    await j.append({ type: 'deployment.resumed', pid: 1 });
    await j.append({ type: 'event', level: 'info', code: 'x', message: 'after the dump' });
    await fx.query(url, 'UPDATE ws_deployment_snapshots SET head_seq = $1, snapshot = $2::jsonb, snapshot_seq = $3', [old!.head_seq, JSON.stringify(old!.snapshot), old!.snapshot_seq]);
    const reopened = await s.open('d-001');
    expect(reopened.snapshot().state).toBe('running');
    expect(whole.state).not.toBe(reopened.snapshot().state);
    expect((await s.readRecords('d-001')).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await s.list()).map((d) => [d.id, d.state])).toEqual([['d-001', 'running']]);
    // The next record follows the journal's last one, not the stale head.
    expect((await reopened.append({ type: 'deployment.finished', state: 'succeeded' })).seq).toBe(8);
    expect(await fx.query(url, 'SELECT head_seq FROM ws_deployment_snapshots')).toEqual([{ head_seq: '8' }]);
    await s.close();
  });
});
