/**
 * A signal while `main` stops the embedded sandbox registries, after the command's runtime removed its
 * handlers: the run's outcome is settled, so the process exits with its code at once, instead of dying
 * of the signal (Node's default, an undocumented 143 or 129).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

let release: () => void = () => undefined;
vi.mock('../../../src/sandbox/sandbox-registry.js', () => ({
  stopSandboxRegistries: () => new Promise<void>((resolve) => (release = resolve)),
}));

const { main } = await import('../../../src/cli/main.js');

describe('main while it winds down', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s exits with the settled exit code', async (signal) => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const before = process.listenerCount(signal);
    const running = main([process.execPath, 'ws-deployment', '--version']);
    await vi.waitFor(() => expect(process.listenerCount(signal)).toBeGreaterThan(before));
    process.exitCode = 3;
    process.emit(signal, signal);
    expect(exit).toHaveBeenCalledWith(3);
    release();
    await running;
    // Gone again with the wind-down: an in-process caller's later signals are its own.
    expect(process.listenerCount(signal)).toBe(before);
  });

  it('exits 130 when no code was set', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const before = process.listenerCount('SIGTERM');
    const running = main([process.execPath, 'ws-deployment', '--version']);
    await vi.waitFor(() => expect(process.listenerCount('SIGTERM')).toBeGreaterThan(before));
    process.exitCode = undefined;
    process.emit('SIGTERM', 'SIGTERM');
    expect(exit).toHaveBeenCalledWith(130);
    release();
    await running;
  });
});
