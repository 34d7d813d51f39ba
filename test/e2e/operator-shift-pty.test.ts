/**
 * An operator at a real terminal (a pseudo-terminal read back through a headless
 * terminal emulator) watches a sandbox traffic shift while another terminal
 * steers it in the middle of a step (not at a gate):
 * - `shift pause` holds it (the screen says so, and it stays held), `shift resume`
 *   lets it go on, `shift promote` ends it at once: exit 0, old generation retired;
 * - `shift abort` rolls it back: exit 1, the old generation takes every start again.
 * Each checks the exit code, that the whole summary ends the screen, and the
 * registry (`clusters list --output json`). Waits are on what the terminal and
 * `status` show, with long deadlines; there is no fixed sleep anywhere.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';
import { startPty, type PtyResult, type PtyRun } from '../helpers/pty.js';
import { requireBinary } from '../helpers/require-binary.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && requireBinary('python3', 'the pseudo-terminal is Python’s pty module');

/** The shift's first step has begun (the event line the live view prints). */
const STEP_1 = /step 1\/3: 10 % of new starts on the new clusters/;

interface Entry {
  name: string;
  state: string;
  score: number;
}

describe.skipIf(!hasTools)('shift commands from a second terminal during a running step', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir];
  const example = readFileSync(ws.config, 'utf8');
  // Fast everywhere but the steps: a step lasts long enough (60 s) that commands sent
  // from slow second processes on a loaded machine still land inside step 1; promote
  // and abort end the shift at once, so the long step costs no time.
  const shiftConfig = (interval: string) =>
    writeFileSync(ws.config, example.replace(/interval: 5s/, `interval: ${interval}`).replace(/bake: 5s/, 'bake: 1s').replace(/duration: 5s/, 'duration: 1s'));
  afterAll(() => ws.cleanup());
  let running: PtyRun | undefined;
  afterEach(() => running?.kill());
  const pty = (args: string[], cols: number): PtyRun => (running = startPty(args, { cols }));

  const registry = async (): Promise<Record<string, Pick<Entry, 'state' | 'score'>>> => {
    const list = await runCli(['clusters', 'list', ...common, '--output', 'json']);
    expect(list.code, list.stderr).toBe(0);
    return Object.fromEntries((JSON.parse(list.stdout) as Entry[]).map((e) => [e.name, { state: e.state, score: e.score }]));
  };
  const send = async (action: string): Promise<string> => {
    const reply = await runCli(['shift', action, ...common]);
    expect(reply.code, reply.stderr).toBe(0);
    return reply.stdout;
  };
  const expectSummaryAtEnd = async (result: PtyResult): Promise<void> => {
    const status = await runCli(['status', ...common]);
    const summary = status.stdout.trimEnd().split('\n');
    expect(summary.length).toBeGreaterThan(10);
    expect(result.lines.slice(-summary.length), result.raw).toEqual(summary);
  };

  beforeAll(async () => {
    shiftConfig('1s');
    const first = await runCli(['deploy', ...common, '--cluster-id', '210']);
    expect(first.code, first.stderr).toBe(0);
  }, 180_000);

  it('pause holds the step, resume lets it go on, promote ends it: exit 0, old generation retired (80 columns)', async () => {
    shiftConfig('60s');
    const run = pty(['deploy', ...common, '--cluster-id', '211'], 80);
    await run.waitForScreen(STEP_1);
    expect(await send('pause')).toMatch(/^pause sent to deployment \S+; .*the shift holds at step 1 \(scores stay as they are\)/);
    await run.waitForScreen(/paused at step 1\/3 \(10 %\); resume, promote or abort/);
    // The journal agrees it holds: a second pause is refused (exit 3), saying where it stands.
    const again = await runCli(['shift', 'pause', ...common]);
    expect(again.code, again.stderr).toBe(3);
    expect(again.stderr).toMatch(/the shift is already paused at step 1;/);
    expect(await send('resume')).toMatch(/^resume sent to deployment \S+; .*the shift continues from step 1$/m);
    await run.waitForScreen(/resumed at step 1\/3 \(10 %\)/);
    expect(await send('promote')).toMatch(/^promote sent to deployment \S+; .*eu211, us211 take all new starts now and eu210, us210 are cordoned/);
    const result = await run.done;
    expect(result.code, result.raw).toBe(0);
    await expectSummaryAtEnd(result);
    // Step 1 still, unless a very slow machine let its 60 s pass while the commands travelled.
    expect(result.lines.join('\n')).toMatch(/promoted by an operator at step \d\/3 \(\d+ %\)/);
    expect(await registry()).toEqual({ eu211: { state: 'AVAILABLE', score: 100 }, us211: { state: 'AVAILABLE', score: 100 } });
  }, 240_000);

  it('abort rolls the running step back: exit 1, the old generation takes every start again (120 columns)', async () => {
    shiftConfig('60s');
    const before = await registry();
    const run = pty(['deploy', ...common, '--cluster-id', '212'], 120);
    await run.waitForScreen(STEP_1);
    expect(await send('abort')).toMatch(/^abort sent to deployment \S+; .*rolls back/);
    const result = await run.done;
    expect(result.code, result.raw).toBe(1);
    await expectSummaryAtEnd(result);
    // Step 1 still, unless a very slow machine let its 60 s pass while the command travelled.
    expect(result.lines.join('\n')).toMatch(/traffic shift rolled back at step \d\/3 \(\d+ %\): aborted by an operator\. The old clusters take new starts again/);
    const after = await registry();
    for (const [name, entry] of Object.entries(before)) expect(after[name], name).toEqual(entry);
    expect(after.eu212).toMatchObject({ state: 'CORDONED', score: 0 });
    expect(after.us212).toMatchObject({ state: 'CORDONED', score: 0 });
  }, 240_000);
});
