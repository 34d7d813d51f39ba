/**
 * Reading the commands the tool suggests out of its outputs, and splitting them into words the way
 * POSIX sh would (the tool prints them for sh; it never runs a shell itself).
 */

/** The words of a POSIX sh command line as printed by the tool: plain words, '…' (with '\'' inside) and "$VAR". */
export function shWords(line: string, env: Record<string, string>): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\') {
      word = (word ?? '') + line[++i];
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      word = (word ?? '') + line.slice(i + 1, end).replace(/\$([A-Z_]+)/g, (_, v: string) => env[v] ?? '');
      i = end;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Every `ws-deployment …` command in an output: in backticks in its text, or a whole string; JSON is read as JSON (its strings are escaped). */
export function commandsIn(output: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(output);
  } catch {
    json = undefined;
  }
  if (json !== undefined) return stringsOf(json).flatMap((s) => (s.startsWith('ws-deployment ') ? [s] : commandsIn(s)));
  const text = output.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return [...text.matchAll(/`(ws-deployment [^`\n]+)`/g)].map((m) => m[1]!);
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  return value && typeof value === 'object' ? Object.values(value).flatMap(stringsOf) : [];
}
