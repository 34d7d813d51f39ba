/**
 * A signal while `main` stops the embedded sandbox registries, after the command is over: its outcome is settled,
 * so the process exits with its code at once (none set: it succeeded, 0), instead of dying of the signal (Node's
 * default, an undocumented 143 or 129) or claiming an interruption (130) of a command that finished.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

let windingDown: () => void = () => undefined;
let release: () => void = () => undefined;
vi.mock('../../../src/sandbox/sandbox-registry.js', () => ({
  stopSandboxRegistries: () =>
    new Promise<void>((resolve) => {
      release = resolve;
      windingDown();
    }),
}));

const { main } = await import('../../../src/cli/main.js');

/** Runs `main --version` up to its wind-down; resolves with the promise of its end. */
async function heldWhileWindingDown(): Promise<{ running: Promise<void> }> {
  const reached = new Promise<void>((resolve) => (windingDown = resolve));
  const running = main([process.execPath, 'ws-deployment', '--version']);
  await reached;
  return { running };
}

describe('main while it winds down', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s exits with the settled exit code', async (signal) => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const before = process.listenerCount(signal);
    const { running } = await heldWhileWindingDown();
    expect(process.listenerCount(signal)).toBeGreaterThan(before);
    process.exitCode = 3;
    process.emit(signal, signal);
    expect(exit).toHaveBeenCalledWith(3);
    release();
    await running;
    // Gone again with the wind-down: an in-process caller's later signals are its own.
    expect(process.listenerCount(signal)).toBe(before);
  });

  it('exits 0 when no code was set: the command succeeded', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { running } = await heldWhileWindingDown();
    process.exitCode = undefined;
    process.emit('SIGTERM', 'SIGTERM');
    expect(exit).toHaveBeenCalledWith(0);
    release();
    await running;
  });
});
