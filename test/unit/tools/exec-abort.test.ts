/**
 * Children under one abort signal (every step of a deployment shares the run's): one abort stops them all, a child
 * that already finished is not touched, and the signal holds one listener however many children run under it (an
 * EventTarget checks each new listener against all it holds, so one per child is quadratic at 1,000 clusters).
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { runTool } from '../../../src/tools/exec.js';

describe('runTool under a shared abort signal', () => {
  it('one listener for many children; one abort interrupts every running child and none that finished', async () => {
    const controller = new AbortController();
    const done = await runTool({ argv: ['true'], signal: controller.signal });
    expect(done.exitCode).toBe(0);
    const running = [1, 2, 3].map(() => runTool({ argv: ['sleep', '60'], signal: controller.signal, killGraceMs: 60_000 }));
    const settled = running.map((p) => p.then(() => 'exited', (e: { code?: string }) => e.code ?? 'error'));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    expect(await Promise.all(settled)).toEqual(['Interrupted', 'Interrupted', 'Interrupted']);
  });

  it('a signal aborted before the start refuses to start the tool', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runTool({ argv: ['true'], signal: controller.signal })).rejects.toMatchObject({ code: 'Interrupted' });
  });
});
