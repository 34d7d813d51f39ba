/**
 * An operator at a real terminal (a pseudo-terminal read back through a headless
 * terminal emulator) watches a sandbox traffic shift while another terminal
 * steers it, at each phase of the shift: the staff stage, a running step and the
 * bake. For every phase:
 * - `shift pause` holds it (the reply and the screen say so, a second pause is
 *   refused, the registry does not move), `shift resume` lets it go on, `shift
 *   promote` ends it at once: exit 0, old generation retired;
 * - `shift abort` rolls it back: exit 1, the old generation takes every start again.
 * Each checks the exit code, that the whole summary ends the screen, and the
 * registry (`clusters list --output json`).
 *
 * Generation 1 (eu210, us210) is deployed once; each case has its own copy of
 * that workspace (state dir, sandbox registry, config: state dirs are
 * relocatable), so the cases run concurrently, three at a time. The phase being
 * steered lasts 120 s, so commands sent by slow second processes on a loaded
 * machine land inside it; promote and abort end the shift at once, so the long
 * phase costs no time.
 * Waits are on what the terminal shows, with long deadlines; there is no sleep.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { expectSummaryAtEnd, registryOf, sendShift, startPty, type PtyRun } from '../helpers/pty.js';
import { requireBinary } from '../helpers/require-binary.js';
import { withShiftTimes, type ShiftTimes } from '../helpers/sandbox-config.js';
import { deployGenerationOne, limit, type GenerationOne } from '../helpers/sandbox-generation.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && requireBinary('python3', 'the pseudo-terminal is Python’s pty module');

const HOLD = '120s';

interface Phase {
  name: 'staff' | 'step' | 'bake';
  /** The shift's waits: this phase lasts {@link HOLD}, the others 1 s. */
  times: ShiftTimes;
  /** The shift's steps (the bake comes sooner after a single step). */
  steps: string;
  /** What the terminal shows once the phase runs (an event line of the live view). */
  reached: RegExp;
  /** The phase in the shift's own words (`paused at …`, `promoted by an operator at …`). */
  at: string;
  /** The phase in the replies to `shift` (`the shift holds at …`). */
  replyAt: string;
  /** The journaled shift phase (`status --output json`). */
  journaled: string;
}

const PHASES: Phase[] = [
  { name: 'staff', times: { staff: HOLD }, steps: '[10, 50, 100]', reached: /staff stage: new clusters take starts of has-permission=new-workspace-cluster holders only/, at: 'the staff stage', replyAt: 'the staff stage', journaled: 'staff' },
  { name: 'step', times: { interval: HOLD }, steps: '[10, 50, 100]', reached: /step 1\/3: 10 % of new starts on the new clusters/, at: 'step 1/3 (10 %)', replyAt: 'step 1', journaled: 'steps' },
  // The bake's first measurement is its first line on the screen (it comes one interval, 1 s, into the bake).
  { name: 'bake', times: { bake: HOLD }, steps: '[100]', reached: /the bake at 100 %: \w+: /, at: 'the bake at 100 %', replyAt: 'the bake at 100 %', journaled: 'bake' },
];

/** Three cases at a time: each runs real terraform and a deploy process; the machine may have two cores. */
const slot = limit(3);
/** A case's deadline counts its wait for a slot too. */
const CASE_TIMEOUT = 600_000;

/** A copy of the workspace whose generation 1 (eu210, us210) is deployed, its config set up for `phase`; removed when the case ends. */
function workspaceAt(generationOne: GenerationOne, phase: Phase, { onTestFinished }: TestContext) {
  const ws = generationOne.copy();
  onTestFinished(() => ws.cleanup());
  writeFileSync(ws.config, withShiftTimes(ws.example, phase.times).replace('steps: [10, 50, 100]', `steps: ${phase.steps}`));
  return { ws, common: ws.common };
}

const journaledPhase = async (common: string[]): Promise<string | undefined> =>
  (JSON.parse((await runCli(['status', ...common, '--output', 'json'])).stdout) as { shift?: { phase?: string } }).shift?.phase;

