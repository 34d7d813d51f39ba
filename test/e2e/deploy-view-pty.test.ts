/**
 * `deploy`'s live view on a real terminal (a pseudo-terminal read back through a
 * headless terminal emulator), judged by the emulator's screen and scrollback:
 * resized narrower and wider while it draws, it shows each cluster's line once
 * (no top half of an older frame left behind) under the operator's own lines; on a
 * terminal that cannot redraw (`TERM=dumb`, `TERM` empty) it writes no escape code.
 * Stopped with Ctrl-Z and continued with `fg` under a job-control parent, it leaves
 * the cursor visible and draws a whole view under the shell's lines, none erased.
 *
 * A first-generation sandbox deploy with a 30-minute `firstGenerationWatch` keeps
 * the view up while the tests resize it; Ctrl-C ends it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sandboxWorkspace } from '../helpers/cli.js';
import { startPty, type PtyRun } from '../helpers/pty.js';
import { requireBinary } from '../helpers/require-binary.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && requireBinary('python3', 'the pseudo-terminal is Python’s pty module');

const BEFORE = ['earlier output the view must not touch', '$ ws-deployment deploy'];
/** A cluster's line in the view: its name, then its step (scrolled event lines start with a time). */
const CLUSTER = /^gp-\S+-(eu|us)\d+\S* /;
/** The view while the first generation's watch runs: its line scrolled above both clusters' lines. */
const WATCHING = /first generation's watch: [^]*\ngp-\S+ +register-cluster +succeeded\ngp-\S+ +register-cluster +succeeded/;

function workspace(clusterId: number, onTestFinished: (f: () => void) => void): string[] {
  const ws = sandboxWorkspace();
  onTestFinished(() => ws.cleanup());
  writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace(/sampleDeadline: 60s/, 'sampleDeadline: 60s\n    firstGenerationWatch: 30m'));
  return ['deploy', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', String(clusterId)];
}

/**
 * Why the screen is not the operator's lines, scrolled event lines, and last the view drawn for `cols` (each of
 * `view`'s lines once, cut to one column less, as cli-truncate cuts); undefined when it is.
 */
function wrongView(lines: string[], view: string[], cols: number): string | undefined {
  if (lines.slice(0, BEFORE.length).join('\n') !== BEFORE.join('\n')) return 'the lines above the view changed';
  const clusters = lines.filter((l) => CLUSTER.test(l));
  if (clusters.length !== view.length) return `${clusters.length} cluster lines`;
  const drawn = view.map((l) => (l.length <= cols - 1 ? l : `${l.slice(0, cols - 2)}…`));
  if (lines.slice(-view.length).join('\n') !== drawn.join('\n')) return `the last rows are not the view drawn for ${cols} columns`;
  return undefined;
}

/** Resolves once the screen shows the view drawn for `cols` (new output is awaited, never slept on); fails after a long deadline. */
async function settles(run: PtyRun, view: string[], cols: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const lines = await run.screen();
    const wrong = wrongView(lines, view, cols);
    if (wrong === undefined) return;
    if (Date.now() > deadline) throw new Error(`at ${cols} columns ${wrong}; the terminal shows:\n${lines.join('\n')}`);
    await run.waitForOutput(/[^]/, run.written(), Math.max(1, deadline - Date.now())).catch(() => undefined);
  }
}

