/**
 * A ClusterState this tool's proto has no name for (a newer bridge adds one): proto-loader (`enums: String`) hands
 * it over as its number. Every reader must show it as such (`UNKNOWN(7)`, as gpctl's Go enums print an unknown
 * value by number), treat it as not taking new workspaces (never a state to shift traffic onto), and not deregister
 * such a cluster without a confirmation. The bridge is the reference bridge speaking state 7 on the wire.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { swapClusters } from '../../../src/registry/swap.js';
import { classifyRegistry } from '../../../src/registry/register-cluster.js';
import { clustersCli, referenceFixture } from './support/reference.js';
import { registerInput, rejection } from './support/sim.js';

const ref = referenceFixture();
afterEach(() => ref.cleanup());

async function bridgeWithState7() {
  const b = await ref.bridge('current', 'deployed');
  const c = await ref.client(b, new MemorySink());
  await c.register(registerInput('eu1'));
  await c.register(registerInput('eu2'));
  b.setState('eu2', 7);
  return { b, c };
}

describe('a cluster in a state the tool does not know (state 7 from a newer bridge)', () => {
  it('List gives it as UNKNOWN with the number kept, so no reader takes it for AVAILABLE', async () => {
    const { c } = await bridgeWithState7();
    const eu2 = (await c.list()).find((s) => s.name === 'eu2');
    expect(eu2).toMatchObject({ state: 'UNKNOWN', unknownState: 7 });
    expect((await c.list()).find((s) => s.name === 'eu1')).not.toHaveProperty('unknownState');
  });

  it('clusters list shows UNKNOWN(7) in the table and the JSON, and says on stderr what that means', async () => {
    const { b } = await bridgeWithState7();
    const table = await clustersCli(['clusters', '--bridge', b.address, 'list']);
    expect(table.error).toBeUndefined();
    expect(table.out.split('\n').find((l) => l.startsWith('eu2'))).toMatch(/\bUNKNOWN\(7\)\s+50\b/);
    // What each command does with it (a shift and a retirement refuse it: test/integration/shift/unknown-state-shift-retire.test.ts).
    expect(table.warn).toBe(
      `warning: eu2 is in state UNKNOWN(7) on ${b.address}, a state this ws-deployment does not know (a newer ws-manager-bridge?): not counted ` +
        'as taking new workspaces; a traffic shift onto or from it, its retirement and a swap are refused before any change; uncordon and ' +
        'deregister need its name typed or --yes; deploy --overwrite does not replace it (deregister it by name first); cordon goes through and ' +
        'replaces the state\n',
    );
    const json = await clustersCli(['clusters', '--bridge', b.address, 'list', '--output', 'json']);
    const rows = JSON.parse(json.out) as Array<{ name: string; state: string }>;
    expect(rows.map((r) => [r.name, r.state])).toEqual([
      ['eu1', 'AVAILABLE'],
      ['eu2', 'UNKNOWN(7)'],
    ]);
    expect(rows[1]).not.toHaveProperty('unknownState');
  });

  it('swap refuses it by its number, and a register check names the state as unknown', async () => {
    const { c } = await bridgeWithState7();
    const error = await rejection(swapClusters(c, 'eu1', 'eu2'));
    expect(error.message).toContain('eu2 is UNKNOWN(7) (a state this ws-deployment does not know); only AVAILABLE and CORDONED clusters can swap');
    const finding = classifyRegistry(await c.list(), 'eu2', 'dns:///ws-eu2.example.com:8080', 'meta-eu');
    expect(finding).toEqual({
      kind: 'registered',
      evidence: 'meta-eu lists eu2 with url dns:///ws-eu2.example.com:8080 (state UNKNOWN(7), a state this ws-deployment does not know; score 50)',
    });
  });

  it('clusters deregister does not remove it unconfirmed; with --yes it does', async () => {
    const { b } = await bridgeWithState7();
    const refused = await clustersCli(['clusters', '--bridge', b.address, 'deregister', '--name', 'eu2']);
    // Said as every other reader says it: UNKNOWN(7), not "state 7".
    const seen = `eu2 is in state UNKNOWN(7) on ${b.address}, a state this ws-deployment does not know (a newer ws-manager-bridge?)`;
    expect(refused.error?.message).toBe(`${seen}, so it cannot tell whether deregistering it is safe; check the cluster with the bridge that set it, then pass --yes to deregister it anyway`);
    expect(b.calls.Deregister).toBe(0);
    const questions: string[] = [];
    const wrong = await clustersCli(['clusters', '--bridge', b.address, 'deregister', '--name', 'eu2'], async (q) => (questions.push(q), 'eu1'));
    expect(questions).toEqual([`${seen}, so it cannot tell whether deregistering it is safe.\nType the cluster name to deregister it anyway: `]);
    expect(wrong.error?.message).toBe('deregistration of eu2 not confirmed; nothing changed');
    expect(b.calls.Deregister).toBe(0);
    const done = await clustersCli(['clusters', '--bridge', b.address, 'deregister', '--name', 'eu2', '--yes']);
    expect(done.error).toBeUndefined();
    expect(done.out).toBe(`eu2: deregistered from ${b.address}\n`);
    expect(b.rows().map((r) => r.name)).toEqual(['eu1']);
  });

  it('clusters uncordon does not replace it unconfirmed; with --yes it does and says what it replaced; cordon goes through and says so', async () => {
    const { b } = await bridgeWithState7();
    const seen = `eu2 is in state UNKNOWN(7) on ${b.address}, a state this ws-deployment does not know (a newer ws-manager-bridge?)`;
    const refused = await clustersCli(['clusters', '--bridge', b.address, 'uncordon', '--name', 'eu2']);
    expect(refused.error?.message).toBe(
      `${seen}: uncordoning replaces that state with AVAILABLE, which nothing sets back, and sends it new workspaces, so this tool cannot tell ` +
        'whether that is safe; check the cluster with the bridge that set the state (or upgrade ws-deployment), then pass --yes to uncordon it anyway',
    );
    expect(b.calls.Update).toBe(0);
    expect(b.rows().find((r) => r.name === 'eu2')?.state).toBe(7);
    const done = await clustersCli(['clusters', '--bridge', b.address, 'uncordon', '--name', 'eu2', '--yes']);
    expect([done.error, done.out]).toEqual([undefined, `eu2: uncordoned on ${b.address}\n`]);
    expect(done.warn).toBe(`warning: ${seen}; uncordon replaced that state with AVAILABLE, which no ws-deployment command sets back\n`);
    expect(b.rows().find((r) => r.name === 'eu2')?.state).toBe('AVAILABLE');

    b.setState('eu2', 7);
    const cordoned = await clustersCli(['clusters', '--bridge', b.address, 'cordon', '--name', 'eu2']);
    expect([cordoned.error, cordoned.out]).toEqual([undefined, `eu2: cordoned on ${b.address}\n`]);
    expect(cordoned.warn).toBe(`warning: ${seen}; cordon replaced that state with CORDONED, which no ws-deployment command sets back\n`);
    // A cluster in a state it knows: no List-based word, as before.
    const plain = await clustersCli(['clusters', '--bridge', b.address, 'uncordon', '--name', 'eu1']);
    expect([plain.error, plain.out, plain.warn]).toEqual([undefined, `eu1: uncordoned on ${b.address}\n`, '']);
  });

  it('UNKNOWN itself (state 0, a database state the bridge cannot map) is treated alike: list warns, deregister and uncordon ask', async () => {
    const b = await ref.bridge('current', 'deployed');
    const c = await ref.client(b, new MemorySink());
    await c.register(registerInput('eu1'));
    b.setState('eu1', 'UNKNOWN');
    expect((await c.list())[0]).toMatchObject({ name: 'eu1', state: 'UNKNOWN' });
    const seen = `eu1 is in state UNKNOWN on ${b.address}, a state this ws-deployment does not know (a newer ws-manager-bridge?)`;
    const table = await clustersCli(['clusters', '--bridge', b.address, 'list']);
    expect(table.warn).toContain(`warning: ${seen}: not counted as taking new workspaces;`);
    const deregister = await clustersCli(['clusters', '--bridge', b.address, 'deregister', '--name', 'eu1']);
    expect(deregister.error?.message).toContain(`${seen}, so it cannot tell whether deregistering it is safe;`);
    const uncordon = await clustersCli(['clusters', '--bridge', b.address, 'uncordon', '--name', 'eu1']);
    expect(uncordon.error?.message).toContain(`${seen}: uncordoning replaces that state`);
    expect([b.calls.Deregister, b.calls.Update]).toEqual([0, 0]);
  });
});
