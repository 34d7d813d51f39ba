/**
 * Config path → YAML node, to position an issue: the key for unknown keys, the
 * value for bad values, the deepest existing mapping for missing keys.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';

interface Located {
  /** True when every path segment exists in the document. */
  complete: boolean;
  /** Offset of the value node (or of the deepest existing ancestor when incomplete). */
  valueOffset: number;
  /** Offset of the key of the last found segment, when it was a mapping key. */
  keyOffset?: number;
}

function resolve(doc: Document, node: unknown): unknown {
  // Alias chains are short (anchors precede aliases), the bound is just a guard.
  for (let hops = 0; isAlias(node) && hops < 100; hops++) node = node.resolve(doc);
  return node;
}

function start(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

/** An empty value (`key:` with nothing after it) sits at the next token; point at its key instead. */
function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && node.value === null && node.range != null && node.range[0] === node.range[1];
}

/** Finds `path` in `doc`. */
export function locate(doc: Document, path: readonly PropertyKey[]): Located {
  let node: unknown = doc.contents;
  let valueOffset = start(node) ?? 0;
  let keyOffset: number | undefined;
  for (const segment of path) {
    const current = resolve(doc, node);
    let next: unknown;
    let found = false;
    let nextKey: number | undefined;
    if (isMap(current)) {
      const pair = current.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair) {
        found = true;
        next = pair.value;
        nextKey = start(pair.key);
      }
    } else if (isSeq(current) && /^\d+$/.test(String(segment))) {
      const index = Number(segment);
      if (index < current.items.length) {
        found = true;
        next = current.items[index];
      }
    }
    if (!found) return { complete: false, valueOffset, keyOffset };
    node = next;
    keyOffset = nextKey;
    // An empty value sits right after its `:` or `-`; for a mapping value its key is the better place to point at.
    const empty = next === null || next === undefined || isEmptyScalar(next);
    valueOffset = (empty ? (nextKey ?? start(next)) : (start(next) ?? nextKey)) ?? valueOffset;
  }
  return { complete: true, valueOffset, keyOffset };
}
