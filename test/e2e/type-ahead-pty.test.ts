/**
 * What an operator types at a real terminal (a pseudo-terminal read back through a headless
 * terminal emulator) when no question is on screen answers nothing:
 * - a `y` and Enter, and a `y` without Enter, typed while the live view draws, before the
 *   beforeStart question: they sat in the terminal's input queue and approved the gate the moment its
 *   question appeared, a gate the operator never saw; keys typed after one question was answered,
 *   before the next, approved the next the same way. Asked, an answer that is not one (`no`) is said
 *   to be none, not silently asked again.
 * - CI=true on a terminal (GitLab's and Docker's `tty: true`): nobody is at it, so
 *   `clusters deregister --force` refuses up front with what to pass, as a manual gate does; it
 *   asked, and waited until the job's timeout. CI=false and CI=0 are no CI: there it asks.
 * Generation 1 is deployed once; each case works in its own copy.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { registryOf, startPty } from '../helpers/pty.js';
import { requireBinary } from '../helpers/require-binary.js';
import { QUICK_GATE, withShiftTimes } from '../helpers/sandbox-config.js';
import { deployGenerationOne, type GenerationOne } from '../helpers/sandbox-generation.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && requireBinary('python3', 'the pseudo-terminal is Python’s pty module');

const QUESTION = /approve\? \[y\/a\/Enter\]/g;

describe.skipIf(!hasTools).concurrent('keys typed at a terminal while nothing asks', () => {
  let generationOne: GenerationOne;
  beforeAll(async () => {
    generationOne = await deployGenerationOne(285);
  }, 180_000);
  afterAll(() => generationOne?.cleanup());

  it('approve no manual gate: only an answer typed at the question does', { timeout: 300_000 }, async ({ onTestFinished }) => {
    const ws = generationOne.copy();
    onTestFinished(() => ws.cleanup());
    // A staff stage of 10 s between the two questions: the keys typed after the first land well before the second.
    writeFileSync(ws.config, withShiftTimes(ws.example, { confidence: QUICK_GATE, staff: '10s' }).replace('gates: { beforeDestroy: auto }', 'gates: { beforeStart: manual, beforeIncrease: manual, beforeDestroy: auto }'));
    const run = startPty(['deploy', ...ws.common, '--cluster-id', '286'], { cols: 100 });
    onTestFinished(() => run.kill());
    const questions = async (): Promise<number> => ((await run.screen()).join('\n').match(QUESTION) ?? []).length;

    await run.waitForScreen(/deployment \S+: cluster id 286/);
    // A whole line and a partial one, while the clusters are built (no gate can be open before they are).
    run.type('y\ry');
    await run.waitForScreen(/manual gate beforeStart[\s\S]*approve\? \[y\/a\/Enter\]/);
    expect(await questions()).toBe(1);
    // Enter here would have sent the partial `y`; it keeps waiting: asked again, nothing approved.
    run.type('\r');
    await run.waitForScreen(/approve\? \[y\/a\/Enter\][^\n]*\napprove\? \[y\/a\/Enter\]/);
    run.type('no\r');
    await run.waitForScreen(/"no" is not an answer, the gate still waits: y = go on \/ a = abort and roll back \/ Enter = keep waiting\napprove\? \[y\/a\/Enter\]/);
    expect((await run.screen()).join('\n')).not.toMatch(/approved/);
    run.type('y\r');
    await run.waitForScreen(/beforeStart approved at the start by \S+ \(answered at the prompt\)/);
    // Between the two questions (the staff stage runs).
    run.type('y\r');
    expect((await run.screen()).join('\n'), 'typed before the beforeIncrease question').not.toMatch(/manual gate beforeIncrease/);
    await run.waitForScreen(/manual gate beforeIncrease at step 1\/3 \(10 %\)[\s\S]*approve\? \[y\/a\/Enter\]/);
    run.type('\x03');
    const result = await run.done;
    expect(result.code, result.raw).toBe(130);
    const screen = result.lines.join('\n');
    expect(screen.match(/\w+ approved at /g), screen).toEqual(['beforeStart approved at ']);
    expect(screen).toMatch(/interrupted at the manual gate: nothing was approved or changed/);

    // The journal agrees: held at beforeIncrease, before step 1 changed anything.
    const status = await runCli(['status', ...ws.common]);
    expect(status.stdout).toMatch(/held at the manual gate beforeIncrease/);
    expect(status.stdout).not.toMatch(/beforeIncrease[^\n]*approved/);
  });

  it('CI=true on a terminal: `clusters deregister --force` refuses up front instead of asking nobody (exit 2)', { timeout: 120_000 }, async ({ onTestFinished }) => {
    const ws = generationOne.copy();
    onTestFinished(() => ws.cleanup());
    const before = await registryOf(ws.common);
    const run = startPty(['clusters', 'deregister', ...ws.common, '--meta', 'dev-meta-eu01', '--name', 'eu285', '--force'], { cols: 100, env: { CI: 'true' } });
    onTestFinished(() => run.kill());
    const result = await run.done;
    expect(result.code, result.raw).toBe(2);
    expect(result.lines.join('\n')).toContain('error: deregister --force of eu285 stops its running workspaces and breaks those sessions; pass --yes to confirm when not on a terminal or under CI');
    expect(result.raw).not.toMatch(/Type the cluster name/);
    expect(await registryOf(ws.common)).toEqual(before);
  });

  // CI=false / CI=0 say "not CI" (ci-info, is-ci, the AWS CDK CLI read them so): it counted as CI, any non-empty
  // value did, and a person at the terminal was refused the question (reproduced: exit 2, "pass --yes").
  it.for(['false', '0'])('CI=%s on a terminal: a person is at it, `clusters deregister --force` asks', { timeout: 120_000 }, async (ci, { onTestFinished }) => {
    const ws = generationOne.copy();
    onTestFinished(() => ws.cleanup());
    const before = await registryOf(ws.common);
    const run = startPty(['clusters', 'deregister', ...ws.common, '--meta', 'dev-meta-eu01', '--name', 'eu285', '--force'], { cols: 100, env: { CI: ci } });
    onTestFinished(() => run.kill());
    await run.waitForScreen(/Type the cluster name to confirm:/);
    run.type('nope\r');
    const result = await run.done;
    expect(result.lines.join('\n')).toContain('deregistration of eu285 not confirmed; nothing changed');
    expect(await registryOf(ws.common)).toEqual(before);
  });
});
