/**
 * The command a gate event suggests, run as printed beside another deployment. Two unfinished deployments share
 * one state dir: A stopped waiting at the retirement's beforeDestroy gate, B (newer) failed. The gate's event is
 * made by the real gate (retire-guards.ts: waitForApproval) for A and completed as the CLI prints it
 * (core/next-command.ts); its `shift resume` is run with the real CLI, words split as sh splits them: the approval
 * must be queued for A, not B. The same command without the id (as the event said it before) is queued for B,
 * the newest unfinished deployment: what an operator copying it from a CI log would have approved.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../src/core/events.js';
import { nextCommands } from '../../src/core/next-command.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { waitForApproval } from '../../src/steps/retire/retire-guards.js';
import { runCli } from '../helpers/cli.js';
import { commandsIn, shWords } from '../helpers/suggested-commands.js';
import { CASES, makeCase } from './outcome-readers-agree.fixtures.js';

const root = mkdtempSync(join(tmpdir(), "wsd-gate-other 'dep' "));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a gate command run beside another deployment', { timeout: 120_000 }, () => {
  it('reaches the deployment whose gate it answers', async () => {
    const config = join(root, 'c.yaml');
    writeFileSync(config, 'version: v1\n');
    const stateDir = join(root, 'state');
    const store = new FileStateStore(stateDir);
    const a = { ...CASES.find((c) => c.env === 'retire-gate-killed')!, id: '20260101-000001-aaaa' };
    const b = { ...CASES.find((c) => c.outcome === 'failed')!, id: '20260101-000002-bbbb' };
    await makeCase(store, a, config);
    await makeCase(store, b, config);

    // A's gate, asked by the real gate code; answered at once so it returns (the event is what matters here).
    const sink = new MemorySink();
    const ctx = { deploymentId: a.id, sink, signal: new AbortController().signal, takeControl: async () => ({ command: 'resume' as const, sentAt: '2026-01-01T00:00:00.000Z' }), record: async () => undefined, checkpoint: async () => undefined };
    await waitForApproval(ctx, 'retire eu90 (cordon, drain, deregister)', { now: () => 0, sleep: async () => undefined });
    const printed = nextCommands({ stateDir, config }).text(sink.events.find((e) => e.code === 'retire.gate')!.message);
    const resume = commandsIn(printed).find((c) => c.startsWith('ws-deployment shift resume'));
    expect(resume, printed).toBeDefined();

    const ran = await runCli(shWords(resume!, {}).slice(1), { cwd: tmpdir() });
    expect(ran.code, ran.stderr).toBe(0);
    expect((await store.pendingControl(a.id)).map((p) => p.command)).toEqual(['resume']);
    expect(await store.pendingControl(b.id)).toEqual([]);

    // The bare form reaches B instead.
    const bare = await runCli(['shift', 'resume', '--state-dir', stateDir], { cwd: tmpdir() });
    expect(bare.stdout + bare.stderr).toContain(b.id);
    expect(bare.stdout + bare.stderr).not.toContain(a.id);
  });
});
