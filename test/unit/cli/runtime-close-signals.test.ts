/**
 * The run's signal handlers stay while its runtime closes: closing the store (releasing the lock) takes
 * I/O, and a signal then (the second of a runner's SIGINT-then-SIGTERM) found no handler and killed the
 * process with Node's default (death by signal, an undocumented 143). A second signal exits 130.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRuntime } from '../../../src/cli/runtime.js';
import { bareCommands } from '../../../src/core/next-command.js';
import type { GlobalOptions } from '../../../src/cli/options.js';

describe('runtime close and signals', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-runtime-'));
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the handlers until the store is closed; a second signal exits 130, the first after the run does not', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const options = { config: join(dir, 'c.yaml'), dryRun: false, overwrite: false, jsonLog: false, verbose: false, stateDir: join(dir, 'state'), failFast: false, yes: true, next: bareCommands } as GlobalOptions;
    const before = process.listenerCount('SIGTERM');
    const runtime = await createRuntime(options);
    let release: () => void = () => undefined;
    const closeStore = runtime.store.close.bind(runtime.store);
    vi.spyOn(runtime.store, 'close').mockImplementation(() => new Promise<void>((resolve) => (release = resolve)).then(closeStore));
    const closing = runtime.close();
    await vi.waitFor(() => expect(runtime.store.close).toHaveBeenCalled());
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    process.emit('SIGINT', 'SIGINT');
    expect(exit).not.toHaveBeenCalled();
    expect(runtime.signal.aborted).toBe(false);
    process.emit('SIGTERM', 'SIGTERM');
    expect(exit).toHaveBeenCalledWith(130);
    release();
    await closing;
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
