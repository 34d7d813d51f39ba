/**
 * Picks the state store: the file store under `--state-dir` by default, or
 * PostgreSQL with `--state postgres://…` (env WS_DEPLOYMENT_STATE), so runs in
 * ephemeral CI pods keep their journal and lock off the pod's disk.
 */
import type { EventSink } from '../core/events.js';
import type { Redactor } from '../core/redact.js';
import { WsdError } from '../core/errors.js';
import { FileStateStore } from '../state/file-store.js';
import type { StateStore } from '../state/store.js';
import type { GlobalOptions } from './options.js';

interface OpenStoreHooks {
  redactor?: Redactor;
  sink?: EventSink;
  /** Called when a PostgreSQL lock connection is lost: the run must stop. */
  onLockLost?: (error: WsdError) => void;
}

/** For commands that run no deployment (status, shift): what the store warns about (a queued command file of another deployment) goes to stderr. */
export const stderrWarnings: EventSink = { emit: (event) => void (event.level === 'warn' ? process.stderr.write(`warning: ${event.message}\n`) : undefined) };

export async function openStore(options: Pick<GlobalOptions, 'state' | 'stateDir' | 'stateEnv'>, hooks: OpenStoreHooks = {}): Promise<StateStore> {
  const url = options.state;
  if (!url) return new FileStateStore(options.stateDir, hooks.sink);
  const env = options.stateEnv;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    const name = env ? `${env} (used when --state is not given)` : '--state';
    const fix = env ? `fix it or unset ${env} to keep state in --state-dir` : 'omit it to keep state in --state-dir';
    throw new WsdError('UsageError', `${name} must be a postgres:// URL (${fix}); put the password in PGPASSWORD rather than the URL`);
  }
  hooks.redactor?.add(url);
  const { parseStateUrl } = await import('../state/postgres/connection.js');
  try {
    parseStateUrl(url);
  } catch (error) {
    // Its message never holds the url (it may hold a password); where the url came from, it does not know.
    if (env && error instanceof WsdError) throw new WsdError(error.code, `${env}: ${error.message}`);
    throw error;
  }
  const { openPostgresStore } = await import('../state/postgres/postgres-store.js');
  // Working files (terraform dirs, kubeconfigs, logs) still need a local folder.
  const store = await openPostgresStore({ url, workDir: options.stateDir, redactor: hooks.redactor, sink: hooks.sink, onLockLost: hooks.onLockLost });
  // The values digest key lives in the database; a work dir's older key becomes it, so the digests it keyed still match.
  const { readDigestKey, useStoreDigestKey } = await import('../steps/install/values-digest-key.js');
  try {
    useStoreDigestKey(store.root, await store.valuesDigestKey(readDigestKey(store.root)));
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
