/**
 * What a terminal in a locale that is not UTF-8 (`LANG=C`, `LC_ALL=POSIX`, `en_US.ISO-8859-1`, nothing set: a bare
 * container, cron, `env -i`) gets instead of UTF-8. The CLI's text has arrows, ellipses, dashes, `≥`, and the tools'
 * lines (shown with -v, and in error tails) box-drawing characters; written as UTF-8 to such a terminal each showed
 * as two or three bytes of mojibake (`â€¦`, `M-bM-^@M-&`), and a line cut to the width with `…` was wider than
 * measured. So text written to a terminal there is ASCII: each such character becomes what it means in ASCII (`->`,
 * `...`, `--`, `>=`), anything else `?` (as iconv's //TRANSLIT does), after its accents are dropped.
 *
 * The locale is read as the C library reads it for the character set: the first of LC_ALL, LC_CTYPE and LANG that is
 * set and not empty; none is the C locale. UTF-8 is a codeset of `utf-8` or `utf8` in any case (`C.UTF-8`,
 * `en_US.utf8`, `de_DE.UTF-8@euro`).
 *
 * Only terminals: a pipe or a file gets UTF-8 whatever the locale, as what reads it is a program or a later reader
 * (JSON and NDJSON are UTF-8 by RFC 8259; a CI log is shown as UTF-8).
 */
/** Whether the locale's character set is UTF-8 (see the file's comment). */
export function localeIsUtf8(env: NodeJS.ProcessEnv = process.env): boolean {
  const locale = [env.LC_ALL, env.LC_CTYPE, env.LANG].find((v) => v !== undefined && v !== '') ?? 'C';
  return /\.utf-?8(@|$)/i.test(locale);
}

/** Characters the CLI and its tools write, in ASCII. */
const ASCII: Record<string, string> = {
  '…': '...',
  '—': '--',
  '–': '-',
  '−': '-',
  '→': '->',
  '←': '<-',
  '⇒': '=>',
  '⇔': '<=>',
  '≥': '>=',
  '≤': '<=',
  '≠': '!=',
  '±': '+/-',
  '×': 'x',
  '·': '-',
  '•': '*',
  '√': 'sqrt',
  '²': '^2',
  '¹': '^1',
  '⁻': '^-',
  'ⁿ': '^n',
  '½': '1/2',
  'µ': 'u',
  'α': 'alpha',
  'β': 'beta',
  'σ': 'sigma',
  'π': 'pi',
  'Φ': 'Phi',
  'Σ': 'Sum',
  '§': 'S',
  '‘': "'",
  '’': "'",
  '“': '"',
  '”': '"',
  '✓': 'ok',
  '✔': 'ok',
  '✗': 'x',
  '✘': 'x',
  '\u00a0': ' ',
};
/** Box drawing (terraform's diagnostics: `╷`, `│`, `╵`; tables): a line's direction in ASCII. */
function boxDrawing(ch: string): string | undefined {
  const code = ch.codePointAt(0)!;
  if (code < 0x2500 || code > 0x257f) return undefined;
  if ('│┃║╎╏┆┇┊┋╷╵╹╻'.includes(ch)) return '|';
  if ('─━═╌╍┄┅┈┉╴╶╸╺'.includes(ch)) return '-';
  return '+';
}

/** `text` in ASCII (see the file's comment). */
export function toAscii(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  let out = '';
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) {
      out += ch;
      continue;
    }
    const mapped = ASCII[ch] ?? boxDrawing(ch);
    if (mapped !== undefined) {
      out += mapped;
      continue;
    }
    // é → e: the base letter, its accents (combining marks) dropped.
    const base = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
    // eslint-disable-next-line no-control-regex
    out += /^[\x00-\x7f]+$/.test(base) ? base : '?';
  }
  return out;
}

/** Text as this process's terminal can show it: unchanged in a UTF-8 locale, ASCII in any other. */
export function terminalText(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return localeIsUtf8(env) ? text : toAscii(text);
}

type Write = NodeJS.WriteStream['write'];

/**
 * main(): from now on, in a locale that is not UTF-8, every string written to stdout or stderr where that is a
 * terminal is ASCII (one place, so no writer is missed: results, events, errors, a question's prompt). The live
 * views measure their lines in ASCII already (fit-width.ts). Returns the function that undoes it.
 */
export function asciiOnNonUtf8Terminals(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr], env: NodeJS.ProcessEnv = process.env): () => void {
  if (localeIsUtf8(env)) return () => undefined;
  const restores = streams
    .filter((stream) => stream.isTTY)
    .map((stream) => {
      const write = stream.write;
      stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
        return (write as (...args: unknown[]) => boolean).call(this, typeof chunk === 'string' ? toAscii(chunk) : chunk, ...rest);
      } as Write;
      return () => {
        stream.write = write;
      };
    });
  return () => {
    for (const restore of restores) restore();
  };
}
