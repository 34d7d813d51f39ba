/**
 * The spellings a registered secret takes in the texts we redact.
 *
 * Tools and our own outputs rarely show a secret with `"`, `\`, `<`, `&`, a newline or non-ASCII in it
 * verbatim: terraform `-json` and Kubernetes API errors JSON-escape it (Go also escapes `<>&`), the HTML
 * report and templated pages HTML-escape it, URLs percent-encode it, a Secret's `data` and a basic-auth
 * header base64 it (the latter after `user:`, so at any byte offset), helm echoes a values line
 * quoted for YAML, an argv is quoted for a shell. Each form is registered as its own literal (`literal-matcher.ts`).
 */

/** Every form of `secret` we may meet (the raw text first); duplicates removed. */
export function secretForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  // Go's encoding/json escapes <>& and U+2028/U+2029; other encoders only <>& (or nothing).
  const goJson = json.replace(/[<>&\u2028\u2029]/g, unicodeEscape);
  const forms = [
    secret,
    json,
    goJson,
    json.replace(/[<>&]/g, unicodeEscape),
    json.replace(/[\u0080-\uffff]/g, unicodeEscape),
    goJson.replace(/[\u0080-\uffff]/g, unicodeEscape),
    htmlEscape(secret, { '"': '&quot;', "'": '&#39;' }),
    htmlEscape(secret, { '"': '&#34;', "'": '&#39;' }), // Go's html/template and html.EscapeString
    htmlEscape(secret, { '"': '&quot;', "'": '&#x27;' }), // Python's html.escape
    ...percentForms(secret),
    secret.replace(/'/g, `'\\''`), // inside '…' for a POSIX shell
    secret.replace(/'/g, `'"'"'`), // the same, as Python's shlex.quote writes it
    secret.replace(/["\\$`]/g, '\\$&'), // inside "…" for a POSIX shell
    json.replace(/ (?=\\n)/g, '\\ '), // inside "…" in YAML, which keeps a space before a line break as `\ `
    secret.replace(/'/g, "''"), // inside '…' in YAML
    ...base64Forms(Buffer.from(secret)),
  ];
  return [...new Set(forms)];
}

function unicodeEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function htmlEscape(text: string, quotes: Record<string, string>): string {
  const table: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', ...quotes };
  return text.replace(/[&<>"']/g, (c) => table[c] ?? c);
}

/** One URL and one query, reused: constructing them per secret was most of the cost of registering one. */
const userinfo = new URL('http://h/');
const query = new URLSearchParams();

/** Query and path encoding (upper- and lower-case hex), form encoding (`+` for space), and a URL's userinfo. */
function percentForms(secret: string): string[] {
  let component: string;
  try {
    component = encodeURIComponent(secret);
  } catch {
    return []; // a lone surrogate: no URL can carry it
  }
  userinfo.password = secret;
  query.set('v', secret);
  return [component, component.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()), query.toString().slice(2), userinfo.password];
}

/** Fewer base64 characters than this fixed by the secret alone would match too much else. */
const MIN_BASE64_CORE = 8;

/**
 * The secret's base64, and the base64 characters fixed by its bytes alone for each of the three offsets it may
 * start at within the encoded text (`user:SECRET` puts it anywhere): the characters that mix in a neighbouring
 * byte are left out. Secrets of 8 bytes and more have a core at every offset.
 */
function base64Forms(bytes: Buffer): string[] {
  const whole = bytes.toString('base64');
  // Two bytes ahead of the secret: its encoding at offset k starts at byte 2 - k.
  const shifted = Buffer.alloc(bytes.length + 2);
  bytes.copy(shifted, 2);
  const forms = [whole];
  for (const offset of [0, 1, 2]) {
    const encoded = offset === 0 ? whole : shifted.subarray(2 - offset).toString('base64');
    const total = offset + bytes.length;
    // Offset 1: the first group's last two characters are the secret's; offset 2: its last one.
    const start = [0, 2, 3][offset];
    // A last partial group of 1 (2) secret bytes fixes its first 1 (2) characters.
    const end = Math.floor(total / 3) * 4 + (total % 3);
    const core = encoded.slice(start, end);
    if (core.length >= MIN_BASE64_CORE) forms.push(core);
  }
  return forms;
}
