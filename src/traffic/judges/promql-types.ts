/**
 * The type rules of PromQL that Prometheus checks after parsing (its parser's checkAST), which the grammar of
 * `@prometheus-io/lezer-promql` does not: `rate(x)` (an instant vector where a range vector is needed),
 * `sum(x[5m])`, `x[5m] + 1`, `1 > 2` without `bool`, `{}` (no matcher that selects anything). Each parses, passes the
 * grammar, and is refused by Prometheus with HTTP 400 `bad_data` at the shift's first measurement: every
 * measurement then errs, and the shift halts and rolls back a healthy canary over a typo that validate could name.
 * Found by sending such queries to a real Prometheus (test/integration/traffic/prometheus-query-types.test.ts).
 *
 * Only what is certain is refused: a function or operator this table does not know (a newer Prometheus' or an
 * experimental one) gives an unknown type, and nothing built on an unknown type is refused.
 */
import { parser } from '@prometheus-io/lezer-promql';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

type ValueType = 'scalar' | 'instant vector' | 'range vector' | 'string';
/** A type, or undefined where this checker does not know it. */
type Known = ValueType | undefined;

/** A type problem: where it is in the query and what is wrong. */
export interface TypeProblem {
  at: number;
  message: string;
}

const S: ValueType = 'scalar';
const V: ValueType = 'instant vector';
const M: ValueType = 'range vector';
const T: ValueType = 'string';

/** Argument types, how many of the last may be left out (-1: the last repeats), and the result (Prometheus' functions.go). */
interface Signature {
  args: ValueType[];
  optional?: number;
  returns: ValueType;
}

const vectorToVector: Signature = { args: [V], returns: V };
const rangeToVector: Signature = { args: [M], returns: V };
const dateFunction: Signature = { args: [V], optional: 1, returns: V };

const FUNCTIONS: Readonly<Record<string, Signature>> = {
  ...Object.fromEntries(
    ['abs', 'absent', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'ceil', 'cos', 'cosh', 'deg', 'exp', 'floor', 'ln', 'log10', 'log2', 'rad', 'sgn', 'sin', 'sinh', 'sort', 'sort_desc', 'sqrt', 'tan', 'tanh', 'timestamp', 'histogram_count', 'histogram_sum', 'histogram_avg', 'histogram_stddev', 'histogram_stdvar'].map((f) => [f, vectorToVector]),
  ),
  ...Object.fromEntries(
    [
      'absent_over_time', 'avg_over_time', 'changes', 'count_over_time', 'delta', 'deriv', 'first_over_time', 'idelta', 'increase', 'irate', 'last_over_time', 'mad_over_time',
      'max_over_time', 'min_over_time', 'present_over_time', 'rate', 'resets', 'stddev_over_time', 'stdvar_over_time', 'sum_over_time',
    ].map((f) => [f, rangeToVector]),
  ),
  ...Object.fromEntries(['day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year'].map((f) => [f, dateFunction])),
  clamp: { args: [V, S, S], returns: V },
  clamp_max: { args: [V, S], returns: V },
  clamp_min: { args: [V, S], returns: V },
  histogram_fraction: { args: [S, S, V], returns: V },
  histogram_quantile: { args: [S, V], returns: V },
  holt_winters: { args: [M, S, S], returns: V },
  double_exponential_smoothing: { args: [M, S, S], returns: V },
  label_join: { args: [V, T, T, T], optional: -1, returns: V },
  label_replace: { args: [V, T, T, T, T], returns: V },
  pi: { args: [], returns: S },
  predict_linear: { args: [M, S], returns: V },
  quantile_over_time: { args: [S, M], returns: V },
  round: { args: [V, S], optional: 1, returns: V },
  scalar: { args: [V], returns: S },
  sort_by_label: { args: [V, T], optional: -1, returns: V },
  sort_by_label_desc: { args: [V, T], optional: -1, returns: V },
  time: { args: [], returns: S },
  vector: { args: [S], returns: V },
};

