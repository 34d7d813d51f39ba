/**
 * `deploy --overwrite` (the register step) against an entry of the name or url in a state this tool does not know
 * (UNKNOWN(7) from a newer bridge, or UNKNOWN itself: state 0). Overwrite deregisters the old entry before it
 * registers, and `clusters deregister` of such an entry needs its name typed or --yes. The step, where nobody is
 * asked, refuses and sends nothing, also under the run's --yes (which approves manual gates: a CI job passes it for
 * those, never having seen this entry); the operator deregisters the entry by name and runs again. For an entry in a
 * known state the operator is told what was replaced (url, state, score, max score, constraints, TLS) as it happens.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { checkRegistration, registerCluster, type RegisterClusterInput } from '../../../src/registry/register-cluster.js';
import { registerClusterStep } from '../../../src/steps/register/register-step.js';
import { makeContext } from '../../fixtures/install/step-context.js';
import { runInProcess } from '../../helpers/in-process-cli.js';
import type { ReferenceBridge } from '../../helpers/reference-bridge/reference-bridge.js';
import { clustersCli, overwriteInput, referenceFixture } from './support/reference.js';
import { registerInput, rejection, tempDir, TEST_TLS, writeTestTls } from './support/sim.js';

const ref = referenceFixture();
let tmp: Awaited<ReturnType<typeof tempDir>>;
const URL = 'dns:///ws-eu17.gitpod.example:8080';
const OLD_URL = 'dns:///ws-eu17-old.gitpod.example:8080';
const OLD_TLS = { ca: 'old-ca-certificate', crt: 'old-client-certificate', key: 'old-private-key-material' };
beforeAll(async () => {
  tmp = await tempDir('wsd-overwrite-unknown-');
  await writeTestTls(tmp.dir);
});
afterEach(() => ref.cleanup());
afterAll(() => tmp.cleanup());

const input = (b: ReferenceBridge, extra: Partial<RegisterClusterInput> = {}): RegisterClusterInput => overwriteInput(b.address, join(tmp.dir, 'tls'), extra);

/** eu17 registered by hand at OLD_URL (score 80, a staff constraint, its own TLS), then put in `state`. */
async function oldEntry(state?: number): Promise<ReferenceBridge> {
  const b = await ref.bridge('current', 'deployed');
  const c = await ref.client(b);
  await c.register(registerInput('eu17', { url: OLD_URL, tls: OLD_TLS, admissionConstraints: [{ type: 'has-permission', permission: 'new-workspace-cluster' }], region: 'europe' }));
  await c.update('eu17', { score: 80 });
  if (state !== undefined) b.setState('eu17', state);
  b.calls.Register = 0;
  b.calls.Update = 0;
  return b;
}

const replaced = (state: string) => `eu17 (url ${OLD_URL}, state ${state}, score 80, max score 100, constraints has-permission=new-workspace-cluster, and its TLS material)`;

