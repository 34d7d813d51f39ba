/**
 * A live view's line cut to the terminal's width, in the characters the terminal can show (charset.ts). Apart from
 * charset.ts, which main() loads for every command: cli-truncate and its width tables (34 KB) load with the views.
 */
import cliTruncate from 'cli-truncate';
import { localeIsUtf8, toAscii } from './charset.js';

/** `text` for the terminal, cut to `columns` with the ellipsis it can show (`…`, or `...`). */
export function fitTerminalWidth(text: string, columns: number, env: NodeJS.ProcessEnv = process.env): string {
  if (localeIsUtf8(env)) return cliTruncate(text, columns);
  return cliTruncate(toAscii(text), columns, { truncationCharacter: '...' });
}
