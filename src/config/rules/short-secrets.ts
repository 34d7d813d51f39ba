/**
 * Secrets too short to be redacted. The redactor ignores values under MIN_SECRET_LENGTH
 * characters (hiding every `abc` would shred the logs), so such a secret reaches its tool out of
 * sight but shows wherever a tool prints it (an error quoting a value, `set -x`, a rendered
 * manifest). Said before the run, at the value, as GitLab refuses to mask a variable under 8
 * characters: a warning, since a credential-named key may hold no secret (`auth: true`).
 */
import { MIN_SECRET_LENGTH } from '../../core/redact.js';
import { secretSources } from '../../steps/secret-values.js';
import type { RuleIssue } from './rule.js';

/** One warning per secret value of the config shorter than the redactor can hide. */
export function shortSecretWarnings(config: unknown): RuleIssue[] {
  let sources;
  try {
    sources = secretSources(config);
  } catch {
    return []; // a section the schema refuses: its own error says so
  }
  return sources.flatMap(({ path, texts, secret }) => {
    const short = secret ? texts.map((t) => t.trim()).find((t) => t.length > 0 && t.length < MIN_SECRET_LENGTH) : undefined;
    if (short === undefined) return [];
    return [
      {
        path,
        message:
          `a secret of ${short.length} character${short.length === 1 ? '' : 's'}: values under ${MIN_SECRET_LENGTH} characters cannot be redacted ` +
          `(they would match ordinary text), so a tool that prints it shows it in logs; use a secret of ${MIN_SECRET_LENGTH} characters or more` +
          (path.at(-1) === 'url' ? '' : ` (if it is no secret, a name that does not say credential${path[1] === 'command' ? '' : ', and not listed as secret'})`),
      },
    ];
  });
}
