/**
 * The values digest of a release whose values hold secret `set` values is keyed with the
 * state dir's key: the plan, the step outputs (journal), the events and helm's argv carry no
 * plain SHA-256 of the values (which would let anyone test guesses of a weak secret offline),
 * a rotated secret still upgrades the release, and a lost key means an upgrade, never a skip.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInstallGitpodStep, prepareGitpodRelease } from '../../../src/steps/install/install-gitpod.js';
import { canonicalJson } from '../../../src/steps/install/values.js';
import { digestKeyPath } from '../../../src/steps/install/values-digest-key.js';
import type { FakeBin } from '../../helpers/fake-bin.js';
import { VERSION, fakeHelmOnPath, gitpodWorld, listed, releaseJson, statusJson } from '../../fixtures/install/helm-fixture.js';
import { makeContext } from '../../fixtures/install/step-context.js';

let root: string;
let helm: FakeBin | undefined;
let restore: (() => Promise<void>) | undefined;
const step = createInstallGitpodStep({ pollMs: 10 });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'wsd-digest-'));
});
afterEach(async () => {
  await restore?.();
  restore = undefined;
  rmSync(root, { recursive: true, force: true });
});

/** A context whose gitpod `set` holds `password` (state dir `root/<state>`); both share one inputs dir. */
function context(password: string, state = 'state') {
  const world = gitpodWorld(root, 'inputs');
  const gitpod = world.config.gitpod as Record<string, unknown>;
  const config = { ...world.config, gitpod: { ...gitpod, set: { ...(gitpod.set as object), 'database.password': password } } };
  return makeContext({ root: join(root, state), config, kubeconfig: world.kubeconfig, cluster: { valuesFiles: [world.clusterValues] } });
}

/** The plain SHA-256 of a release's values (what used to be recorded), and its 12-hex prefix shown in messages. */
function plainDigest(password: string): string {
  const { values } = prepareGitpodRelease(context(password, 'probe').ctx)!;
  return createHash('sha256').update(canonicalJson(values)).digest('hex');
}

describe('values digest of releases with secret values', () => {
  it('plans the key instead of a digest when the state dir has none, and shows no plain digest', () => {
    const { ctx } = context('hunter2-weak');
    const prepared = prepareGitpodRelease(ctx)!;
    expect(prepared).toMatchObject({ digest: '', digestKind: 'unkeyed' });
    const text = JSON.stringify(step.describe(ctx));
    expect(text).toContain(digestKeyPath(ctx.sharedDir));
    expect(text).not.toContain(plainDigest('hunter2-weak').slice(0, 12));
  });

  it('records a keyed digest: secret-only changes differ, no plain SHA-256 anywhere, a lost key upgrades', async () => {
    const plain = [plainDigest('hunter2-weak'), plainDigest('hunter3-weak')];
    ({ helm, restore } = await fakeHelmOnPath([VERSION, { match: ['list'], stdout: '[]' }, { match: ['upgrade'], stdout: releaseJson({ status: 'deployed', revision: 1 }) }]));
    const first = context('hunter2-weak');
    expect(await step.check!(first.ctx)).toMatchObject({ action: 'proceed' });
    expect((statSync(digestKeyPath(first.ctx.sharedDir)).mode & 0o777).toString(8)).toBe('600');
    const outputs = await step.run(first.ctx);
    const keyed = prepareGitpodRelease(first.ctx)!;
    expect(keyed.digestKind).toBe('hmac-sha256');
    expect(keyed.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(outputs).toMatchObject({ releases: [{ digest: keyed.digest, digestKind: 'hmac-sha256' }] });
    const upgrade = (await helm.calls()).find((c) => c.argv[0] === 'upgrade')!;
    expect(upgrade.argv).toContain(`ws-deployment values-hmac-sha256=${keyed.digest}`);

    // Only the secret differs: another digest under the same key (a rotation upgrades the release).
    const rotated = prepareGitpodRelease(context('hunter3-weak').ctx)!;
    expect(rotated.digest).not.toBe(keyed.digest);
    // Another state dir (another key): another digest, so nothing in it can be checked without the key.
    const otherKey = context('hunter2-weak', 'other');
    await step.check!(otherKey.ctx);
    expect(prepareGitpodRelease(otherKey.ctx)!.digest).not.toBe(keyed.digest);

    const seen = JSON.stringify({ outputs, events: first.sink.events, plan: step.describe(first.ctx), calls: await helm.calls() });
    for (const digest of plain) expect(seen).not.toContain(digest.slice(0, 12));
    expect(seen).not.toContain(readFileSync(digestKeyPath(first.ctx.sharedDir), 'utf8').trim());
    await restore!();

    // Deployed with the keyed digest: skipped; with the key lost (or with a rotated secret): upgraded.
    const deployed = statusJson({ status: 'deployed', revision: 1, description: `ws-deployment values-hmac-sha256=${keyed.digest}` });
    ({ helm, restore } = await fakeHelmOnPath([VERSION, listed(['gitpod']), { match: ['status'], stdout: deployed }]));
    expect(await step.check!(first.ctx)).toMatchObject({ action: 'skip' });
    expect(await step.check!(context('hunter3-weak').ctx)).toMatchObject({ action: 'proceed', reason: expect.stringContaining('values digest hmac-sha256=') });
    rmSync(digestKeyPath(first.ctx.sharedDir));
    expect(await step.check!(first.ctx)).toMatchObject({ action: 'proceed' });
  });
});

