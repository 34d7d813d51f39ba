/**
 * Nesting depth measured on yaml's concrete syntax tree, before composing.
 * yaml's parser is iterative but its composer recurses, and a deep document
 * composed twice has been seen to kill node with a fatal out-of-memory in V8's
 * regexp compiler (not a catchable error): refuse deep documents up front.
 */
import type { CST } from 'yaml';
import { MAX_DEPTH } from './limits.js';

/** Offset of the first collection nested deeper than {@link MAX_DEPTH}, or undefined. */
export function tooDeepOffset(tokens: readonly CST.Token[]): number | undefined {
  // An explicit stack: this walk itself must not recurse on a 200 000-level document.
  const stack: Array<{ token: CST.Token; depth: number }> = tokens.map((token) => ({ token, depth: 0 }));
  let first: number | undefined;
  while (stack.length > 0) {
    const { token, depth } = stack.pop() as { token: CST.Token; depth: number };
    if (token.type === 'document') {
      if (token.value) stack.push({ token: token.value, depth });
      continue;
    }
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    const level = depth + 1;
    if (level > MAX_DEPTH) {
      if (first === undefined || token.offset < first) first = token.offset;
      continue;
    }
    for (const item of token.items) {
      if (item.key) stack.push({ token: item.key, depth: level });
      if (item.value) stack.push({ token: item.value, depth: level });
    }
  }
  return first;
}