describe.skipIf(!hasTools).concurrent("deploy's live view at a terminal", () => {
  for (const [reflowCursorLine, clusterId] of [[false, 291], [true, 292]] as const) {
    it(`resized narrower and wider: each cluster's line once, the operator's lines above kept (${reflowCursorLine ? 're-wraps' : 'cuts'} the cursor line)`, async ({ onTestFinished }) => {
      const run = startPty(workspace(clusterId, onTestFinished), { cols: 100, rows: 30, control: true, reflowCursorLine, before: `${BEFORE.join('\r\n')}\r\n` });
      onTestFinished(() => run.kill());
      await run.waitForScreen(WATCHING, 240_000);
      const view = (await run.screen()).slice(-2);
      // One resize at a time, each once the view is drawn for the last. (A resize while a frame for the old size is
      // on its way to the terminal leaves that frame's erase counting the wrong rows: no in-place redraw escapes
      // that race; status --watch, on the alternate screen, does.)
      for (const cols of [40, 120, 30, 90, 28, 100, 50]) {
        await run.resize(cols);
        await settles(run, view, cols);
        // The next frame, drawn on a tick, is still the view once.
        await run.waitForOutput(/first generation's watch: pass/, run.written());
        await settles(run, view, cols);
      }
      // Ctrl-C: the view is erased for good, the summary follows.
      run.type('\x03');
      const result = await run.done;
      expect(result.lines.slice(0, BEFORE.length)).toEqual(BEFORE);
      const summary = result.lines.findIndex((l) => /^deployment \S+: interrupted \(cluster id/.test(l));
      expect(summary, result.lines.join('\n')).toBeGreaterThan(0);
      expect(result.lines.slice(0, summary).filter((l) => CLUSTER.test(l)), result.lines.join('\n')).toEqual([]);
      expect(result.left.cursorColumn).toBe(0);
    }, 360_000);
  }

  it("Ctrl-Z, the shell's lines, fg: the cursor visible while stopped, the view drawn whole under the shell's lines, none erased", async ({ onTestFinished }) => {
    const run = startPty(workspace(288, onTestFinished), { cols: 100, rows: 30, control: true, before: `${BEFORE.join('\r\n')}\r\n` });
    onTestFinished(() => run.kill());
    await run.waitForScreen(WATCHING, 240_000);
    await run.suspend();
    expect(run.cursorVisible()).toBe(true);
    // As bash: a line end, its report and prompt; then `fg` typed, and the command line echoed.
    const shell = ['[1]+  Stopped                 ws-deployment deploy', '$ fg', 'ws-deployment deploy'];
    await run.shellWrites(`\n${shell.join('\n')}\n`);
    await run.waitForScreen(/\$ fg\nws-deployment deploy$/);
    const stopped = await run.screen();
    const view = stopped.filter((l) => CLUSTER.test(l));
    expect(view, stopped.join('\n')).toHaveLength(2);
    const atStop = stopped.length - shell.length - 1; // the cursor's row at the stop, under the view
    expect(stopped.slice(atStop - 2, atStop), stopped.join('\n')).toEqual(view);
    // Empty: the terminal's echo is off while the view draws (render/terminal-echo.ts), ^Z's too.
    expect(stopped[atStop]).toBe('');
    await run.foreground();
    /** Why the screen is not the one at the stop followed by a whole view (scrolled event lines above it); undefined when it is. */
    const wrong = (lines: string[]): string | undefined => {
      if (lines.slice(0, stopped.length).join('\n') !== stopped.join('\n')) return "the lines at the stop (the shell's, the view above them) changed";
      const below = lines.slice(stopped.length);
      if (below.filter((l) => CLUSTER.test(l)).length !== 2 || !below.slice(-2).every((l) => CLUSTER.test(l))) return 'no whole view under the shell\'s lines';
      return undefined;
    };
    // Drawn at once after fg, and still so after the next frames (a redraw erased up into the shell's lines).
    for (let frame = 0; frame < 3; frame++) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const lines = await run.screen();
        const why = wrong(lines);
        if (why === undefined) break;
        if (Date.now() > deadline) throw new Error(`after fg ${why}; the terminal shows:\n${lines.join('\n')}`);
        await run.waitForOutput(/[^]/, run.written(), Math.max(1, deadline - Date.now())).catch(() => undefined);
      }
      await run.waitForOutput(/first generation's watch: pass/, run.written());
    }
    run.type('\x03');
    const result = await run.done;
    // Ctrl-C erases the view under the shell's lines for good; the one of the stop stays above them as it was.
    expect(result.lines.slice(0, stopped.length)).toEqual(stopped);
    const summary = result.lines.findIndex((l) => /^deployment \S+: interrupted \(cluster id/.test(l));
    expect(summary, result.lines.join('\n')).toBeGreaterThan(stopped.length);
    expect(result.lines.slice(0, summary).filter((l) => CLUSTER.test(l)), result.lines.join('\n')).toEqual(view);
  }, 360_000);

  for (const [term, clusterId] of [['dumb', 293], ['', 294]] as const) {
    it(`TERM=${term || '(empty)'}: plain lines, not one escape code`, async ({ onTestFinished }) => {
      const run = startPty(workspace(clusterId, onTestFinished), { cols: 100, rows: 30, env: { TERM: term } });
      onTestFinished(() => run.kill());
      await run.waitForScreen(/traffic-shift: started/, 240_000);
      run.type('\x03');
      const result = await run.done;
      expect(result.raw).not.toContain('\x1b');
      expect(result.lines.join('\n')).toMatch(/\] register-cluster: succeeded[^]*traffic-shift: started/);
    }, 360_000);
  }
});
