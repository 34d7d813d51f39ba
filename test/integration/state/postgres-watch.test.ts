/**
 * `status --watch` on the PostgreSQL state store: a second store (another
 * process or machine) follows a deployment while the running one holds the
 * environment lock — the watch never needs it — sees each new record and a
 * queued shift command, and returns the deployment's exit code when it ends;
 * `ws-deployment status --watch` of a run whose process died (its database
 * session ended, so PostgreSQL freed its advisory lock) ends with 130 instead
 * of waiting for ever on a journal that says running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../../helpers/cli.js';
import { watchDeployment } from '../../../src/cli/status-watch.js';
import { openPostgresStore } from '../../../src/state/postgres/postgres-store.js';
import { hasPostgres } from '../../helpers/postgres.js';
import { CLUSTER, created, started } from '../../helpers/journal-fixture.js';
import { startPgFixture, waitFor, type PgFixture } from './pg-fixture.js';

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
      await j.append(started);
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

  it('`status --watch` ends with 130 once the process running the deployment is gone, and says how to continue', async () => {
    const url = await fx.freshDatabase();
    const runner = await openPostgresStore({ url, workDir: await fx.workDir() });
    try {
      await runner.lock({ project: 'p', environment: 'development' }, { deploymentId: 'd-001', command: 'deploy' });
      const j = await runner.create('d-001');
      await j.append(created);
      await j.append(started);
      const watchDir = await fx.workDir();
      const watch = startCli(['status', '--watch', 'd-001', '--state', url, '--state-dir', watchDir]);
      let stdout = '';
      watch.child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      const deadline = Date.now() + 60_000;
      while (!stdout.includes(`${CLUSTER}  create-cluster running`)) {
        if (Date.now() > deadline) throw new Error(`the watch never showed the running step; it printed:\n${stdout}`);
        await new Promise((res) => setTimeout(res, 20));
      }
      // Alive, the run is seen as such from another store (the watch's view), without taking its lock.
      const reader = await openPostgresStore({ url, workDir: await fx.workDir() });
      try {
        expect(await reader.lockHolder({ project: 'p', environment: 'development' })).toMatchObject({ deploymentId: 'd-001', command: 'deploy', pid: process.pid });
        expect(watch.child.exitCode).toBeNull();
        // The run's process dies as with SIGKILL: its lock session ends, the journal still says running.
        expect(await fx.terminate(url, 'ws-deployment-lock')).toBe(1);
        await waitFor(async () => (await reader.lockHolder({ project: 'p', environment: 'development' })) === undefined, 30_000);
      } finally {
        await reader.close();
      }
      const ended = await Promise.race([watch.done, new Promise<undefined>((res) => setTimeout(res, 90_000, undefined))]);
      if (!ended) watch.child.kill('SIGKILL');
      expect(ended?.code, `the watch did not end; it printed:\n${stdout}`).toBe(130);
      // The command it suggests reaches this database, and never prints its password (PGPASSWORD supplies it).
      const shown = `'${url.replace(/^(postgres:\/\/[^:/@]+):[^@]+@/, '$1@')}'`;
      expect(stdout.trimEnd().split('\n').slice(-2)).toEqual([
        `deployment interrupted: the process running deployment d-001 is gone; continue it with \`ws-deployment resume d-001 --state-dir ${watchDir} --state ${shown}\``,
        'exit code 130',
      ]);
    } finally {
      await runner.close();
    }
  }, 180_000);
});
