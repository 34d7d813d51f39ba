/**
 * An operator at a real terminal (a pseudo-terminal, read back through a
 * headless terminal emulator) at manual gates of the sandbox:
 * - approves beforeDestroy by typing y (80 columns);
 * - stops the deploy with Ctrl-Z at that question and continues it with `fg` (under a
 *   job-control parent, as under a shell): asked again, y goes on;
 * - resizes the terminal (80, 40, 120 columns) at that question: it is on screen once and whole;
 * - has it approved from a second terminal with `shift resume` while the question
 *   is on screen (40 columns): the question is withdrawn, no key is pressed, exit 0;
 * - has it refused from a second terminal with `shift abort` (200 columns): the reply
 *   says what happens (nothing changed), exit 1;
 * - presses Ctrl-C, Ctrl-\ or Ctrl-D (end of input) at the beforeStart question: exit 130, nothing moved;
 * - `resume`s a run stopped at the beforeIncrease question: asked again, y goes on.
 * Each checks the exit code, that the whole summary is the end of the screen (the
 * live area never redraws over it; at 40 columns it does not corrupt it either), and
 * the registry (`clusters list --output json`).
 *
 * Generation 1 (eu200, us200) is deployed once; each case deploys its generation 2
 * in its own copy of that workspace (state dirs are relocatable), so the cases run
 * concurrently, three at a time. The gate passes on its minSamples (QUICK_GATE), so
 * a step takes seconds; in the SIGKILL case each step needs 15 passing
 * measurements, so step 2 lasts long enough that the kill lands in it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { expectSummaryAtEnd, registryOf, sendShift, startPty, type PtyRun } from '../helpers/pty.js';
import { requireBinary } from '../helpers/require-binary.js';
import { QUICK_GATE, withShiftTimes, type ShiftTimes } from '../helpers/sandbox-config.js';
import { deployGenerationOne, limit, type GenerationOne } from '../helpers/sandbox-generation.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && requireBinary('python3', 'the pseudo-terminal is Python’s pty module');

/** Generation 1's short names, the old generation of every case. */
const OLD = ['eu200', 'us200'];

/** Three cases at a time: each runs real terraform and a deploy process; the machine may have two cores. */
const slot = limit(3);
/** A case's deadline counts its wait for a slot too. */
const CASE_TIMEOUT = 600_000;

/** A case's workspace: a copy of generation 1, its config set to `gates` (and `times`); removed when the case ends. */
function workspace({ onTestFinished }: TestContext, generationOne: GenerationOne, gates: string, times: ShiftTimes = { confidence: QUICK_GATE }) {
  const ws = generationOne.copy();
  onTestFinished(() => ws.cleanup());
  const config = withShiftTimes(ws.example, times);
  writeFileSync(ws.config, config.replace('gates: { beforeDestroy: auto }', `gates: { ${gates} }`));
  const common = ws.common;
  return {
    ws,
    common,
    registry: () => registryOf(common),
    newestId: async (): Promise<string> => (JSON.parse((await runCli(['status', ...common, '--output', 'json'])).stdout) as { id: string }).id,
    // A failed test must not leave its deploy running.
    pty: (args: string[], cols: number, terminal: { control?: boolean; reflowCursorLine?: boolean } = {}): PtyRun => {
      const run = startPty(args, { cols, ...terminal });
      onTestFinished(() => run.kill());
      return run;
    },
  };
}

