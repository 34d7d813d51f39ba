/** Registers the secret values a config points at, before anything is logged. */
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.js';
import type { Redactor } from '../../core/redact.js';

export function registerSecrets(redactor: Redactor, config: Config): Redactor {
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
