/**
 * The seed's own example wrote list items like
 *
 *     - region: us-west1
 *         prefix: us
 *         governedBy: prod-meta-us01
 *
 * yaml then reports a cascade ("nested mappings are not allowed in compact
 * mappings", "implicit keys need to be on a single line") for every line. This
 * finds that mistake in the text and says it once per list item, in words.
 * It is only consulted when yaml already failed, so valid YAML is never second-guessed.
 */
import type { YamlIssue } from './yaml-issue.js';

interface OverIndented {
  issue: YamlIssue;
  /** Offsets the item spans: yaml's own errors inside are replaced by the issue. */
  from: number;
  to: number;
  /** The over-indented lines (0-based) and how many spaces each has too many. */
  lines: Array<{ line: number; extra: number }>;
}

/**
 * The text with each over-indented key moved back under the item's first key.
 * Lines stay where they are; only leading spaces go, so a position in the
 * repaired text maps back by adding `extra` to the column on those lines.
 */
export function alignOverIndented(text: string, found: readonly OverIndented[]): { text: string; extraByLine: Map<number, number> } {
  const lines = text.split('\n');
  const extraByLine = new Map<number, number>();
  for (const o of found) {
    for (const { line, extra } of o.lines) {
      lines[line] = lines[line]!.slice(extra);
      extraByLine.set(line + 1, extra);
    }
  }
  return { text: lines.join('\n'), extraByLine };
}

const ITEM = /^(\s*-\s+)([A-Za-z_][\w-]*):[ \t]+([^#\s].*)$/;
const KEY = /^(\s*)([A-Za-z_][\w-]*):(\s|$)/;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function names(keys: string[]): string {
  const quoted = keys.map((k) => `\`${k}\``);
  return quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)!}`;
}

/** Keys indented deeper than the first key of the list item they follow (which holds a scalar). */
export function overIndentedKeys(text: string): OverIndented[] {
  const lines = text.split('\n');
  const starts: number[] = [];
  let offset = 0;
  for (const line of lines) {
    starts.push(offset);
    offset += line.length + 1;
  }
  const found: OverIndented[] = [];
  for (let i = 0; i < lines.length; i++) {
    const item = ITEM.exec(lines[i]!);
    if (!item) continue;
    const column = item[1]!.length;
    const keys: Array<{ key: string; line: number; column: number }> = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      if (line.trim() === '' || line.trim().startsWith('#')) continue;
      if (indentOf(line) <= column) break;
      const key = KEY.exec(line);
      if (!key) break;
      keys.push({ key: key[2]!, line: j, column: key[1]!.length });
    }
    if (keys.length === 0) continue;
    const first = keys[0]!;
    const last = keys.at(-1)!;
    found.push({
      issue: {
        offset: starts[first.line]! + first.column,
        message: `${names(keys.map((k) => k.key))} ${keys.length === 1 ? 'is' : 'are'} indented more than \`${item[2]}\` above ${keys.length === 1 ? 'it' : 'them'}; align them (${column} spaces before each key of this list item)`,
      },
      from: starts[i]!,
      to: starts[last.line]! + lines[last.line]!.length,
      lines: keys.map((k) => ({ line: k.line, extra: k.column - column })),
    });
    i = j - 1;
  }
  return found;
}
