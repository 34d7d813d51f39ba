/**
 * `status --watch` on a real terminal (a pseudo-terminal read back through a
 * headless terminal emulator), judged by the emulator's screen, while the operator
 * resizes the window, presses Ctrl-C, or watches on a terminal shorter than the
 * frame. The terminal held the operator's own lines before the watch started;
 * they must survive all of it.
 *
 * A first-generation sandbox deploy with a 30-minute `firstGenerationWatch` is
 * the running deployment (started once, killed at the end): its frame keeps its
 * shape while the clocks in it tick, and the watch redraws it every second.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxWorkspace, startCli, type CliRun } from '../helpers/cli.js';
import { startPty, type PtyRun } from '../helpers/pty.js';
import { requireBinary } from '../helpers/require-binary.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && requireBinary('python3', 'the pseudo-terminal is Python’s pty module');

/** What the terminal showed before the watch: earlier output and the command line that started it. */
const BEFORE = ['earlier output the watch must not touch', '$ ws-deployment status --watch'];
/** The frame's first line (its id and state are kept at any width the tests use). */
const HEADER = /^deployment \S+: /;
/** Clocks and counts tick: frames are compared with each duration (`1m05s`) and each number as one `#`. */
const shape = (line: string): string => line.replace(/(\d+[hms])+/g, '#').replace(/\d+/g, '#');
/** The frame's last line: a frame that has it was written whole. */
const WHOLE_FRAME = /deployment \S+: [^]*\n\S* {2}gate [^\n]*\n/;

/**
 * Why `lines` (the terminal's logical lines) are not the operator's lines (or none: the alternate screen) and then
 * exactly one frame shaped as `reference` and cut to `cols`; undefined when they are.
 */
function notOneFrame(lines: string[], reference: string[], cols: number): string | undefined {
  const headers = lines.flatMap((l, i) => (HEADER.test(l) ? [i] : []));
  if (headers.length !== 1) return `${headers.length} frame headers`;
  const above = lines.slice(0, headers[0]);
  if (above.length > 0 && above.join('\n') !== BEFORE.join('\n')) return `the lines above the frame are ${JSON.stringify(above)}`;
  const frame = lines.slice(headers[0]);
  if (frame.length !== reference.length) return `the frame has ${frame.length} lines, not ${reference.length}`;
  for (const [i, line] of frame.entries()) {
    if (line.length > cols) return `line ${i} is wider than ${cols} columns`;
    if (!shape(reference[i]!).startsWith(shape(line.replace(/…$/, '')))) return `line ${i} ${JSON.stringify(line)} is not ${JSON.stringify(reference[i])}`;
  }
  return undefined;
}

/** Resolves once the screen shows one frame (new output is awaited, never slept on); fails after a long deadline. */
async function settles(run: PtyRun, reference: string[], cols: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const lines = await run.screen();
    const wrong = notOneFrame(lines, reference, cols);
    if (wrong === undefined) return;
    if (Date.now() > deadline) throw new Error(`at ${cols} columns ${wrong}; the terminal shows:\n${lines.join('\n')}`);
    await run.waitForOutput(/[^]/, run.written(), Math.max(1, deadline - Date.now())).catch(() => undefined);
  }
}

/** The frame as the watch draws it at `cols` columns, and only it, after the next whole frame. */
async function expectOneFrame(run: PtyRun, reference: string[], cols: number): Promise<void> {
  await settles(run, reference, cols);
  await run.waitForOutput(WHOLE_FRAME, run.written());
  const lines = await run.screen();
  expect(notOneFrame(lines, reference, cols), lines.join('\n')).toBeUndefined();
}

