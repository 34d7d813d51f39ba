/**
 * Text → YAML document → plain JS value, refusing what could exhaust the
 * process: oversize input, deep nesting, alias bombs and cycles. Every problem
 * comes back as an offset-positioned issue; this module never throws on input.
 */
import { Composer, LineCounter, Parser, isScalar, visit, type CST, type Document } from 'yaml';
import { aliasIssues } from './alias-check.js';
import { tooDeepOffset } from './cst-depth.js';
import { alignOverIndented, overIndentedKeys } from './over-indent.js';
import { MAX_ALIAS_COUNT, MAX_CONFIG_BYTES, MAX_DEPTH } from './limits.js';
import type { YamlIssue } from './yaml-issue.js';

interface YamlRead {
  lineCounter: LineCounter;
  /** Present once the text composed into a document (also when it has issues). */
  doc?: Document.Parsed;
  /** The document as plain JS; only meaningful when `issues` is empty. */
  value?: unknown;
  issues: YamlIssue[];
  /**
   * When every issue is an over-indented list item: the text with those keys
   * aligned, so the config can still be validated and both kinds of problems
   * reported together (`extraByLine`: 1-based line → columns removed there).
   */
  aligned?: { text: string; extraByLine: Map<number, number> };
}

/** yaml's messages, made to fit ours: lowercase start, one line, no control characters. */
function tidy(message: string): string {
  const line = message.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim();
  const short = line.length > 200 ? `${line.slice(0, 199)}…` : line;
  return `yaml ${short.charAt(0).toLowerCase()}${short.slice(1)}`;
}

/**
 * Reads one YAML document from `text`. `subject` names the document in messages:
 * the same limits guard the config and the YAML files it references (values
 * files, the versions manifest).
 */
export function readYaml(text: string, subject = 'config'): YamlRead {
  const lineCounter = new LineCounter();
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_CONFIG_BYTES) {
    return { lineCounter, issues: [{ offset: 0, message: `${subject} is ${size} bytes; the limit is ${MAX_CONFIG_BYTES} bytes (1 MiB)` }] };
  }

  const tokens: CST.Token[] = Array.from(new Parser(lineCounter.addNewLine).parse(text));
  const deep = tooDeepOffset(tokens);
  if (deep !== undefined) {
    return { lineCounter, issues: [{ offset: deep, message: `nesting deeper than ${MAX_DEPTH} levels is not allowed` }] };
  }

  // YAML 1.2 core schema: no merge keys, no timestamps, `yes` stays a string.
  const composer = new Composer({ version: '1.2', uniqueKeys: true, prettyErrors: false, strict: true });
  let doc: Document.Parsed | undefined;
  const issues: YamlIssue[] = [];
  for (const next of composer.compose(tokens, true, text.length)) {
    if (doc === undefined) doc = next;
    else {
      issues.push({ offset: next.range[0], message: `a ${subject} holds exactly one yaml document; remove the extra "---" document` });
      break;
    }
  }
  if (doc === undefined) return { lineCounter, issues: [{ offset: 0, message: `${subject} is empty` }] };

  const all = [...doc.errors, ...doc.warnings];
  // A tab used to indent sets off a cascade of yaml errors about the lines after it: report the tabs alone,
  // each with its fix (what else is wrong shows once they are spaces).
  const tabs = all.filter((p) => p.code === 'TAB_AS_INDENT');
  if (tabs.length > 0) {
    return { lineCounter, doc, issues: tabs.map((t) => ({ offset: t.pos[0], message: 'a tab indents this line; yaml indents with spaces only: replace the tab with spaces' })) };
  }
  const problems = all;
  // A list item's keys indented too deep set off a cascade of yaml errors: say it once, in words.
  const overIndented = problems.length > 0 ? overIndentedKeys(text) : [];
  for (const o of overIndented) issues.push(o.issue);
  for (const problem of problems) {
    const at = problem.pos[0];
    if (overIndented.some((o) => at >= o.from && at <= o.to)) continue;
    issues.push({ offset: at, message: tidy(problem.message) });
  }
  issues.sort((a, b) => a.offset - b.offset);
  if (issues.length > 0) {
    const onlyOverIndent = overIndented.length > 0 && issues.length === overIndented.length;
    return { lineCounter, doc, issues, ...(onlyOverIndent ? { aligned: alignOverIndented(text, overIndented) } : {}) };
  }

  const aliases = aliasIssues(doc);
  if (aliases.length > 0) return { lineCounter, doc, issues: aliases };
  const keys = keyIssues(doc);
  if (keys.length > 0) return { lineCounter, doc, issues: keys };

  try {
    return { lineCounter, doc, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), issues };
  } catch (error) {
    // yaml throws ReferenceError for alias abuse it detects itself; anything else is still the input's fault.
    const message = error instanceof Error ? error.message : String(error);
    return { lineCounter, doc, issues: [{ offset: firstAliasOffset(doc), message: tidy(message) }] };
  }
}

/**
 * Every config key is a word. A mapping, list or alias used as a key would be
 * stringified by `toJS` (with a process warning on stderr) into a key nobody wrote.
 */
function keyIssues(doc: Document): YamlIssue[] {
  const issues: YamlIssue[] = [];
  visit(doc, {
    Pair(_key, pair) {
      if (pair.key === null || isScalar(pair.key)) return;
      const offset = (pair.key as { range?: [number, number, number] }).range?.[0] ?? 0;
      issues.push({ offset, message: 'a key must be a plain word, not a mapping, list or alias; write the key as text' });
    },
  });
  return issues;
}

function firstAliasOffset(doc: Document): number {
  let offset = 0;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}
