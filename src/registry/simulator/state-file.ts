/**
 * The simulator's state on disk: one JSON document with a schema version,
 * written atomically (temp file, fsync, rename, fsync of the folder) so a crash
 * never leaves half a file behind.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { WsdError } from '../../core/errors.js';
import type { AdmissionConstraint, AdmissionPreference, ClusterState } from '../types.js';

export const SIMULATOR_STATE_VERSION = 1;

/** One registered (or static) cluster as the simulator keeps it. */
export interface SimCluster {
  name: string;
  url: string;
  state: ClusterState;
  score: number;
  maxScore: number;
  governed: boolean;
  static: boolean;
  admissionConstraints: AdmissionConstraint[];
  admissionPreferences: AdmissionPreference[];
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

/** Reads the state; a missing file is an empty registry. */
export async function readState(file: string): Promise<SimulatorState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw new WsdError('StateIo', `cannot read registry simulator state ${file}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new WsdError('StateCorrupt', `registry simulator state ${file} is not valid JSON; delete it to start with an empty registry`, { cause: error });
  }
  const state = parsed as Partial<SimulatorState>;
  if (state.version !== SIMULATOR_STATE_VERSION || !Array.isArray(state.clusters)) {
    throw new WsdError(
      'StateCorrupt',
      `registry simulator state ${file} has version ${String(state.version)}, expected ${SIMULATOR_STATE_VERSION}; delete it to start with an empty registry`,
    );
  }
  return { ...emptyState(), ...state } as SimulatorState;
}

/** Writes the state atomically. */
export async function writeState(file: string, state: SimulatorState): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(state, null, 2) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    const dir = await open(dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new WsdError('StateIo', `cannot write registry simulator state ${file}: ${(error as Error).message}`, { cause: error });
  }
}
