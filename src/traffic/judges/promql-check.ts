/**
 * Gate queries are checked with the Prometheus project's own PromQL grammar
 * (`@prometheus-io/lezer-promql`, the parser behind Prometheus' web UI) at
 * `validate` time, so a typo fails before a deployment waits for its first
 * measurement. Placeholders are first replaced with sample values of the right
 * shape; an error's column is given in the query as written (placeholders and all).
 */
import { parser } from '@prometheus-io/lezer-promql';
import { TEMPLATE_VARIABLES, type TemplateVariable } from './query-template.js';
import { promqlTypeProblem } from './promql-types.js';

/** Values shaped like the real ones (names, regions and durations are PromQL-safe identifiers). */
const SAMPLE_VALUES: Readonly<Record<TemplateVariable, string>> = {
  cluster: 'gp-prod-ws-eu17-eu-west1',
  shortName: 'eu17',
  region: 'europe-west1',
  interval: '5m',
  lookback: '5m',
  window: '1m',
  resolution: '1m',
};

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

interface Substitution {
  /** Where the placeholder is in the template and where its value is in the result. */
  templateStart: number;
  templateEnd: number;
  resultStart: number;
  resultEnd: number;
}

/** The query with sample values, plus a map back to template offsets; undefined with an unknown placeholder (reported elsewhere). */
function substitute(template: string): { query: string; substitutions: Substitution[] } | undefined {
  const substitutions: Substitution[] = [];
  let query = '';
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) return undefined;
    query += template.slice(last, match.index);
    const value = SAMPLE_VALUES[name as TemplateVariable];
    substitutions.push({ templateStart: match.index, templateEnd: match.index + match[0].length, resultStart: query.length, resultEnd: query.length + value.length });
    query += value;
    last = match.index + match[0].length;
  }
  return { query: query + template.slice(last), substitutions };
}

/** Maps an offset of the substituted query back to the template (inside a value: the placeholder's start). */
function templateOffset(offset: number, substitutions: readonly Substitution[]): number {
  let delta = 0;
  for (const s of substitutions) {
    if (offset < s.resultStart) break;
    if (offset < s.resultEnd) return s.templateStart;
    delta = s.templateEnd - s.resultEnd;
  }
  return offset + delta;
}

/** Where the parser first gave up, or undefined when the query parses. */
function firstError(query: string): number | undefined {
  let at: number | undefined;
  parser.parse(query).iterate({
    enter: (node) => {
      if (at !== undefined) return false;
      if (node.type.isError) at = node.from;
      return undefined;
    },
  });
  return at;
}

/** A sentence naming the column (1-based, in the template) of the first syntax error, or undefined when the query is valid PromQL. */
export function promqlProblem(template: string): string | undefined {
  const substituted = substitute(template);
  if (!substituted) return undefined;
  const sampled = `the query was parsed with placeholders set to sample values (${Object.entries(SAMPLE_VALUES)
    .map(([k, v]) => `{{${k}}}=${v}`)
    .join(', ')})`;
  const at = firstError(substituted.query);
  if (at === undefined) {
    // It parses; Prometheus then checks the types of what it parsed (promql-types.ts) and refuses with HTTP 400.
    const { query, substitutions } = substituted;
    const typed = promqlTypeProblem(query, (from, to) => template.slice(templateOffset(from, substitutions), templateOffset(to, substitutions)));
    if (!typed) return undefined;
    const column = Math.min(templateOffset(typed.at, substituted.substitutions), template.length) + 1;
    return `not valid PromQL: at column ${column} of the query, ${typed.message} (Prometheus refuses this query with HTTP 400); ${sampled}`;
  }
  const offset = Math.min(templateOffset(at, substituted.substitutions), template.length);
  const near = offset >= template.length ? 'at the end of the query' : `near "${template.slice(offset, offset + 12)}"`;
  return `not valid PromQL: syntax error at column ${offset + 1} of the query, ${near}; ${sampled}`;
}

/**
 * The series selectors of a (resolved) query, as written (`name{label="value"}`, without range, offset or `@`),
 * each once: which series the query reads, so the judge can ask about the targets that expose them.
 */
export function vectorSelectors(query: string): string[] {
  const found = new Set<string>();
  parser.parse(query).iterate({
    enter: (node) => {
      if (node.type.name !== 'VectorSelector') return undefined;
      found.add(query.slice(node.from, node.to));
      return false;
    },
  });
  return [...found];
}

/**
 * Functions that need two samples inside their range window (Prometheus' documented semantics): over a window
 * holding one sample they answer nothing. `*_over_time` take one sample and are left out.
 */
const TWO_SAMPLE_FUNCTIONS = new Set(['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'predict_linear']);

/** A range window written into a query as a literal (`rate(x[5s])`), not as a placeholder. */
export interface LiteralWindow {
  /** The window as written, e.g. `5s`. */
  text: string;
  ms: number;
  /** The function reading it, e.g. `rate`. */
  fn: string;
}

/**
 * The literal range windows of a query template read by a function that needs two samples: `rate(x[5s])`, not
 * `rate(x[{{interval}}])` (the placeholders are the config's windows, checked with them) nor a subquery's range.
 * `parse` turns a window's text into ms and throws where it cannot (a duration expression): that window is left out.
 */
export function literalRangeWindows(template: string, parse: (text: string) => number): LiteralWindow[] {
  const substituted = substitute(template);
  // A query that does not parse has its own error (promqlProblem): one problem at a time.
  if (!substituted || firstError(substituted.query) !== undefined) return [];
  const { query, substitutions } = substituted;
  const found: LiteralWindow[] = [];
  parser.parse(query).iterate({
    enter: (ref) => {
      if (ref.type.name !== 'MatrixSelector') return undefined;
      const duration = ref.node.getChild('DurationExpr');
      if (!duration || substitutions.some((s) => s.resultStart < duration.to && duration.from < s.resultEnd)) return false;
      // The function this selector is an argument of, through `offset` and `@` modifiers.
      let up = ref.node.parent;
      while (up && (up.type.name === 'OffsetExpr' || up.type.name === 'StepInvariantExpr' || up.type.name === 'FunctionCallBody')) up = up.parent;
      const identifier = up?.type.name === 'FunctionCall' ? up.getChild('FunctionIdentifier') : null;
      const fn = identifier ? query.slice(identifier.from, identifier.to) : '';
      if (!TWO_SAMPLE_FUNCTIONS.has(fn)) return false;
      const text = query.slice(duration.from, duration.to);
      try {
        found.push({ text, ms: parse(text), fn });
      } catch {
        // A duration expression (`[5m+1s]`, Prometheus 3): nothing to compare statically.
      }
      return false;
    },
  });
  return found;
}
