/**
 * The simulator's state on disk: one JSON document with a schema version,
 * written atomically (temp file, fsync, rename, fsync of the folder) so a crash
 * never leaves half a file behind.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { WsdError } from '../../core/errors.js';
import type { ClusterStatus } from '../types.js';

const SIMULATOR_STATE_VERSION = 1;

/** One registered (or static) cluster as the simulator keeps it: a List row plus what only the simulator needs. */
export interface SimCluster extends ClusterStatus {
  /** sha256 of the TLS material: proves it was sent without keeping the key on disk. */
  tlsFingerprint?: string;
  registeredAt: string;
}

/** Per-cluster workspace counters (what metrics would show). */
export interface ClusterCounters {
  /** Start attempts placed on this cluster, successful or not. */
  starts: number;
  /** Start attempts that failed on this cluster. */
  failures: number;
  /** Regular workspaces running now (they block a non-forced Deregister). */
  running: number;
  /** Prebuilds running now (they never block Deregister). */
  prebuilds: number;
  /** Regular workspaces stopped by a forced Deregister. */
  brokenByForce: number;
}

export interface SimulatorState {
  version: typeof SIMULATOR_STATE_VERSION;
  clusters: SimCluster[];
  counters: Record<string, ClusterCounters>;
  failureRates: Record<string, number>;
  /** Starts for which no cluster was admissible, or every try failed. */
  unplaced: number;
}

export function emptyState(): SimulatorState {
  return { version: SIMULATOR_STATE_VERSION, clusters: [], counters: {}, failureRates: {}, unplaced: 0 };
}

/**
 * Reads the state; a missing file is an empty registry. Synchronous: the file is
 * small, and readers (List, counters) answer from disk so every process sees
 * every other process's changes.
 */
export function readState(file: string): SimulatorState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    // Said in words with the fix (as a file that is no JSON is), not as Node's "EISDIR: illegal operation on a directory".
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === 'EISDIR' ? 'it is a folder, not a file' : code === 'ENOTDIR' ? 'a folder on its path is a file' : `${code ?? (error as Error).message}`;
    throw new WsdError('StateIo', `cannot read registry simulator state ${file} (${what}); move what is in its place out of the state dir to start with an empty registry`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new WsdError('StateCorrupt', `registry simulator state ${file} is not valid JSON; delete it to start with an empty registry`, { cause: error });
  }
  // `null`, a number or a string parse too: read as an object they crashed every reader with a TypeError.
  const state = (parsed !== null && typeof parsed === 'object' ? parsed : {}) as Partial<SimulatorState>;
  if (state.version !== SIMULATOR_STATE_VERSION || !Array.isArray(state.clusters) || !state.clusters.every((c) => c !== null && typeof c === 'object' && typeof c.name === 'string')) {
    throw new WsdError(
      'StateCorrupt',
      state.version === SIMULATOR_STATE_VERSION
        ? `registry simulator state ${file} has a damaged cluster list; delete it to start with an empty registry`
        : `registry simulator state ${file} has version ${String(state.version)}, expected ${SIMULATOR_STATE_VERSION}; delete it to start with an empty registry`,
    );
  }
  return { ...emptyState(), ...state } as SimulatorState;
}

/** Writes the state atomically (temp file, fsync, rename, fsync of the folder). */
export async function writeState(file: string, state: SimulatorState): Promise<void> {
  try {
    writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
  } catch (error) {
    throw new WsdError('StateIo', `cannot write registry simulator state ${file}: ${(error as Error).message}`, { cause: error });
  }
}
