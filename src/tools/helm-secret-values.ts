/**
 * Secret helm values reach helm in a values file, never in its argv: argv shows
 * in `ps` to every user of the machine, in the plan and in the recorded command
 * lines. The file is created owner-only (0600) in the cluster's state folder
 * (0700) just before the helm call and removed right after it, whatever the
 * outcome; a run killed in between leaves it inside the private state dir,
 * where the next call overwrites and removes it.
 */
import { chmodSync, mkdirSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ReleaseSpec } from './helm.js';

/** Where a release's secret values file lives while helm runs. */
export function secretValuesPath(clusterDir: string, release: string): string {
  return join(clusterDir, 'values', `${release}.secret.json`);
}

/** Writes the file owner-only from the first byte (no window in which it is readable by others). */
export function writePrivate(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  rmSync(path, { force: true }); // a leftover of a killed run may have another mode: start anew
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600); // the umask cannot have widened it, but make the mode explicit
}

/** Runs `call` with the spec's secret values file in place (JSON is YAML), removing it afterwards. */
export async function withSecretValues<T>(spec: Pick<ReleaseSpec, 'secretValues' | 'secretValuesFile'>, call: () => Promise<T>): Promise<T> {
  const file = spec.secretValuesFile;
  if (file === undefined) return call();
  writePrivate(file, `${JSON.stringify(spec.secretValues ?? {})}\n`);
  try {
    return await call();
  } finally {
    rmSync(file, { force: true });
  }
}
