/** Registers the secret values a config points at, before anything is logged. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatIssue } from '../../config/issues.js';
import type { LoadedConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import type { EventSink } from '../../core/events.js';
import type { Redactor } from '../../core/redact.js';
import { secretSources } from '../../steps/secret-values.js';

/** The config's warnings (credential files others can read) as events: a run says them before it starts. */
export function emitConfigWarnings(sink: EventSink, loaded: LoadedConfig): void {
  for (const warning of loaded.warnings) sink.emit({ level: 'warn', code: 'config.warning', message: formatIssue(warning) });
}

/** Registers every secret value of `config` with `redactor` (returned), before anything is logged. */
export function registerSecrets(redactor: Redactor, config: Config): Redactor {
  for (const source of secretSources(config)) redactor.add(...source.texts);
  const keyFile = config.project.gcpSACredFile;
  if (keyFile) {
    try {
      const key = readFileSync(keyFile, 'utf8');
      redactor.add(key);
      const parsed = JSON.parse(key) as { private_key?: string; private_key_id?: string };
      redactor.add(parsed.private_key, parsed.private_key_id);
    } catch {
      // Not JSON or unreadable: the tools that need it will say so; the raw content is registered if read.
    }
  }
  return redactor;
}

/**
 * `loaded` with its hash taken over the config text with the secret values `redactor` knows replaced. The hash is
 * journaled (the deployment's inputs): over the raw text, a weak secret written in the config could be found by
 * hashing guesses with the rest of the file, which sits in a repository. A changed secret alone is no changed config.
 */
export function withSecretFreeHash(loaded: LoadedConfig, redactor: Redactor): LoadedConfig {
  return { ...loaded, hash: createHash('sha256').update(redactor.redact(loaded.text), 'utf8').digest('hex') };
}
