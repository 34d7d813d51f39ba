/**
 * The spellings a registered secret takes in the texts we redact, and one matcher for all of them.
 *
 * Tools and our own outputs rarely show a secret with `"`, `\`, `<`, `&`, a newline or non-ASCII in it
 * verbatim: terraform `-json` and Kubernetes API errors JSON-escape it (Go also escapes `<>&`), the HTML
 * report and templated pages HTML-escape it, URLs percent-encode it, a Secret's `data` and a basic-auth
 * header base64 it (the latter after `user:`, so at any byte offset), helm echoes a values line
 * quoted for YAML, an argv is quoted for a shell. Each form is registered as its own literal.
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
    Buffer.from(secret).toString('base64'),
    ...base64Cores(Buffer.from(secret)),
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

/** Query and path encoding (upper- and lower-case hex), form encoding (`+` for space), and a URL's userinfo. */
function percentForms(secret: string): string[] {
  let component: string;
  try {
    component = encodeURIComponent(secret);
  } catch {
    return []; // a lone surrogate: no URL can carry it
  }
  const userinfo = new URL('http://h/');
  userinfo.password = secret;
  return [component, component.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()), new URLSearchParams({ v: secret }).toString().slice(2), userinfo.password];
}

/** Fewer base64 characters than this fixed by the secret alone would match too much else. */
const MIN_BASE64_CORE = 8;

/**
 * The base64 characters fixed by the secret's bytes alone, for each of the three offsets it may start at
 * within the encoded text (`user:SECRET` puts it anywhere): the characters that mix in a neighbouring byte
 * are left out. Secrets of 8 bytes and more have a core at every offset.
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const total = offset + bytes.length;
    // Offset 1: the first group's last two characters are the secret's; offset 2: its last one.
    const start = [0, 2, 3][offset];
    // A last partial group of 1 (2) secret bytes fixes its first 1 (2) characters.
    const end = Math.floor(total / 3) * 4 + (total % 3);
    const core = encoded.slice(start, end);
    if (core.length >= MIN_BASE64_CORE) cores.push(core);
  }
  return cores;
}

interface TrieNode {
  children: Map<string, TrieNode>;
  end: boolean;
}

/**
 * One regular expression matching any of `literals`, built as a trie (`ab(?:c|d(?:e)?)`), so the engine
 * tries one branch per character instead of every literal at every position. At a position where several
 * literals start it takes the longest: a secret that contains another is replaced whole.
 */
export function literalsPattern(literals: Iterable<string>): RegExp | undefined {
  const root: TrieNode = { children: new Map(), end: false };
  let any = false;
  for (const literal of literals) {
    if (!literal) continue;
    any = true;
    let node = root;
    // By UTF-16 unit, as the regular expression (no `u` flag) reads the text.
    for (let i = 0; i < literal.length; i++) {
      const unit = literal.charAt(i);
      let next = node.children.get(unit);
      if (!next) node.children.set(unit, (next = { children: new Map(), end: false }));
      node = next;
    }
    node.end = true;
  }
  return any ? new RegExp(branches(root), 'g') : undefined;
}

/** The pattern for what may follow `node` (iterative along single-child chains: secrets run to kilobytes). */
function branches(node: TrieNode): string {
  const alternatives = [...node.children].map(([unit, child]) => {
    let chain = escapeUnit(unit);
    let at = child;
    while (!at.end && at.children.size === 1) {
      const [nextUnit, next] = at.children.entries().next().value as [string, TrieNode];
      chain += escapeUnit(nextUnit);
      at = next;
    }
    return chain + (at.children.size > 0 ? (at.end ? `(?:${branches(at)})?` : branches(at)) : '');
  });
  return alternatives.length === 1 ? (alternatives[0] as string) : `(?:${alternatives.join('|')})`;
}

function escapeUnit(unit: string): string {
  if (/^[A-Za-z0-9]$/.test(unit)) return unit;
  return unicodeEscape(unit);
}
