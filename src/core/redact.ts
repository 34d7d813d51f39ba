/**
 * Secret redaction. Everything that leaves the process (terminal, journal, step
 * logs, plans, reports) passes through a Redactor first.
 *
 * Two mechanisms: exact values registered at run time (a key file's content,
 * a bearer token read from a file, TLS keys) and patterns for secret shapes we
 * may meet without having registered them (PEM private keys, service-account JSON).
 */

export const REDACTED = '[REDACTED]';

/** Values shorter than this are not registered: redacting "a" would shred every log line. */
const MIN_SECRET_LENGTH = 6;

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
  /** Longest first, so a secret that contains another is replaced whole; rebuilt on `add`. */
  private ordered: string[] = [];

  /** Registers exact secret values (and, for multi-line values, each long line of them). */
  add(...values: Array<string | undefined>): this {
    for (const value of values) {
      if (!value) continue;
      const trimmed = value.trim();
      if (trimmed.length >= MIN_SECRET_LENGTH) this.secrets.add(trimmed);
      // Tools print secrets line by line (PEM bodies), and base64 forms travel over gRPC.
      for (const line of trimmed.split(/\r?\n/)) {
        if (line.trim().length >= 16) this.secrets.add(line.trim());
      }
      if (trimmed.length >= MIN_SECRET_LENGTH) this.secrets.add(Buffer.from(trimmed).toString('base64'));
    }
    this.ordered = [...this.secrets].sort((a, b) => b.length - a.length);
    return this;
  }

  /** Replaces every registered secret and every secret-shaped pattern. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.ordered) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    if (!PATTERN_TRIGGER.test(out)) return out;
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
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