describe.skipIf(!hasTools).concurrent('manual gates at a real terminal', () => {
  let generationOne: GenerationOne;
  beforeAll(async () => {
    generationOne = await deployGenerationOne(200, (example) => withShiftTimes(example));
  }, 180_000);
  afterAll(() => generationOne?.cleanup());

  it('typing y at the beforeDestroy question retires the old generation (80 columns)', (ctx) =>
    slot(async () => {
      const { common, registry, pty } = workspace(ctx, generationOne, 'beforeDestroy: manual');
      const run = pty(['deploy', ...common, '--cluster-id', '201'], 80);
      await run.waitForScreen(/retire them\? \[y\/a\/Enter\]/);
      run.type('y\r');
      const result = await run.done;
      expect(result.code, result.raw).toBe(0);
      await expectSummaryAtEnd(result, common);
      expect(result.lines.join('\n')).toMatch(/manual gate beforeDestroy approved \(resume\)/);
      expect(await registry()).toEqual({ eu201: { state: 'AVAILABLE', score: 100 }, us201: { state: 'AVAILABLE', score: 100 } });
    }),
  CASE_TIMEOUT);

  it('Ctrl-Z then `fg` at the beforeDestroy question: asked again, y retires the old generation (80 columns)', (ctx) =>
    slot(async () => {
      const { common, registry, pty } = workspace(ctx, generationOne, 'beforeDestroy: manual');
      const run = pty(['deploy', ...common, '--cluster-id', '208'], 80, { control: true });
      await run.waitForScreen(/retire them\? \[y\/a\/Enter\]/);
      await run.suspend();
      const mark = run.written();
      await run.foreground();
      // Redrawn once raw mode is back: keys typed from here reach the question (after `fg` they were all ignored).
      await run.waitForOutput(/retire them\? \[y\/a\/Enter\]/, mark);
      run.type('y\r');
      await run.waitForScreen(/manual gate beforeDestroy approved \(resume\)/);
      const result = await run.done;
      expect(result.code, result.raw).toBe(0);
      await expectSummaryAtEnd(result, common);
      expect(result.lines.filter((l) => /retire them\?/.test(l))).toHaveLength(1);
      expect(await registry()).toEqual({ eu208: { state: 'AVAILABLE', score: 100 }, us208: { state: 'AVAILABLE', score: 100 } });
    }),
  CASE_TIMEOUT);

  it('a resize at the beforeDestroy question, narrower then wider, leaves it once and whole; y goes on (80, 40, 120 columns)', (ctx) =>
    slot(async () => {
      const { common, registry, pty } = workspace(ctx, generationOne, 'beforeDestroy: manual');
      // A terminal that re-wraps the cursor's line too (VTE, iTerm2, kitty): readline's redraw left the top of the old question.
      const run = pty(['deploy', ...common, '--cluster-id', '209'], 80, { control: true, reflowCursorLine: true });
      const keys = 'y = go on / a = refuse, change nothing / Enter = keep waiting';
      await run.waitForScreen(/retire them\? \[y\/a\/Enter\]/);
      for (const cols of [40, 120]) {
        const mark = run.written();
        await run.resize(cols);
        await run.waitForOutput(/retire them\? \[y\/a\/Enter\]/, mark);
        const screen = await run.screen();
        expect(screen.slice(-2), `at ${cols} columns`).toEqual([keys, 'retire them? [y/a/Enter]']);
        expect(screen.filter((l) => /retire them\?|keep waiting/.test(l)), `at ${cols} columns`).toHaveLength(2);
      }
      run.type('y\r');
      await run.waitForScreen(/manual gate beforeDestroy approved \(resume\)/);
      const result = await run.done;
      expect(result.code, result.raw).toBe(0);
      await expectSummaryAtEnd(result, common);
      expect(await registry()).toEqual({ eu209: { state: 'AVAILABLE', score: 100 }, us209: { state: 'AVAILABLE', score: 100 } });
    }),
  CASE_TIMEOUT);

  it('`shift resume` from a second terminal withdraws the question and the deploy exits 0 (40 columns)', (ctx) =>
    slot(async () => {
      const { common, registry, pty } = workspace(ctx, generationOne, 'beforeDestroy: manual');
      const run = pty(['deploy', ...common, '--cluster-id', '202'], 40);
      await run.waitForScreen(/retire them\? \[y\/a\/Enter\]/);
      expect(await sendShift('resume', common)).toMatch(new RegExp(`^resume sent to deployment \\S+; its process takes it within a second: approves the beforeDestroy gate: ${OLD.join(', ')} \\(cordoned, taking no new starts\\) are drained, deregistered and destroyed`));
      // No key is pressed: the remote decision alone ends the wait.
      const result = await run.done;
      expect(result.code, result.raw).toBe(0);
      await expectSummaryAtEnd(result, common);
      // The live area (a row per cluster, no ATTEMPTS column) left nothing behind: no wrapped half, no duplicate.
      expect(result.lines.filter((l) => /^gp-dev-ws-\S+ {2}/.test(l) && !/\s\d+\s/.test(l))).toEqual([]);
      expect(await registry()).toEqual({ eu202: { state: 'AVAILABLE', score: 100 }, us202: { state: 'AVAILABLE', score: 100 } });
    }),
  CASE_TIMEOUT);

  it('`shift abort` from a second terminal refuses the retirement and says nothing changed (200 columns)', (ctx) =>
    slot(async () => {
      const { common, registry, pty } = workspace(ctx, generationOne, 'beforeDestroy: manual');
      const before = await registry();
      const olds = Object.keys(before).filter((n) => before[n]?.state === 'AVAILABLE').sort();
      expect(olds.length).toBe(2);
      const run = pty(['deploy', ...common, '--cluster-id', '203'], 200);
      await run.waitForScreen(/retire them\? \[y\/a\/Enter\]/);
      expect(await sendShift('abort', common)).toContain(`: retirement refused: nothing is changed — eu203, us203 keep all new starts at their scores, ${olds.join(', ')} stay cordoned and registered; the deployment ends as failed`);
      const result = await run.done;
      expect(result.code, result.raw).toBe(1);
      await expectSummaryAtEnd(result, common);
      expect(result.lines.join('\n')).toMatch(/retirement refused by an operator at the beforeDestroy gate; nothing was changed/);
      const after = await registry();
      expect(after).toEqual({
        ...Object.fromEntries(olds.map((n) => [n, { state: 'CORDONED', score: 0 }])), // as the promotion left them
        eu203: { state: 'AVAILABLE', score: 100 },
        us203: { state: 'AVAILABLE', score: 100 },
      });
    }),
  CASE_TIMEOUT);

  for (const [key, name, caret, clusterId] of [['\x03', 'Ctrl-C', '\\^C', '204'], ['\x04', 'Ctrl-D (end of input)', '\\^D', '207'], ['\x1c', 'Ctrl-\\', '\\^\\\\', '210']] as const) {
    it(`${name} at the beforeStart question interrupts the run: exit 130, nothing moved (80 columns)`, (ctx) =>
      slot(async () => {
        const { common, registry, newestId, pty } = workspace(ctx, generationOne, 'beforeStart: manual, beforeDestroy: auto');
        const before = await registry();
        const run = pty(['deploy', ...common, '--cluster-id', clusterId, '--allow-unfinished'], 80);
        await run.waitForScreen(/approve\? \[y\/a\/Enter\]/);
        run.type(key);
        const result = await run.done;
        expect(result.code, result.raw).toBe(130);
        // The key is echoed on the question's line, the refusal under it: the live area drew over neither.
        expect(result.lines.join('\n')).toMatch(new RegExp(`approve\\? \\[y/a/Enter\\][^\\n]*${caret}\\ninterrupted at the manual gate: nothing was approved or changed\\n`));
        await expectSummaryAtEnd(result, common);
        const id = await newestId();
        expect(result.lines.join('\n')).toContain(`continue it with \`ws-deployment resume ${id} --state-dir`);
        const after = await registry();
        expect(after).toEqual({ ...before, [`eu${clusterId}`]: { state: 'CORDONED', score: 50 }, [`us${clusterId}`]: { state: 'CORDONED', score: 50 } });
      }),
    CASE_TIMEOUT);
  }

  it('`resume` of a run stopped at the beforeIncrease question asks it again; y takes the next step: exit 0 (80 columns)', (ctx) =>
    slot(async () => {
      const { ws, common, registry, newestId, pty } = workspace(ctx, generationOne, 'beforeIncrease: manual, beforeDestroy: auto');
      const stopped = pty(['deploy', ...common, '--cluster-id', '206', '--allow-unfinished'], 80);
      await stopped.waitForScreen(/manual gate beforeIncrease at step 1\/3 \(10 %\)[\s\S]*approve\? \[y\/a\/Enter\]/);
      stopped.type('\x03');
      expect((await stopped.done).code).toBe(130);
      const id = await newestId();
      // Step 1's measurements, as the journal records them (events of the run).
      const stepOneMeasurements = (): number =>
        readFileSync(join(ws.stateDir, id, 'journal.ndjson'), 'utf8')
          .split('\n')
          .filter((line) => line.includes('"code":"traffic.decision"'))
          .filter((line) => (JSON.parse(line) as { data?: { percent?: number } }).data?.percent === 10).length;
      const measuredBefore = stepOneMeasurements();
      expect(measuredBefore).toBeGreaterThan(0);
      const resumed = pty(['resume', id, ...common], 80);
      // Asked again (it used to hold silently, and after a remote resume measure step 1 again and ask the same gate twice).
      await resumed.waitForScreen(/manual gate beforeIncrease at step 1\/3 \(10 %\)[\s\S]*approve\? \[y\/a\/Enter\]/);
      resumed.type('y\r');
      const result = await resumed.done;
      expect(result.code, result.raw).toBe(0);
      await expectSummaryAtEnd(result, common);
      const screen = result.lines.join('\n');
      expect(screen).toMatch(/step 2\/3: 50 % of new starts on the new clusters/);
      expect(screen.match(/manual gate beforeIncrease/g)).toHaveLength(1);
      // The approval went on to step 2: step 1, already passed, was not measured again.
      expect(stepOneMeasurements()).toBe(measuredBefore);
      const after = await registry();
      expect(after.eu206).toEqual({ state: 'AVAILABLE', score: 100 });
      expect(after.us206).toEqual({ state: 'AVAILABLE', score: 100 });
    }),
  CASE_TIMEOUT);

  it('`shift abort` to a deployment killed with SIGKILL is queued, shown by status, and applied by resume', (ctx) =>
    slot(async () => {
      // Each step needs 15 passing measurements, one a second: step 2 lasts 15 s or more, so the kill lands in it on a loaded machine.
      const { common, registry, newestId } = workspace(ctx, generationOne, 'beforeDestroy: auto', { confidence: QUICK_GATE, passes: 15 });
      const before = await registry();
      const run = startCli(['deploy', ...common, '--cluster-id', '205', '--allow-unfinished']);
      ctx.onTestFinished(() => void run.child.kill('SIGKILL'));
      await run.waitFor(/traffic-shift: step 2\/3/, 300_000);
      run.child.kill('SIGKILL');
      await run.done;
      const id = await newestId();
      expect(await sendShift('abort', common)).toMatch(new RegExp(`^abort queued for deployment ${id}: no process runs it now \\(its process is gone\\)\\. .*the shift rolls back from step 2`));
      const status = await runCli(['status', id, ...common]);
      expect(status.stdout).toMatch(new RegExp(`\\npending shift commands: abort \\(sent \\d\\d:\\d\\d:\\d\\d\\); applied when \`ws-deployment resume ${id} --state-dir [^\`]+\` continues it\\n$`));
      const resumed = await runCli(['resume', id, ...common]);
      expect(resumed.code, resumed.stderr).toBe(1);
      // Who sent the queued abort and when the run took it, in the head line.
      expect(resumed.stdout).toMatch(new RegExp(`^deployment ${id}: rolled back: aborted by \\S+@\\S+ \\(shift abort\\) at \\d{4}-`));
      expect((await runCli(['status', id, ...common])).stdout).not.toMatch(/pending shift commands/);
      const after = await registry();
      for (const [name, entry] of Object.entries(before)) expect(after[name], name).toEqual(entry);
      expect(after.eu205).toMatchObject({ state: 'CORDONED', score: 0 });
    }),
  CASE_TIMEOUT);
});
