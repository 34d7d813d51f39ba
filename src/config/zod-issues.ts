/**
 * zod issues → positioned config issues with our wording. Messages set by the
 * schema itself (format checks, rules) are kept; zod's generic ones are replaced
 * by messages that name the bad value and what is allowed.
 */
import { isScalar, type LineCounter, type Document } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from './issues.js';
import { describeValue, nearest, quote, unknownKeyMessage } from './messages.js';
import { allowedKeys } from './schema-keys.js';
import { locate } from './yaml/locate.js';

/** Marks messages zod generated (passed as the parse-level error map): we reword those. */
export const GENERIC = '\u0000generic';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

interface IssueContext {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
  schema: z.ZodType;
}

/** `workspaceClusters[1].governedBy`; odd keys are JSON-quoted so the path stays one line. */
export function formatPath(path: Path): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** Last line of defence: a message is one line of visible text, whatever a schema put in it. */
function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]/gu, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

function lastKey(path: Path): string {
  return String(path[path.length - 1] ?? '');
}

/** zod's union issue → the issues of the branch that matched the value's shape, or one summary. */
function unionIssues(path: Path, issue: Extract<Issue, { code: 'invalid_union' }>): Array<{ path: Path; issue: Issue }> {
  const branches = issue.errors ?? [];
  // A branch whose only complaint is the top-level type did not match the shape; another one did and says why.
  const matched = branches.find((b) => b.length > 0 && !(b.length === 1 && b[0]?.code === 'invalid_type' && b[0].path.length === 0));
  if (matched) return matched.map((inner) => ({ path: [...path, ...inner.path], issue: inner }));
  const expected = branches.flatMap((b) => (b[0]?.code === 'invalid_type' ? [typeName(b[0].expected)] : []));
  const allowed = expected.length > 1 ? `${expected.slice(0, -1).join(', ')} or ${expected[expected.length - 1]}` : (expected[0] ?? 'another value');
  return [{ path, issue: { ...issue, message: `expected ${allowed}, got ${describeValue(issue.input)}` } }];
}

/** A size or range limit: a number's limit is on its value, a list's on its items, a string's on its characters. */
function bound(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>, side: 'least' | 'most', limit: number | bigint, inclusive = true): string {
  const value = Number(limit);
  if (issue.origin === 'number' || issue.origin === 'bigint') {
    const range = inclusive ? `at ${side} ${value}` : `${side === 'least' ? 'more' : 'less'} than ${value}`;
    return `must be ${range}, got ${describeValue(issue.input)}; use a number ${range}`;
  }
  const unit = issue.origin === 'array' || issue.origin === 'set' ? 'item' : 'character';
  const count = `${value} ${unit}${value === 1 ? '' : 's'}`;
  return side === 'least' ? `needs at least ${count}` : `allows at most ${count}`;
}

function message(issue: Issue, missing: boolean): string {
  if (issue.message !== GENERIC && issue.message !== '') return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return missing ? `missing required key ${quote(lastKey(issue.path))}` : `expected ${typeName(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'invalid_value': {
      const allowed = issue.values.map((v) => String(v)).join(', ');
      return missing
        ? `missing required key ${quote(lastKey(issue.path))}; allowed values: ${allowed}`
        : `${describeValue(issue.input)} is not allowed; use one of: ${allowed}`;
    }
    case 'too_small':
      return bound(issue, 'least', issue.minimum, issue.inclusive);
    case 'too_big':
      return bound(issue, 'most', issue.maximum, issue.inclusive);
    default:
      return `invalid value ${describeValue(issue.input)}`;
  }
}

/**
 * YAML reads an unquoted `010`, `1e3`, `0x1F` or `true` as a number or boolean: where text is expected,
 * say what was written (zod only saw 10, 1000, 31) and that quotes keep it text.
 */
function quoteHint(issue: Issue, doc: Document, path: Path): string {
  if (issue.code !== 'invalid_type' || issue.expected !== 'string') return '';
  if (typeof issue.input !== 'number' && typeof issue.input !== 'boolean') return '';
  const node = doc.getIn(path as unknown[], true);
  const written = isScalar(node) && typeof node.source === 'string' ? node.source : String(issue.input);
  return ` (written ${written}); put it in quotes, "${written}", to keep it text`;
}

/** Converts one zod result's issues into positioned config issues. */
export function toConfigIssues(issues: readonly Issue[], ctx: IssueContext): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const at = (offset: number, path: Path, text: string): void => {
    const { line, col } = ctx.lineCounter.linePos(offset);
    out.push({ file: ctx.file, line: Math.max(line, 1), col: Math.max(col, 1), path: formatPath(path), message: oneLine(text) });
  };
  // A misspelt required key is one mistake: its unknown-key issue says "did you mean", so the key's
  // "missing" issue is left out (formatted paths of the keys suggested, and of the keys missing).
  const suggested = new Set<string>();
  const missingAt = new Map<ConfigIssue, string>();
  const queue: Array<{ path: Path; issue: Issue }> = issues.map((issue) => ({ path: issue.path, issue }));
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const { path, issue } = next;
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(ctx.schema, path);
      for (const key of issue.keys) {
        const found = locate(ctx.doc, [...path, key]);
        at(found.keyOffset ?? found.valueOffset, [...path, key], unknownKeyMessage(key, allowed));
        const guess = nearest(key, allowed);
        if (guess !== undefined) suggested.add(formatPath([...path, guess]));
      }
    } else if (issue.code === 'invalid_union' && issue.message === GENERIC) {
      queue.unshift(...unionIssues(path, issue));
    } else if (issue.code === 'invalid_key') {
      const found = locate(ctx.doc, path);
      const inner = issue.issues[0];
      const text = inner && inner.message !== GENERIC ? inner.message : `key ${quote(lastKey(path))} is not allowed here`;
      at(found.keyOffset ?? found.valueOffset, path, text);
    } else {
      const found = locate(ctx.doc, path);
      const missing = !found.complete && issue.input === undefined;
      at(found.valueOffset, path, message({ ...issue, path: [...path] } as Issue, missing) + quoteHint(issue, ctx.doc, path));
      if (missing) missingAt.set(out[out.length - 1] as ConfigIssue, formatPath(path));
    }
  }
  return out.filter((issue) => {
    const missing = missingAt.get(issue);
    return missing === undefined || !suggested.has(missing);
  });
}