describe.skipIf(!hasTools).concurrent('shift commands from a second terminal at each phase of the shift', () => {
  let generationOne: GenerationOne;
  // Generation 1 promotes at once (no old clusters); fast waits.
  beforeAll(async () => {
    generationOne = await deployGenerationOne(210, (example) => withShiftTimes(example));
  }, 300_000);
  afterAll(() => generationOne?.cleanup());

  for (const phase of PHASES) {
    it(`${phase.name}: pause holds, resume lets it go on, promote ends it: exit 0, old generation retired`, (ctx) =>
      slot(async () => {
        const { common } = workspaceAt(generationOne, phase, ctx);
        let run: PtyRun | undefined;
        try {
          run = startPty(['deploy', ...common, '--cluster-id', '211'], { cols: 100 });
          await run.waitForScreen(phase.reached);
          expect(await sendShift('pause', common)).toMatch(new RegExp(`^pause sent to deployment \\S+; .*the shift holds at ${escape(phase.replyAt)} \\(scores stay as they are\\)`));
          await run.waitForScreen(new RegExp(`paused at ${escape(phase.at)}; resume, promote or abort`));
          expect(await journaledPhase(common)).toBe(phase.journaled);
          const held = await registryOf(common);
          // The journal agrees it holds: a second pause is refused (exit 3), saying where it stands.
          const again = await runCli(['shift', 'pause', ...common]);
          expect(again.code, again.stderr).toBe(3);
          expect(again.stderr).toContain(`the shift is already paused at ${phase.replyAt};`);
          // Held: nothing moved while the commands travelled.
          expect(await registryOf(common)).toEqual(held);
          expect(await sendShift('resume', common)).toMatch(new RegExp(`^resume sent to deployment \\S+; .*the shift continues from ${escape(phase.replyAt)}$`, 'm'));
          await run.waitForScreen(new RegExp(`resumed at ${escape(phase.at)}`));
          expect(await sendShift('promote', common)).toMatch(/^promote sent to deployment \S+; .*eu211, us211 take all new starts now and eu210, us210 are cordoned/);
          const result = await run.done;
          expect(result.code, result.raw).toBe(0);
          await expectSummaryAtEnd(result, common);
          expect(result.lines.join('\n')).toContain(`promoted by an operator at ${phase.at}`);
          expect(await registryOf(common)).toEqual({ eu211: { state: 'AVAILABLE', score: 100 }, us211: { state: 'AVAILABLE', score: 100 } });
          // Promoted from the staff stage too: everyone may start workspaces on the new clusters.
          const list = JSON.parse((await runCli(['clusters', 'list', ...common, '--output', 'json'])).stdout) as Array<{ name: string; admissionConstraints: unknown[] }>;
          expect(list.map((c) => [c.name, c.admissionConstraints]).sort()).toEqual([['eu211', []], ['us211', []]]);
        } finally {
          run?.kill();
        }
      }),
    CASE_TIMEOUT);

    it(`${phase.name}: abort rolls the shift back: exit 1, the old generation takes every start again`, (ctx) =>
      slot(async () => {
        const { common } = workspaceAt(generationOne, phase, ctx);
        let run: PtyRun | undefined;
        try {
          const before = await registryOf(common);
          expect(before).toEqual({ eu210: { state: 'AVAILABLE', score: 100 }, us210: { state: 'AVAILABLE', score: 100 } });
          run = startPty(['deploy', ...common, '--cluster-id', '211'], { cols: 100 });
          await run.waitForScreen(phase.reached);
          expect(await sendShift('abort', common)).toMatch(new RegExp(`^abort sent to deployment \\S+; .*the shift rolls back from ${escape(phase.replyAt)}: the saved scores of eu210, us210 are restored and eu211, us211 are cordoned`));
          const result = await run.done;
          expect(result.code, result.raw).toBe(1);
          await expectSummaryAtEnd(result, common);
          // The reason and what happened since are two lines of the summary.
          expect(result.lines.join('\n')).toMatch(new RegExp(`traffic shift rolled back at ${escape(phase.at)}: aborted by \\S+@\\S+ \\(shift abort\\) at \\S+\\.\\s+The old clusters take new starts again`));
          const after = await registryOf(common);
          expect(after).toEqual({ ...before, eu211: { state: 'CORDONED', score: 0 }, us211: { state: 'CORDONED', score: 0 } });
        } finally {
          run?.kill();
        }
      }),
    CASE_TIMEOUT);
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
