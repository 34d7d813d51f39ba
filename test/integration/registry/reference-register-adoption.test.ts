/**
 * The register step adopts an entry of its cluster's name and url only when its journal shows it sent that
 * Register (or an older ws-deployment, which journaled none, ran the step before). An entry someone else registered
 * (another state dir's deployment of the same names, an operator by hand) was taken as done: the step skipped, and
 * the shift then moved that entry's traffic and the retirement would deregister it. As terraform refuses a resource
 * that exists but is not in its state, the step now refuses, naming the entry and --overwrite; with --overwrite it
 * replaces it. Against the reference bridge (deployed answers), through the step's own check and run.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { registerClusterStep } from '../../../src/steps/register/register-step.js';
import type { StepOutputs } from '../../../src/steps/step.js';
import { makeContext } from '../../fixtures/install/step-context.js';
import type { ReferenceBridge } from '../../helpers/reference-bridge/reference-bridge.js';
import { referenceFixture } from './support/reference.js';
import { registerInput, rejection, tempDir } from './support/sim.js';

const ref = referenceFixture();
let tmp: Awaited<ReturnType<typeof tempDir>>;
const URL = 'dns:///ws-eu17.gitpod.example:8080';
const FOREIGN_TLS = { ca: 'their-ca', crt: 'their-client-certificate', key: 'their-private-key-material' };
beforeAll(async () => {
  tmp = await tempDir('wsd-register-adoption-');
});
afterEach(() => ref.cleanup());
afterAll(() => tmp.cleanup());

/** The step's context for the sandbox cluster eu17 registering with `b`; checkpoints merge into `journal` as the engine's do. */
function stepContext(b: ReferenceBridge, journal: StepOutputs, over: { attempt?: number; previous?: StepOutputs; overwrite?: boolean } = {}) {
  const config = { metaClusters: [{ name: 'meta-eu', bridge: { address: b.address } }], project: { dnsZone: 'gitpod.example' }, workspaceClusters: [{}] };
  const { ctx, sink } = makeContext({ root: tmp.dir, config, cluster: { type: 'sandbox' } });
  ctx.options = { ...ctx.options, overwrite: over.overwrite ?? false };
  ctx.attempt = over.attempt ?? 1;
  ctx.previous = over.previous;
  ctx.checkpoint = async (partial) => void Object.assign(journal, partial);
  return { ctx, sink };
}

/** eu17 at the step's very url, registered by someone else. */
async function foreignEntry(): Promise<ReferenceBridge> {
  const b = await ref.bridge('current', 'deployed');
  await (await ref.client(b)).register(registerInput('eu17', { url: URL, tls: FOREIGN_TLS }));
  b.calls.Register = 0;
  return b;
}

it("refuses an entry of its name and url it did not register, naming it and --overwrite; nothing sent, the entry kept", async () => {
  const b = await foreignEntry();
  const { ctx } = stepContext(b, {});
  const verdict = await registerClusterStep.check!(ctx);
  expect(verdict).toMatchObject({ action: 'refuse' });
  const words = `meta-eu lists eu17 with url ${URL} (state AVAILABLE, score 50), but this deployment did not register it there (its journal has no Register of eu17 to meta-eu): another state dir or an operator did, and ws-deployment adopts only entries it registered; deregister the old entry or re-run with --overwrite`;
  expect(verdict.action === 'refuse' && verdict.reason).toBe(words);
  const error = await rejection(registerClusterStep.run(stepContext(b, {}).ctx));
  expect(error).toMatchObject({ code: 'RegistryConflict' });
  expect(error.message).toContain(words);
  expect([b.calls.Deregister, b.calls.Register]).toEqual([0, 0]);
  expect(b.tlsOf('eu17')).toEqual(FOREIGN_TLS);
});

it('with --overwrite replaces it with its own registration', async () => {
  const b = await foreignEntry();
  const journal: StepOutputs = {};
  expect((await registerClusterStep.check!(stepContext(b, journal, { overwrite: true }).ctx)).action).toBe('proceed');
  const out = await registerClusterStep.run(stepContext(b, journal, { overwrite: true }).ctx);
  expect(out.registeredWith).toEqual(['meta-eu']);
  expect([b.calls.Deregister, b.calls.Register]).toEqual([1, 1]);
  expect(b.tlsOf('eu17')).not.toEqual(FOREIGN_TLS);
});

it('adopts its own entry after a crash between the Register and its record, and after a finished one', async () => {
  const b = await ref.bridge('current', 'deployed');
  const journal: StepOutputs = {};
  const { ctx } = stepContext(b, journal);
  const sent: unknown[] = [];
  const checkpoint = ctx.checkpoint;
  ctx.checkpoint = async (partial) => (sent.push(structuredClone(partial)), checkpoint(partial));
  await registerClusterStep.run(ctx);
  // journaled before the Register (registerSent), then the success (registeredWith)
  expect(sent).toEqual([{ registerSent: [] }, { registerSent: ['meta-eu'] }, { registeredWith: ['meta-eu'] }]);
  // The crash: the success never journaled; the next attempt's check reads the rest of the journal.
  const crashed = { registerSent: journal.registerSent };
  expect(await registerClusterStep.check!(stepContext(b, {}, { attempt: 2, previous: crashed }).ctx)).toMatchObject({ action: 'skip' });
  expect(await registerClusterStep.check!(stepContext(b, {}, { attempt: 2, previous: journal }).ctx)).toMatchObject({ action: 'skip' });
  expect(b.calls.Register).toBe(1);
});

it("a journal of an older ws-deployment (the step ran before, no registerSent) adopts as that version did, said and journaled", async () => {
  const b = await foreignEntry();
  const journal: StepOutputs = {};
  const { ctx, sink } = stepContext(b, journal, { attempt: 2 });
  expect(await registerClusterStep.check!(ctx)).toMatchObject({ action: 'skip' });
  expect(journal.registerSent).toEqual(['meta-eu']);
  expect(sink.events.find((e) => e.code === 'registry.older-journal')?.message).toBe(
    'this step ran before under a ws-deployment that did not journal its Registers: an entry of eu17 at its url on meta-eu is taken as this deployment\'s, as that version did',
  );
  // A step whose earlier attempt journaled registerSent (this version) is not one: the entry stays refused.
  expect((await registerClusterStep.check!(stepContext(b, {}, { attempt: 2, previous: { registerSent: [] } }).ctx)).action).toBe('refuse');
});
