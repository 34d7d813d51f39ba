/**
 * The bridge's database failing (TypeORM/mysql texts, answered UNKNOWN as the deployed bridge does: its GRPCError
 * keeps the code in `status`, and grpc-js, here real, sends UNKNOWN with the message). A List or an absolute Update is
 * retried within the client's retry policy when the failure passes (a lost connection, a deadlock); one that will not
 * pass (a missing table) is not. A Register, Deregister or constraint change may have been written before the
 * database failed: List says whether it was, and a passing failure that List shows not done is sent once more.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { registrationSchema } from '../../../src/registry/config.js';
import { connectToMeta } from '../../../src/registry/connect.js';
import { registerCluster } from '../../../src/registry/register-cluster.js';
import { FAST, referenceFixture } from './support/reference.js';
import { registerInput, rejection, TEST_TLS } from './support/sim.js';

const ref = referenceFixture();
afterEach(() => ref.cleanup());

const LOST = 'Connection lost: The server closed the connection.';
const DEADLOCK = 'ER_LOCK_DEADLOCK: Deadlock found when trying to get lock; try restarting transaction';
const NO_TABLE = "ER_NO_SUCH_TABLE: Table 'gitpod.d_b_workspace_cluster' doesn't exist";

async function setup() {
  const b = await ref.bridge('current', 'deployed');
  const sink = new MemorySink();
  const c = await ref.client(b, sink);
  return { b, c, sink };
}

describe('a List the bridge fails in its database', () => {
  it('is retried when the failure passes (a lost database connection), and says so', async () => {
    const { b, c, sink } = await setup();
    await c.register(registerInput('eu1'));
    b.failInDatabase('List', LOST, { times: 2 });
    expect((await c.list()).map((s) => s.name)).toEqual(['eu1']);
    expect(b.calls.List).toBe(3);
    expect(sink.events.filter((e) => e.code === 'registry.retry')).toHaveLength(2);
  });

  it('gives up within the retry policy, naming the database and not the bridge as the cause', async () => {
    const { b, c } = await setup();
    b.failInDatabase('List', 'connect ECONNREFUSED 10.0.0.5:3306', { times: 10 });
    const error = await rejection(c.list());
    expect(b.calls.List).toBe(3); // FAST: 3 attempts
    expect(error).toMatchObject({ code: 'RegistryUnavailable', transient: true, details: { grpcCode: 2, database: 'transient' } });
    expect(error.message).toMatch(
      /^list on meta-eu failed in the database of its ws-manager-bridge \(connect ECONNREFUSED 10\.0\.0\.5:3306\): a database outage or blip, not a refusal; check that database \(and the bridge's logs\), then retry \(3 attempts in \d+\.\d s\)$/,
    );
  });

  it('is not retried when the failure will not pass (a missing table)', async () => {
    const { b, c } = await setup();
    b.failInDatabase('List', NO_TABLE, { times: 10 });
    const error = await rejection(c.list());
    expect(b.calls.List).toBe(1);
    expect(error).toMatchObject({ code: 'RegistryError', transient: false, details: { database: 'persistent' } });
    expect(error.message).toBe(
      `list on meta-eu failed in the database of its ws-manager-bridge (${NO_TABLE}): the database refused it, which a retry will not change (its schema, access or data); see the bridge's logs and its database`,
    );
  });

  it('an Update of an absolute value is retried as a List is', async () => {
    const { b, c } = await setup();
    await c.register(registerInput('eu1'));
    b.failInDatabase('Update', DEADLOCK);
    await c.update('eu1', { score: 7 });
    expect(b.calls.Update).toBe(2);
    expect(b.rows()[0]).toMatchObject({ score: 7 });
  });
});

describe('a call that must not be repeated, failed in the database', () => {
  it('a Register written before the database failed is found by List and reported as done', async () => {
    const { b, c, sink } = await setup();
    b.failInDatabase('Register', LOST, { applied: true });
    const outcome = await c.register(registerInput('eu1'));
    expect(outcome.answerLost).toBe(`meta-eu's ws-manager-bridge answered register of eu1 with an error of its database (${LOST})`);
    expect(b.calls.Register).toBe(1);
    expect(sink.events.find((e) => e.code === 'registry.answer-lost')?.message).toBe(
      `${outcome.answerLost}; List on meta-eu shows eu1 registered at dns:///ws-eu1.example.com:8080, so it went through`,
    );
  });

  it('a Register not written (a deadlock) is sent once more after List shows it absent', async () => {
    const { b, c } = await setup();
    b.failInDatabase('Register', DEADLOCK);
    expect(await c.register(registerInput('eu1'))).toEqual({});
    expect(b.calls.Register).toBe(2);
    expect(b.rows().map((r) => r.name)).toEqual(['eu1']);
  });

  it('a Deregister the database refuses for good is said not done, and not sent again', async () => {
    const { b, c } = await setup();
    await c.register(registerInput('eu1'));
    const denied = "ER_TABLEACCESS_DENIED_ERROR: DELETE command denied to user 'gitpod'@'10.0.0.7' for table 'd_b_workspace_cluster'";
    b.failInDatabase('Deregister', denied);
    const error = await rejection(c.deregister({ name: 'eu1', force: false }));
    expect(b.calls.Deregister).toBe(1);
    expect(error).toMatchObject({ code: 'RegistryError', transient: false, details: { applied: false, database: 'persistent' } });
    expect(error.message).toBe(
      `meta-eu's ws-manager-bridge answered deregister of eu1 with an error of its database (${denied}); List on meta-eu right after still lists eu1, ` +
        "so the bridge had not done it; its database refuses it, which a retry will not change (its schema, access or data): see the bridge's logs and its database",
    );
    expect(b.rows().map((r) => r.name)).toEqual(['eu1']);
  });

  it('the register step says a Register its database failed after writing went through, as List shows', async () => {
    const { b } = await setup();
    b.failInDatabase('Register', LOST, { applied: true });
    const result = await registerCluster({
      cluster: { name: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' },
      domain: 'gitpod.example',
      metaClusters: [{ name: 'meta-eu', bridge: { address: b.address } }],
      governedBy: 'meta-eu',
      registration: registrationSchema.parse({}),
      tls: { description: 'test material', read: async () => TEST_TLS },
      connect: (meta) => connectToMeta(meta, FAST),
    });
    expect(result.outcomes).toEqual([
      {
        meta: 'meta-eu',
        outcome: 'registered',
        detail: 'registered eu17 (dns:///ws-eu17.gitpod.example:8080) with meta-eu: cordoned, region europe, governor (its database failed; List shows it registered)',
      },
    ]);
    expect(b.calls.Register).toBe(1);
  });
});
