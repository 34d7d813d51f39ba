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

const PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /("private_key"\s*:\s*")(?:[^"\\]|\\.)*(")/g,
  /(\b[Bb]earer\s+)[A-Za-z0-9._~+/=-]{8,}/g,
  /(\b(?:password|passwd|secret|token)=)[^\s&'"]+/gi,
  /(postgres(?:ql)?:\/\/[^:/\s]+:)[^@\s]+(@)/g,
];

export class Redactor {
  private readonly secrets = new Set<string>();

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
    return this;
  }

  /** Replaces every registered secret and every secret-shaped pattern. */
  redact(text: string): string {
    let out = text;
    // Longest first so a secret that contains another is replaced whole.
    const ordered = [...this.secrets].sort((a, b) => b.length - a.length);
    for (const secret of ordered) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    for (const pattern of PATTERNS) {
      out = out.replace(pattern, (_match, ...groups: unknown[]) => {
        const captured = groups.filter((g): g is string => typeof g === 'string');
        if (captured.length >= 2) return `${captured[0]}${REDACTED}${captured[1]}`;
        if (captured.length === 1) return `${captured[0]}${REDACTED}`;
        return REDACTED;
      });
    }
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
