/**
 * Kubernetes label selectors as the API server reads `?labelSelector=` (used by
 * the fake API servers): equality (`k=v`, `k==v`, `k!=v`), set-based
 * (`k in (a,b)`, `k notin (a,b)`), existence (`k`, `!k`), comma = AND.
 * Semantics from https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
 * — notably `k!=v` and `k notin (…)` also match objects without the label.
 */

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'absent'; key: string };

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

export class SelectorError extends Error {}

/** Splits on commas outside parentheses. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out.map((t) => t.trim()).filter((t) => t.length > 0);
}

function key(k: string, term: string): string {
  if (!KEY.test(k)) throw new SelectorError(`invalid label key "${k}" in "${term}"`);
  return k;
}

function value(v: string, term: string): string {
  if (!VALUE.test(v) || v.length > 63) throw new SelectorError(`invalid label value "${v}" in "${term}"`);
  return v;
}

export function parseSelector(selector: string): Requirement[] {
  return terms(selector).map((term): Requirement => {
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
    if (set) {
      const values = set[3]!.split(',').map((v) => value(v.trim(), term));
      return { op: set[2] as 'in' | 'notin', key: key(set[1]!, term), values };
    }
    const eq = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (eq) return { op: eq[2] === '!=' ? 'neq' : 'eq', key: key(eq[1]!, term), value: value(eq[3]!, term) };
    if (term.startsWith('!')) return { op: 'absent', key: key(term.slice(1).trim(), term) };
    return { op: 'exists', key: key(term, term) };
  });
}

export function matchesSelector(labels: Readonly<Record<string, string>> | undefined, selector: string | Requirement[]): boolean {
  const reqs = typeof selector === 'string' ? parseSelector(selector) : selector;
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'eq':
        return has && l[r.key] === r.value;
      case 'neq':
        return !has || l[r.key] !== r.value;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
      case 'exists':
        return has;
      case 'absent':
        return !has;
    }
  });
}
