/**
 * Two `deploy` processes of one environment started at the same instant, on
 * the file store and on PostgreSQL: exactly one runs (exit 0), the other is
 * refused (exit 3) by the environment lock with a message naming the winner
 * (pid, host, deployment), and the refused one leaves nothing behind: no
 * deployment record, no cluster. The winner's Terraform apply is slowed down to
 * 5 s (`sandbox_apply_seconds`) so the two certainly overlap.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { startCli } from '../../helpers/cli.js';
import { deploymentIds, faultWorkspace, SKIP_DEPLOYMENT_STEPS, tfstateFiles, type FaultWorkspace } from './fault-workspace.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

interface Outcome {
  winnerId: string;
  winnerCluster: string;
  loserCluster: string;
}

/** Starts both deploys together and checks the one-wins-one-refused contract; returns who won. */
async function race(ws: FaultWorkspace, extra: string[]): Promise<Outcome> {
  const contenders = ['141', '142'].map((clusterId) => ({
    clusterId,
    run: startCli(['deploy', ...ws.args(), ...SKIP_DEPLOYMENT_STEPS, '--cluster-id', clusterId, ...extra]),
  }));
  const results = await Promise.all(contenders.map((c) => c.run.done));
  const codes = results.map((r) => r.code).sort();
  expect(codes, results.map((r) => r.stderr).join('\n----\n')).toEqual([0, 3]);
  const w = results.findIndex((r) => r.code === 0);
  const winner = { ...contenders[w], result: results[w] };
  const loser = { ...contenders[1 - w], result: results[1 - w] };
  for (const r of results) expect(r.stderr).not.toMatch(/\n\s+at /);

  const winnerId = /deployment (\S+): partial/.exec(winner.result?.stdout ?? '')?.[1];
  expect(winnerId).toBeDefined();
  expect(loser.result?.stderr).toMatch(
    new RegExp(`environment development of project sandbox-project is locked by pid ${winner.run?.child.pid} on ${hostname()}, deployment ${winnerId} \\(deploy\\), since \\d{4}-`),
  );
  expect(loser.result?.stdout).not.toMatch(/deployment \S+: /); // refused before a deployment existed
  return { winnerId: winnerId as string, winnerCluster: `gp-dev-ws-eu${winner.clusterId}-eu-west1`, loserCluster: `gp-dev-ws-eu${loser.clusterId}-eu-west1` };
}

describe.skipIf(!hasTerraform)('two deploys at once', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('file store: one runs, the other is refused with exit 3 naming it', { timeout: 60_000 }, async () => {
    const ws = faultWorkspace({ terraformVariables: { sandbox_apply_seconds: 5 } });
    cleanups.push(ws.cleanup);
    const { winnerId, winnerCluster } = await race(ws, []);
    expect(deploymentIds(ws.stateDir)).toEqual([winnerId]);
    expect(tfstateFiles(ws.stateDir)).toEqual([`${winnerCluster}.tfstate`]);
  });

  describe.skipIf(!hasPostgres('the PostgreSQL state store'))('on PostgreSQL', () => {
    let db: TestPostgres;
    beforeAll(async () => {
      db = await startPostgres();
      cleanups.push(() => db.stop());
    });

    it('PostgreSQL store: one runs, the other is refused with exit 3 naming it', { timeout: 60_000 }, async () => {
      const ws = faultWorkspace({ terraformVariables: { sandbox_apply_seconds: 5 } });
      cleanups.push(ws.cleanup);
      const { winnerId, winnerCluster } = await race(ws, ['--state', db.url]);
      // The journal lives in the database: one deployment there, none on disk.
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ deployment_id: string }>('SELECT DISTINCT deployment_id FROM ws_deployment_events');
        expect(rows.map((r) => r.deployment_id)).toEqual([winnerId]);
      } finally {
        await client.end();
      }
      expect(deploymentIds(ws.stateDir).filter((id) => id !== winnerId)).toEqual([]);
      expect(tfstateFiles(ws.stateDir)).toEqual([`${winnerCluster}.tfstate`]);
    });
  });
});