describe.skipIf(!hasTools).concurrent('status --watch at a terminal that is resized, interrupted or short', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir];
  let deploy: CliRun;
  let id: string;
  beforeAll(async () => {
    writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace(/sampleDeadline: 60s/, 'sampleDeadline: 60s\n    firstGenerationWatch: 30m'));
    deploy = startCli(['deploy', ...common, '--cluster-id', '297']);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const found = existsSync(ws.stateDir) ? readdirSync(ws.stateDir).find((d) => existsSync(join(ws.stateDir, d, 'journal.ndjson'))) : undefined;
      if (found) return void (id = found);
      if (Date.now() > deadline) throw new Error(`no deployment appeared in ${ws.stateDir}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }, 180_000);
  afterAll(async () => {
    deploy?.child.kill('SIGINT');
    await deploy?.done;
    ws.cleanup();
  }, 120_000);

  /** The watch on a COLS x ROWS terminal that showed {@link BEFORE}; resolves once it draws the shift's watch stage. */
  const watch = async (cols: number, rows: number, reflowCursorLine: boolean, onTestFinished: (f: () => void) => void, drawn = /traffic shift: watch[^]*\n\S* {2}gate \S+ pass: [^\n]*\n/): Promise<PtyRun> => {
    const run = startPty(['status', '--watch', id, ...common], { cols, rows, control: true, reflowCursorLine, before: `${BEFORE.join('\r\n')}\r\n` });
    onTestFinished(() => run.kill());
    await run.waitForOutput(drawn, 0, 240_000);
    return run;
  };

  for (const reflowCursorLine of [false, true]) {
    it(`resized narrower and wider, between frames and in a burst, shows one frame and leaves the lines above it; Ctrl-C gives the screen back (${reflowCursorLine ? 'a terminal that re-wraps the cursor line' : 'one that cuts it'})`, async ({ onTestFinished }) => {
      const run = await watch(100, 40, reflowCursorLine, onTestFinished);
      await run.waitForOutput(WHOLE_FRAME, run.written());
      const reference = (await run.screen()).filter((_, i, all) => i >= all.findIndex((l) => HEADER.test(l)));
      expect(reference.at(-1)).toMatch(/^ {2}gate /);
      for (const cols of [40, 120, 36, 100]) {
        // Right after a whole frame: the watch is between frames.
        await run.waitForOutput(WHOLE_FRAME, run.written());
        await run.resize(cols);
        await expectOneFrame(run, reference, cols);
      }
      // A burst, one resize after another, while frames are being drawn.
      for (const cols of [50, 70, 36]) await run.resize(cols);
      await expectOneFrame(run, reference, 36);

      run.type('\x03');
      const result = await run.done;
      expect(result.code, result.raw).toBe(130);
      // The operator's screen, as it was, with the last frame under it, whole, and what Ctrl-C did.
      expect(result.left).toEqual({ screen: 'normal', cursorColumn: 0 });
      expect(result.lines.slice(0, BEFORE.length)).toEqual(BEFORE);
      const last = result.lines.at(-1);
      expect(last).toMatch(new RegExp(`^stopped watching \\(SIGINT\\); deployment ${id} goes on: \`ws-deployment status --watch ${id}`));
      expect(notOneFrame(result.lines.slice(0, -1), reference, 36), result.lines.join('\n')).toBeUndefined();
      // The cursor is visible: never hidden, or shown again after it last was.
      expect(result.raw.lastIndexOf('\x1b[?25l')).toBeLessThanOrEqual(result.raw.lastIndexOf('\x1b[?25h'));
    }, 360_000);
  }

  it('a frame taller than the terminal: no copies of it scroll away on redraw, and it is whole once the watch ends', async ({ onTestFinished }) => {
    const cut = /deployment \S+: [^]*traffic-shift: running[^]*\n[^\n]*more lines[^\n]*\n/;
    const run = await watch(100, 6, true, onTestFinished, cut);
    // Several redraws.
    for (let i = 0; i < 3; i++) await run.waitForOutput(cut, run.written());
    const during = await run.screen();
    // The screen holds the top of the frame and says how much more there is; nothing scrolled into the scrollback.
    expect(during.filter((l) => HEADER.test(l)), during.join('\n')).toHaveLength(1);
    expect(during.at(-1), during.join('\n')).toMatch(/^… \d+ more lines: a taller terminal shows them$/);
    expect(during.length, during.join('\n')).toBeLessThanOrEqual(6);
    run.type('\x03');
    const result = await run.done;
    expect(result.code, result.raw).toBe(130);
    expect(result.left).toEqual({ screen: 'normal', cursorColumn: 0 });
    expect(result.lines.slice(0, BEFORE.length), result.lines.join('\n')).toEqual(BEFORE);
    const frame = result.lines.slice(BEFORE.length, -1);
    expect(frame.filter((l) => HEADER.test(l)), result.lines.join('\n')).toHaveLength(1);
    expect(frame[0]).toMatch(HEADER);
    expect(frame.at(-1)).toMatch(/^ {2}gate /);
    expect(result.lines.at(-1)).toMatch(/^stopped watching \(SIGINT\)/);
  }, 360_000);
});
