/**
 * `clusters deregister --force` on a real terminal (a pseudo-terminal read back
 * through a headless terminal emulator) asks to type the cluster's name. What an
 * operator may press instead — Ctrl-C, Ctrl-D (end of input), Enter, a wrong
 * name — is a clear no: exit 130, "not confirmed; nothing changed" under the
 * question, no stack trace, the registry as it was. The name itself deregisters.
 * Ctrl-Z then `fg` (under a job-control parent, as under a shell) gives the
 * question back, answerable, with what was typed before the stop; a resize
 * (narrower, then wider) leaves it on screen once and whole, whether the
 * terminal re-wraps the cursor's line (VTE, iTerm2, kitty) or cuts it (xterm.js).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryOf, startPty } from '../helpers/pty.js';
import { requireBinary } from '../helpers/require-binary.js';
import { deployGenerationOne, type GenerationOne, type SandboxCopy } from '../helpers/sandbox-generation.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && requireBinary('python3', 'the pseudo-terminal is Python’s pty module');

/** Its trailing space is no content on the screen. */
const QUESTION = /Type the cluster name to confirm:\n>/;
/** The line above the question (the question's own line stays short: a resize redraws it). */
const WARNING = '--force deregisters eu220 from dev-meta-eu01 even while regular workspaces run on it, breaking those sessions.';

describe.skipIf(!hasTools)('clusters deregister --force confirmation at a real terminal', () => {
  let generationOne: GenerationOne;
  let ws: SandboxCopy;
  beforeAll(async () => {
    generationOne = await deployGenerationOne(220);
    ws = generationOne.copy();
  }, 180_000);
  afterAll(() => {
    ws?.cleanup();
    generationOne?.cleanup();
  });

  const deregister = (cols: number, control = false, reflowCursorLine = false) =>
    startPty(['clusters', 'deregister', ...ws.common, '--meta', 'dev-meta-eu01', '--name', 'eu220', '--force'], { cols, control, reflowCursorLine });

  for (const [name, keys, echo] of [
    ['Ctrl-C', '\x03', '^C'],
    ['Ctrl-\\', '\x1c', '^\\'],
    ['Ctrl-D (end of input)', '\x04', '^D'],
    ['Enter', '\r', ''],
    ['a wrong name', 'eu22\r', 'eu22'],
  ] as const) {
    it(`${name} at the question is a no: exit 130, nothing changed`, async ({ onTestFinished }) => {
      const before = await registryOf(ws.common);
      expect(before.eu220?.state).toBe('AVAILABLE');
      const run = deregister(80);
      onTestFinished(() => run.kill());
      await run.waitForScreen(QUESTION);
      run.type(keys);
      const result = await run.done;
      expect(result.code, result.raw).toBe(130);
      const screen = result.lines.join('\n');
      expect(screen).not.toMatch(/internal error|AbortError/);
      expect(screen).toMatch(new RegExp(`Type the cluster name to confirm:\\n>${echo ? ' ' : ''}${echo.replace(/[\\^]/g, '\\$&')}\\nerror: deregistration of eu220 not confirmed; nothing changed$`));
      expect(await registryOf(ws.common)).toEqual(before);
    }, 60_000);
  }

  it('Ctrl-Z then `fg` at the question: the question is back with what was typed, and keys reach it', async ({ onTestFinished }) => {
    const before = await registryOf(ws.common);
    const run = deregister(80, true);
    onTestFinished(() => run.kill());
    await run.waitForScreen(QUESTION);
    run.type('eu2');
    await run.waitForScreen(/\n> eu2$/);
    await run.suspend();
    const mark = run.written();
    await run.foreground();
    // Redrawn once raw mode is back: keys typed from here reach the question (they were all ignored).
    await run.waitForOutput(/> eu2/, mark);
    run.type('2\r');
    await run.waitForScreen(/not confirmed/, 60_000);
    const result = await run.done;
    expect(result.code, result.raw).toBe(130);
    // The question once, with everything typed before and after the stop.
    expect(result.lines).toEqual([WARNING, 'Type the cluster name to confirm:', '> eu22', 'error: deregistration of eu220 not confirmed; nothing changed']);
    expect(await registryOf(ws.common)).toEqual(before);
  }, 120_000);

  for (const reflowCursorLine of [false, true]) {
    it(`a resize with the question on screen, narrower then wider, leaves it once and whole (${reflowCursorLine ? 'a terminal that re-wraps the cursor line' : 'one that cuts it'})`, async ({ onTestFinished }) => {
      const run = deregister(80, true, reflowCursorLine);
      onTestFinished(() => run.kill());
      await run.waitForScreen(QUESTION);
      run.type('eu2');
      await run.waitForScreen(/\n> eu2$/);
      for (const cols of [40, 120]) {
        const mark = run.written();
        await run.resize(cols);
        // Redrawn for the new width (readline answers the resize with the prompt and what was typed).
        await run.waitForOutput(/> eu2/, mark);
        expect(await run.screen(), `at ${cols} columns`).toEqual([WARNING, 'Type the cluster name to confirm:', '> eu2']);
      }
      run.type('2\r');
      const result = await run.done;
      expect(result.code, result.raw).toBe(130);
      expect(result.lines.at(-1)).toBe('error: deregistration of eu220 not confirmed; nothing changed');
    }, 120_000);
  }

  it('typing the name deregisters it (40 columns)', async ({ onTestFinished }) => {
    const run = deregister(40);
    onTestFinished(() => run.kill());
    await run.waitForScreen(QUESTION);
    run.type('eu220\r');
    const result = await run.done;
    expect(result.code, result.raw).toBe(0);
    expect(result.lines.at(-1)).toBe('eu220: deregistered from dev-meta-eu01 (forced)');
    expect(await registryOf(ws.common)).not.toHaveProperty('eu220');
  }, 60_000);
});