/** Aggregations that take a parameter before the vector, and its type. */
const AGGREGATION_PARAMETER: Readonly<Record<string, ValueType>> = { topk: S, bottomk: S, quantile: S, limitk: S, limit_ratio: S, count_values: T };
const AGGREGATIONS = new Set(['avg', 'count', 'group', 'max', 'min', 'stddev', 'stdvar', 'sum', ...Object.keys(AGGREGATION_PARAMETER)]);
const COMPARISONS = new Set(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPERATORS = new Set(['and', 'or', 'unless']);

/** The first type problem of a query that parses, or undefined. A gate needs one number per series: a scalar or an instant vector. */
export function promqlTypeProblem(query: string, show: (from: number, to: number) => string = (from, to) => query.slice(from, to)): TypeProblem | undefined {
  const top = parser.parse(query).topNode.firstChild;
  if (!top) return undefined;
  const checker = new Checker(query, show);
  const type = checker.typeOf(top);
  if (checker.problem) return checker.problem;
  if (type === M) return { at: top.from, message: 'its result is a range vector (raw samples), not one number per series: wrap the selector in rate(), increase() or a …_over_time() function' };
  if (type === T) return { at: top.from, message: 'its result is a string; a gate query must yield numbers' };
  return undefined;
}

class Checker {
  problem: TypeProblem | undefined;
  /** `show` gives a fragment as the author wrote it (placeholders and all); `query` is what is parsed. */
  constructor(
    private readonly query: string,
    private readonly show: (from: number, to: number) => string,
  ) {}

  /** A node's text as the query's author wrote it, for messages. */
  private text(node: SyntaxNode): string {
    return this.show(node.from, node.to);
  }

  /** A node's text as parsed (sample values in place of placeholders), for what is checked. */
  private source(node: SyntaxNode): string {
    return this.query.slice(node.from, node.to);
  }

  private fail(node: SyntaxNode, message: string): undefined {
    this.problem ??= { at: node.from, message };
    return undefined;
  }

  /** The node's type; records the first problem found below it. */
  typeOf(node: SyntaxNode): Known {
    if (this.problem) return undefined;
    switch (node.name) {
      case 'NumberDurationLiteral':
        return S;
      case 'StringLiteral':
        return T;
      case 'VectorSelector':
        return this.selector(node);
      case 'ParenExpr':
        return node.firstChild ? this.typeOf(node.firstChild) : undefined;
      case 'MatrixSelector': {
        const inner = node.firstChild;
        if (!inner) return undefined;
        if (inner.name !== 'VectorSelector') return this.fail(node, `a range [${this.text(node).split('[').at(-1)} may follow only a series selector, not "${this.text(inner)}" (for a range of an expression write a subquery, e.g. [5m:1m])`);
        this.typeOf(inner);
        return M;
      }
      case 'SubqueryExpr': {
        const inner = node.firstChild;
        const type = inner ? this.typeOf(inner) : undefined;
        if (inner && type !== undefined && type !== V) return this.fail(node, `a subquery needs an instant vector, but "${this.text(inner)}" is ${an(type)}`);
        return M;
      }
      case 'OffsetExpr':
      case 'StepInvariantExpr': {
        const inner = node.firstChild;
        if (!inner) return undefined;
        if (!['VectorSelector', 'MatrixSelector', 'SubqueryExpr', 'OffsetExpr', 'StepInvariantExpr'].includes(inner.name)) {
          return this.fail(node, `${node.name === 'OffsetExpr' ? 'offset' : '@'} may follow only a series selector, a range or a subquery, not "${this.text(inner)}"`);
        }
        return this.typeOf(inner);
      }
      case 'UnaryExpr': {
        const operand = node.lastChild;
        const type = operand ? this.typeOf(operand) : undefined;
        if (operand && (type === M || type === T)) return this.fail(node, `a sign may stand only before a scalar or an instant vector, not before the ${type} "${this.text(operand)}"`);
        return type;
      }
      case 'FunctionCall':
        return this.call(node);
      case 'AggregateExpr':
        return this.aggregate(node);
      case 'BinaryExpr':
        return this.binary(node);
      default:
        // Prometheus 3's experimental forms (anchored, smoothed, …): not checked.
        return undefined;
    }
  }

  /** Prometheus refuses a selector whose every matcher also matches an empty label ("{}", {a=~".*"}): it would select every series. */
  private selector(node: SyntaxNode): Known {
    if (node.getChild('Identifier')) return V;
    const matchers = node.getChild('LabelMatchers');
    const children: SyntaxNode[] = [];
    for (let c = matchers?.firstChild; c; c = c.nextSibling) children.push(c);
    if (children.some((c) => c.name === 'QuotedLabelName')) return V; // {"metric.name"}: a name
    const matching = children.filter((c) => c.name.endsWith('LabelMatcher'));
    if (matching.every((m) => this.matchesEmpty(m) === true)) {
      return this.fail(node, `the selector "${this.text(node)}" has no metric name and no matcher that excludes an empty label: it would select every series; name the metric or add a matcher such as cluster="…"`);
    }
    return V;
  }

  /** Whether a label matcher matches the empty value; undefined where that cannot be told here (an unusual regex). */
  private matchesEmpty(matcher: SyntaxNode): boolean | undefined {
    const op = matcher.getChild('MatchOp');
    const literal = matcher.getChild('StringLiteral');
    if (!op || !literal) return undefined;
    const value = unquote(this.source(literal));
    if (value === undefined) return undefined;
    const operator = this.source(op);
    if (operator === '=') return value === '';
    if (operator === '!=') return value !== '';
    try {
      const matches = new RegExp(`^(?:${value})$`).test('');
      return operator === '=~' ? matches : !matches;
    } catch {
      return undefined; // RE2 syntax JavaScript does not read: leave it to Prometheus
    }
  }

  private args(body: SyntaxNode | null): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = body?.firstChild; c; c = c.nextSibling) if (c.type.isError || (c.name !== '(' && c.name !== ')' && c.name !== ',')) out.push(c);
    return out;
  }

  private call(node: SyntaxNode): Known {
    const identifier = node.getChild('FunctionIdentifier');
    const name = identifier ? this.source(identifier) : '';
    const args = this.args(node.getChild('FunctionCallBody'));
    const types = args.map((a) => this.typeOf(a));
    const signature = FUNCTIONS[name];
    if (!signature || this.problem) return signature?.returns;
    const { args: wanted, optional = 0 } = signature;
    const fewest = optional === -1 ? wanted.length : wanted.length - optional;
    const most = optional === -1 ? Number.POSITIVE_INFINITY : wanted.length;
    if (args.length < fewest || args.length > most) {
      const expected = fewest === most ? `${fewest}` : most === Number.POSITIVE_INFINITY ? `at least ${fewest}` : `${fewest} to ${most}`;
      return this.fail(node, `${name}() takes ${expected} argument(s), not ${args.length}`);
    }
    args.forEach((arg, i) => {
      const want = wanted[Math.min(i, wanted.length - 1)];
      const got = types[i];
      if (got !== undefined && want !== undefined && got !== want) this.fail(arg, `argument ${i + 1} of ${name}() must be ${an(want)}, but "${this.text(arg)}" is ${an(got)}${hint(want, got)}`);
    });
    return signature.returns;
  }

  private aggregate(node: SyntaxNode): Known {
    const op = node.getChild('AggregateOp');
    const name = op ? this.source(op).toLowerCase() : '';
    const args = this.args(node.getChild('FunctionCallBody'));
    const types = args.map((a) => this.typeOf(a));
    if (!AGGREGATIONS.has(name) || this.problem) return V;
    const parameter = AGGREGATION_PARAMETER[name];
    const wanted = parameter ? [parameter, V] : [V];
    if (args.length !== wanted.length) return this.fail(node, `${name}(…) takes ${wanted.length === 2 && parameter ? `${an(parameter)} and an instant vector` : 'one instant vector'}, not ${args.length} argument(s)`);
    args.forEach((arg, i) => {
      const got = types[i];
      const want = wanted[i];
      if (got !== undefined && want !== undefined && got !== want) this.fail(arg, `${name}(…) needs ${an(want)} here, but "${this.text(arg)}" is ${an(got)}${hint(want, got)}`);
    });
    return V;
  }

  private binary(node: SyntaxNode): Known {
    const left = node.firstChild;
    const opNode = left?.nextSibling;
    const right = node.lastChild;
    if (!left || !opNode || !right) return undefined;
    const op = this.source(opNode).toLowerCase();
    const l = this.typeOf(left);
    const r = this.typeOf(right);
    if (this.problem) return undefined;
    for (const [side, type] of [[left, l], [right, r]] as const) {
      if (type === M || type === T) return this.fail(side, `the operator ${op} takes scalars and instant vectors, but "${this.text(side)}" is ${an(type)}${hint(V, type)}`);
    }
    const bool = node.getChild('BoolModifier') !== null;
    const matching = node.getChild('MatchingModifierClause') !== null;
    if (bool && !COMPARISONS.has(op)) return this.fail(opNode, `bool may follow only a comparison (==, !=, >, <, >=, <=), not ${op}`);
    if (l === S && r === S && COMPARISONS.has(op) && !bool) return this.fail(opNode, `a comparison of two scalars needs bool (${op} bool)`);
    if (SET_OPERATORS.has(op) && (l === S || r === S)) return this.fail(opNode, `${op} works between instant vectors only, not with a scalar`);
    if (matching && (l === S || r === S)) return this.fail(opNode, 'on(…)/ignoring(…)/group_left/group_right match two instant vectors, not a scalar');
    if (l === undefined || r === undefined) return undefined;
    return l === S && r === S ? S : V;
  }
}

function an(type: ValueType): string {
  return type === 'instant vector' ? `an ${type}` : `a ${type}`;
}

/** What to write instead, where a common mix-up explains the mismatch. */
function hint(want: ValueType, got: ValueType): string {
  if (want === M && got === V) return ': add a range, e.g. [{{interval}}]';
  if (want === V && got === M) return ': wrap it in rate(), increase() or a …_over_time() function';
  return '';
}

/** A PromQL string literal's value; undefined for an escape this does not read. */
function unquote(literal: string): string | undefined {
  const quote = literal[0];
  const body = literal.slice(1, -1);
  if (quote === '`') return body;
  if (!body.includes('\\')) return body;
  try {
    return JSON.parse(`"${quote === "'" ? body.replace(/\\'/g, "'").replace(/"/g, '\\"') : body}"`) as string;
  } catch {
    return undefined;
  }
}
