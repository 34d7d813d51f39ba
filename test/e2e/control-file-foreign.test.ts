/**
 * The CLI's side of a queued shift command copied into another deployment's folder (state/control-files.ts):
 * `status B` listed A's abort as pending for B (and `resume B` applied it). Now `status` lists it for neither reader
 * as pending, and says on stderr which file it is and what to do; `status A` still shows it pending.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import { runCli } from '../helpers/cli.js';
import { createdFor } from '../helpers/journal-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'wsd-control-foreign-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const A = '20260101-000000-aaaa';
const B = '20260101-000001-bbbb';

describe('status beside a shift command copied from another deployment', { timeout: 60_000 }, () => {
  it('does not list it as pending, and warns with the file and the fix', async () => {
    const config = join(root, 'c.yaml');
    writeFileSync(config, 'version: v1\n');
    const store = new FileStateStore(root);
    for (const [id, environment] of [[A, 'development'], [B, 'staging']] as const) await (await store.create(id)).append(createdFor(id, 101, { environment, configFile: config }));
    await store.sendControl(A, 'abort', 'alice@box (shift abort)');
    const [name] = readdirSync(join(root, A, 'control'));
    mkdirSync(join(root, B, 'control'));
    const copied = join(root, B, 'control', name!);
    copyFileSync(join(root, A, 'control', name!), copied);

    const b = await runCli(['status', B, '--state-dir', root]);
    expect(b.stdout).not.toMatch(/pending shift commands/);
    expect(b.stderr).toContain(`warning: ${copied} queues "abort" for deployment ${A}, not for ${B} (copied into its folder, or left from an earlier deployment): not taken; if "abort" is meant for deployment ${B}, send it again with \`ws-deployment shift abort ${B}`);
    expect(b.stderr).toContain(`then remove the file (\`rm ${copied}\`)`);
    const a = await runCli(['status', A, '--state-dir', root]);
    expect(a.stdout).toMatch(/pending shift commands: abort \(sent /);
    expect(a.stderr).not.toMatch(/warning/);
  });
});
