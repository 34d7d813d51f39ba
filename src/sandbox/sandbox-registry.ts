/**
 * The sandbox's embedded cluster registry: one registry simulator per sandbox
 * meta cluster, served over real gRPC on 127.0.0.1 for the lifetime of the
 * process, its state kept in `<state-dir>/sandbox/registry/<meta>.json` so a
 * later run (or `clusters list`) sees what an earlier one registered.
 *
 * Commands that only read (`clusters list`) start it read-only: no folder,
 * file or lock is created, so they work on a read-only state dir; a mutation
 * sent to it fails with the message `deploy` gives for that dir.
 */
import { join } from 'node:path';
import { WsdError } from '../core/errors.js';
import { assertUsableStateDir } from '../state/state-dir-check.js';
import type { RunningSimulator } from '../registry/simulator/index.js';

export interface SandboxRegistryOptions {
  /** Only List will be called: start without writing anything (default false). */
  readOnly?: boolean;
}

const running = new Map<string, Promise<RunningSimulator>>();

export function sandboxRegistryStateFile(sharedDir: string, meta: string): string {
  return join(sharedDir, 'sandbox', 'registry', `${meta}.json`);
}

/** Why a read-only registry refuses a change: the state dir's own problem when it has one. */
function readOnlyRefusal(sharedDir: string, meta: string): Error {
  try {
    assertUsableStateDir(sharedDir);
  } catch (error) {
    return error as Error;
  }
  return new WsdError('StateIo', `the sandbox registry of ${meta} was opened read-only by a command that only reads; run the change as its own command`);
}

/** The running simulator of a sandbox meta cluster, started on first use. */
export function sandboxRegistry(sharedDir: string, meta: string, options: SandboxRegistryOptions = {}): Promise<RunningSimulator> {
  const stateFile = sandboxRegistryStateFile(sharedDir, meta);
  const readOnly = options.readOnly === true;
  // A writable one already running serves readers too.
  let sim = running.get(`${stateFile}\0rw`) ?? (readOnly ? running.get(`${stateFile}\0ro`) : undefined);
  if (!sim) {
    // The simulator creates its folder: a path like /proc/wsd must be refused before that mkdir (and is no state dir to read either).
    assertUsableStateDir(sharedDir, { readOnly });
    const key = `${stateFile}\0${readOnly ? 'ro' : 'rw'}`;
    sim = import('../registry/simulator/index.js').then(({ startSimulator, alwaysReachable }) =>
      // Sandbox clusters have no ws-manager listening; their health is simulated by the alive test.
      startSimulator({
        host: '127.0.0.1',
        port: 0,
        stateFile,
        reachability: alwaysReachable,
        readOnly: readOnly ? { refusal: () => readOnlyRefusal(sharedDir, meta) } : undefined,
      }),
    );
    running.set(key, sim);
    sim.catch(() => running.delete(key));
  }
  return sim;
}

/** Stops every sandbox registry this process started. */
export async function stopSandboxRegistries(): Promise<void> {
  const all = [...running.values()];
  running.clear();
  await Promise.allSettled(all.map(async (p) => (await p).stop()));
}
