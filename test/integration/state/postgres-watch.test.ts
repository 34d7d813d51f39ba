/**
 * `status --watch` on the PostgreSQL state store: a second store (another
 * process or machine) follows a deployment while the running one holds the
 * environment lock — the watch never needs it — sees each new record and a
 * queued shift command, and returns the deployment's exit code when it ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchDeployment } from '../../../src/cli/status-watch.js';
import { openPostgresStore } from '../../../src/state/postgres/postgres-store.js';
import { hasPostgres } from '../../helpers/postgres.js';
import { CLUSTER, created, startPgFixture, type PgFixture } from './pg-fixture.js';

describe.skipIf(!hasPostgres('status --watch is tested on a real PostgreSQL'))('status --watch on the postgres state store', () => {
  let fx: PgFixture;
  beforeAll(async () => {
    fx = await startPgFixture();
  }, 120_000);
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('follows a run that holds the lock, shows queued commands, and returns 0 when it succeeds', async () => {
    const url = await fx.freshDatabase();
    const runner = await openPostgresStore({ url, workDir: await fx.workDir() });
    const watcher = await openPostgresStore({ url, workDir: await fx.workDir() });
    try {
      const lock = await runner.lock({ project: 'p', environment: 'development' }, { deploymentId: 'd-001', command: 'deploy' });
      const j = await runner.create('d-001');
      await j.append(created);
      await j.append({ type: 'step.started', cluster: CLUSTER, step: 'create-cluster', attempt: 1 });
      let written = '';
      const out = { isTTY: false, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
      const watching = watchDeployment(watcher, 'd-001', { out, pollMs: 20 });
      /** Polls the watch's output with a long deadline (a loaded machine), no fixed sleep. */
      const shows = async (text: string): Promise<void> => {
        const deadline = Date.now() + 60_000;
        while (!written.includes(text)) {
          if (Date.now() > deadline) throw new Error(`the watch never printed ${JSON.stringify(text)}; it printed:\n${written}`);
          await new Promise((res) => setTimeout(res, 20));
        }
      };
      await shows(`${CLUSTER}  create-cluster running`);
      await runner.sendControl('d-001', 'pause');
      await shows('queued commands: pause (sent ');
      await j.append({ type: 'step.succeeded', cluster: CLUSTER, step: 'create-cluster', outputs: {}, durationMs: 5 });
      await j.append({ type: 'deployment.finished', state: 'succeeded' });
      expect(await watching).toBe(0);
      expect(written).toContain(`${CLUSTER}  all 1 step done`);
      expect(written.trimEnd().split('\n').slice(-2)).toEqual(['deployment succeeded', 'exit code 0']);
      await lock.release();
    } finally {
      await watcher.close();
      await runner.close();
    }
  }, 120_000);
});
