/**
 * Secret redaction. Everything that leaves the process (terminal, journal, step
 * logs, plans, reports) passes through a Redactor first.
 *
 * Two mechanisms: exact values registered at run time (a key file's content,
 * a bearer token read from a file, TLS keys), in each encoded form they may be
 * shown in (JSON, HTML, URL, base64, shell and YAML quoting), and patterns for secret shapes we
 * may meet without having registered them (PEM private keys, service-account JSON).
 */

import { KEY_LENGTH, LiteralMatcher } from './literal-matcher.js';
import { secretForms } from './secret-forms.js';

export const REDACTED = '[REDACTED]';

/** Values shorter than this are not registered: redacting "a" would shred every log line. (No form is shorter than its secret.) */
export const MIN_SECRET_LENGTH = KEY_LENGTH;

const PATTERNS: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, REDACTED],
  [/("private_key"\s*:\s*")(?:[^"\\]|\\.)*(")/g, `$1${REDACTED}$2`],
  [/(\b[Bb]earer\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1${REDACTED}`],
  // Query strings and assignments: `token=`, and the prefixed spellings APIs use (`access_token=`, `api_key=`, `client_secret=`, `X-Api-Key=`).
  [/(\b(?:[A-Za-z0-9]+[_-])*(?:password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|sig)=)[^\s&'"]+/gi, `$1${REDACTED}`],
  [/(postgres(?:ql)?:\/\/[^:/\s]+:)[^@\s]+(@)/g, `$1${REDACTED}$2`],
  // The password of any URL with userinfo (`https://user:pass@host/`): an alive check's or a proxy's URL.
  [/(\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/?#@]*:)[^\s/?#@]+(@)/g, `$1${REDACTED}$2`],
];

/**
 * Cheap pre-check: every pattern above needs one of these words, and most strings (names,
 * paths, object labels) contain none, so one scan replaces five.
 */
const PATTERN_TRIGGER = /PRIVATE KEY|private_key|bearer|password|passwd|secret|token|postgres|key=|sig=|:\/\/[^\s/]*@/i;

export class Redactor {
  private readonly secrets = new Set<string>();
  /** Every form of every secret: a line is scanned once however many secrets there are, and an add costs its own forms only. */
  private readonly forms = new LiteralMatcher();

  /** Registers exact secret values (and, for multi-line values, each long line of them), in every form they may be shown in. */
  add(...values: Array<string | undefined>): this {
    for (const value of values) {
      if (!value) continue;
      const trimmed = value.trim();
      if (trimmed.length >= MIN_SECRET_LENGTH) this.register(trimmed);
      // Tools print secrets line by line (PEM bodies).
      for (const line of trimmed.split(/\r?\n/)) {
        if (line.trim().length >= 16) this.register(line.trim());
      }
    }
    return this;
  }

  /** Replaces every registered secret and every secret-shaped pattern. */
  redact(text: string): string {
    const out = this.forms.replace(text, REDACTED);
    if (!PATTERN_TRIGGER.test(out)) return out;
    return PATTERNS.reduce((current, [pattern, replacement]) => current.replace(pattern, replacement), out);
  }

  private register(secret: string): void {
    if (this.secrets.has(secret)) return;
    this.secrets.add(secret);
    for (const form of secretForms(secret)) this.forms.add(form);
  }

  /** Deep-redacts a JSON-like value (strings anywhere inside it). */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = this.redactValue(v);
      return out as T;
    }
    return value;
  }
}