describe.each([
  [7, 'UNKNOWN(7)'],
  [0, 'UNKNOWN'],
] as const)('--overwrite of an entry in state %s', (state, shown) => {
  it('is refused in the check and the run, in the words of clusters deregister and naming the command that does it; nothing sent', async () => {
    const b = await oldEntry(state);
    const deregister = await clustersCli(['clusters', '--bridge', b.address, 'deregister', '--name', 'eu17']);
    const seen = `eu17 is in state ${shown} on meta-eu, a state this ws-deployment does not know (a newer ws-manager-bridge?), so it cannot tell whether deregistering it is safe`;
    expect(deregister.error?.message).toBe(`${seen}; check the cluster with the bridge that set it, then pass --yes to deregister it anyway`.replace('meta-eu', b.address));
    const words =
      `--overwrite would deregister eu17 first, and ${seen}; --overwrite does not replace such an entry, and a run's --yes approves its gates, ` +
      'not this: check the cluster with the bridge that set it, deregister it by name (`ws-deployment clusters deregister --meta meta-eu --name eu17`, ' +
      'which asks, or takes --yes), then run again';
    const check = await checkRegistration(input(b));
    expect(check).toMatchObject({ action: 'refuse', reason: `meta-eu already has eu17 with url ${OLD_URL}, not ${URL}; ${words}` });
    const error = await rejection(registerCluster(input(b)));
    expect(error).toMatchObject({ code: 'RegistryRefused' });
    expect(error.message).toContain(words);
    expect([b.calls.Deregister, b.calls.Register]).toEqual([0, 0]);
    expect(b.rows().map((r) => [r.name, r.url, r.state])).toEqual([['eu17', OLD_URL, state]]);
  });

  it('once deregistered by name (clusters deregister --yes), the next run registers it with nothing to replace', async () => {
    const b = await oldEntry(state);
    const deregister = await clustersCli(['clusters', '--bridge', b.address, 'deregister', '--name', 'eu17', '--yes']);
    expect(deregister.error).toBeUndefined();
    const sink = new MemorySink();
    expect(await checkRegistration(input(b))).toMatchObject({ action: 'proceed' });
    const result = await registerCluster(input(b, { sink }));
    expect(result.outcomes[0]?.detail).toMatch(new RegExp(`^registered eu17 \\(${URL}\\) with meta-eu: cordoned, `));
    expect(result.outcomes[0]?.detail).not.toContain('replacing');
    expect(sink.events.filter((e) => e.code === 'registry.overwritten')).toEqual([]);
    expect(b.rows().map((r) => [r.name, r.url, r.state, r.score])).toEqual([['eu17', URL, 'CORDONED', 50]]);
    expect(b.tlsOf('eu17')).toEqual(TEST_TLS);
  });
});

it('--overwrite of an entry in a known state goes through without --yes, telling what it replaced', async () => {
  const b = await oldEntry();
  const sink = new MemorySink();
  const result = await registerCluster(input(b, { sink }));
  expect(result.outcomes[0]?.detail).toContain(`, replacing ${replaced('AVAILABLE')}`);
  expect(sink.events.find((e) => e.code === 'registry.overwritten')?.message).toBe(`--overwrite deregistered ${replaced('AVAILABLE')} from meta-eu to register eu17 (${URL}) in its place`);
  expect([b.calls.Deregister, b.calls.Register]).toEqual([1, 1]);
});

it('clusters register --overwrite (the root flag) replaces nothing, and says the flag does not apply', async () => {
  const b = await oldEntry(7);
  const r = await runInProcess(['clusters', '--bridge', b.address, 'register', '--overwrite', '--name', 'eu17', '--url', URL, '--tls-path', join(tmp.dir, 'tls')]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toBe(
    `error: ${b.address} already has eu17 with url ${OLD_URL}, not ${URL}; nothing was changed — deregister the old entry or choose another name ` +
      '(--overwrite is for deploy and resume; clusters register never replaces an entry)\n',
  );
  expect([b.calls.Deregister, b.calls.Register]).toEqual([0, 0]);
});

it("the register step refuses such an entry under the run's --overwrite whatever its --yes (deploy/resume --overwrite --yes in CI)", async () => {
  const b = await oldEntry(7);
  const config = { metaClusters: [{ name: 'meta-eu', bridge: { address: b.address } }], project: { dnsZone: 'gitpod.example' }, workspaceClusters: [{}] };
  const verdicts: string[] = [];
  for (const yes of [false, true]) {
    const { ctx } = makeContext({ root: tmp.dir, config });
    ctx.options = { ...ctx.options, overwrite: true, yes };
    verdicts.push((await registerClusterStep.check?.(ctx))?.action ?? 'none');
  }
  expect(verdicts).toEqual(['refuse', 'refuse']);
  expect([b.calls.Deregister, b.calls.Register]).toEqual([0, 0]);
});
