/**
 * The sandbox's embedded cluster registry: one registry simulator per sandbox
 * meta cluster, served over real gRPC on 127.0.0.1 for the lifetime of the
 * process, its state kept in `<state-dir>/sandbox/registry/<meta>.json` so a
 * later run (or `clusters list`) sees what an earlier one registered.
 */
import { join } from 'node:path';
import { assertUsableStateDir } from '../state/state-dir-check.js';
import type { RunningSimulator } from '../registry/simulator/index.js';

const running = new Map<string, Promise<RunningSimulator>>();

export function sandboxRegistryStateFile(sharedDir: string, meta: string): string {
  return join(sharedDir, 'sandbox', 'registry', `${meta}.json`);
}

/** The running simulator of a sandbox meta cluster, started on first use. */
export function sandboxRegistry(sharedDir: string, meta: string): Promise<RunningSimulator> {
  const stateFile = sandboxRegistryStateFile(sharedDir, meta);
  let sim = running.get(stateFile);
  if (!sim) {
    // The simulator creates its folder: a path like /proc/wsd must be refused before that mkdir.
    assertUsableStateDir(sharedDir);
    sim = import('../registry/simulator/index.js').then(({ startSimulator, alwaysReachable }) =>
      // Sandbox clusters have no ws-manager listening; their health is simulated by the alive test.
      startSimulator({ host: '127.0.0.1', port: 0, stateFile, reachability: alwaysReachable }),
    );
    running.set(stateFile, sim);
    sim.catch(() => running.delete(stateFile));
  }
  return sim;
}

/** Stops every sandbox registry this process started. */
export async function stopSandboxRegistries(): Promise<void> {
  const all = [...running.values()];
  running.clear();
  await Promise.allSettled(all.map(async (p) => (await p).stop()));
}
