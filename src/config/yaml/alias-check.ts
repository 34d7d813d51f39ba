/**
 * Aliases checked before `toJS`: unknown anchors, self-containing anchors (they
 * would become cyclic objects that hang validation), nesting that aliases push
 * past the limit, and expansion to too many nodes. One document-order walk:
 * an anchor always precedes its aliases, so each alias finds its target measured.
 */
import { isAlias, isCollection, isNode, isPair, isScalar, type Document, type Node } from 'yaml';
import { MAX_DEPTH, MAX_EXPANDED_NODES } from './limits.js';
import type { YamlIssue } from './yaml-issue.js';

interface Measure {
  /** Collections nested inside the node, itself included. */
  height: number;
  /** Nodes the node expands to, aliases expanded. */
  size: number;
}

const LEAF: Measure = { height: 0, size: 1 };

/** Problems with aliases in `doc`; empty when `toJS` is safe to call. */
export function aliasIssues(doc: Document): YamlIssue[] {
  const anchors = new Map<string, Node>();
  const measured = new Map<Node, Measure>();
  const open = new Set<Node>();
  const issues: YamlIssue[] = [];
  let reportedDepth = false;
  let reportedSize = false;

  const visit = (node: unknown, depth: number): Measure => {
    if (isAlias(node)) {
      const offset = node.range?.[0] ?? 0;
      const target = anchors.get(node.source);
      if (target === undefined) {
        issues.push({ offset, message: `unknown alias *${node.source}: no anchor &${node.source} comes before it` });
        return LEAF;
      }
      if (open.has(target)) {
        issues.push({ offset, message: `alias *${node.source} refers to a node that contains it; recursive structures are not allowed` });
        return LEAF;
      }
      const measure = measured.get(target) ?? LEAF;
      if (!reportedDepth && depth + measure.height > MAX_DEPTH) {
        reportedDepth = true;
        issues.push({ offset, message: `alias *${node.source} nests the document deeper than ${MAX_DEPTH} levels` });
      }
      if (!reportedSize && measure.size > MAX_EXPANDED_NODES) {
        reportedSize = true;
        issues.push({ offset, message: `aliases expand the document to more than ${MAX_EXPANDED_NODES} nodes; refusing it` });
      }
      return measure;
    }
    if (!isNode(node)) return { height: 0, size: 0 };
    if (node.anchor) anchors.set(node.anchor, node);
    let measure = LEAF;
    if (isCollection(node)) {
      open.add(node);
      let height = 0;
      let size = 1;
      for (const item of node.items) {
        const parts = isPair(item) ? [item.key, item.value] : [item];
        for (const part of parts) {
          const child = visit(part, depth + 1);
          height = Math.max(height, child.height);
          size = Math.min(size + child.size, Number.MAX_SAFE_INTEGER);
        }
      }
      open.delete(node);
      measure = { height: height + 1, size };
    } else if (!isScalar(node)) {
      measure = LEAF;
    }
    measured.set(node, measure);
    return measure;
  };

  const root = visit(doc.contents, 0);
  if (!reportedSize && root.size > MAX_EXPANDED_NODES) {
    issues.push({ offset: 0, message: `the document expands to more than ${MAX_EXPANDED_NODES} nodes; refusing it` });
  }
  return issues;
}
