/**
 * Keys pressed while `deploy`'s live view draws, at a real pseudo-terminal read back through a headless terminal
 * emulator. The terminal's echo was on: the letters appeared under the view, and an Enter moved the cursor a row
 * down, so the next redraw left the view's top row behind (a cluster shown twice). Now the echo is off while the
 * view draws: the screen is the view alone, and once the CLI has exited (here by Ctrl-C, under bash, which goes
 * on to run `stty -a` as the operator's next command) the echo is on again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sandboxWorkspace } from '../helpers/cli.js';
import { startPty, type PtyRun } from '../helpers/pty.js';
import { requireBinary } from '../helpers/require-binary.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && requireBinary('python3', 'the pseudo-terminal is Python’s pty module') && requireBinary('bash', 'the shell that runs `stty -a` after the CLI');

/** A cluster's line in the view: its name, then its step (scrolled event lines start with a time). */
const CLUSTER = /^gp-\S+-(eu|us)\d+\S* /;
/** The view while the first generation's watch runs: its line scrolled above both clusters' lines. */
const WATCHING = /first generation's watch: [^]*\ngp-\S+ +register-cluster +succeeded\ngp-\S+ +register-cluster +succeeded/;

/** The next frame drawn on a tick (the watch's pass line scrolls above the view, which is drawn again under it). */
async function nextFrame(run: PtyRun): Promise<void> {
  await run.waitForOutput(/first generation's watch: pass/, run.written());
}

describe.skipIf(!hasTools)("keys typed during deploy's live view", () => {
  it('are not echoed into it, and the echo is back once the CLI has exited', { timeout: 360_000 }, async ({ onTestFinished }) => {
    const ws = sandboxWorkspace();
    onTestFinished(() => ws.cleanup());
    // A 30-minute first-generation watch keeps the view up; Ctrl-C ends it.
    writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace(/sampleDeadline: 60s/, 'sampleDeadline: 60s\n    firstGenerationWatch: 30m'));
    const run = startPty(['deploy', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '177'], { cols: 100, rows: 30, then: 'stty -a' });
    onTestFinished(() => run.kill());
    await run.waitForScreen(WATCHING, 240_000);
    run.type('hello\rworld\r\r');
    // Two frames later (the first may have been on its way before the keys): the view alone, each cluster once, last.
    await nextFrame(run);
    await nextFrame(run);
    const lines = await run.screen();
    const shown = lines.join('\n');
    expect(shown).not.toMatch(/hello|world/);
    expect(lines.filter((l) => CLUSTER.test(l)), shown).toHaveLength(2);
    expect(lines.slice(-2).every((l) => CLUSTER.test(l)), shown).toBe(true);

    run.type('\x03');
    const result = await run.done;
    const screen = result.lines.join('\n');
    expect(screen).toMatch(/deployment \S+: interrupted \(cluster id 177\)/);
    // bash's next command: the terminal's modes as the CLI left them.
    const modes = screen.slice(screen.lastIndexOf('speed '));
    expect(modes, screen).toMatch(/(^|\s)echo(\s|$)/m);
    expect(result.code, result.raw).toBe(0);
  });
});
