/**
 * `dependsOn` between the helm releases: every name is a release section, and
 * the declarations form no cycle (the message spells the cycle's path).
 */
import { quote } from '../messages.js';
import { declaredDependsOn, isReleaseSection, RELEASE_STEPS, type ReleaseSection } from '../../steps/install/release-order.js';
import type { CrossRule, RuleIssue } from './rule.js';

const SECTIONS = Object.keys(RELEASE_STEPS) as ReleaseSection[];

/** Unknown names, at the entry that names them; then the first cycle, at the entry that closes it. */
export const releaseDependencies: CrossRule = (config) => {
  const issues: RuleIssue[] = [];
  const edges = new Map<ReleaseSection, Array<{ to: ReleaseSection; index: number }>>();
  for (const section of SECTIONS) {
    const list: Array<{ to: ReleaseSection; index: number }> = [];
    declaredDependsOn(config, section).forEach((name, index) => {
      if (typeof name !== 'string') return; // the field's own schema reports it
      if (isReleaseSection(name)) list.push({ to: name, index });
      else issues.push({ path: [section, 'dependsOn', index], message: `unknown release ${quote(name)}; dependsOn names releases by their config section: ${SECTIONS.join(', ')}` });
    });
    edges.set(section, list);
  }
  const cycle = findCycle(edges);
  if (cycle) {
    const names = cycle.path.join(' → ');
    issues.push({ path: [cycle.from, 'dependsOn', cycle.index], message: `dependency cycle: ${names}; releases in a cycle could never install, so remove one of these dependsOn entries` });
  }
  return issues;
};

/** Depth-first search in section order (deterministic); the path starts and ends at the same release. */
function findCycle(edges: Map<ReleaseSection, Array<{ to: ReleaseSection; index: number }>>): { path: ReleaseSection[]; from: ReleaseSection; index: number } | undefined {
  const state = new Map<ReleaseSection, 'visiting' | 'done'>();
  const stack: ReleaseSection[] = [];
  const visit = (node: ReleaseSection): { path: ReleaseSection[]; from: ReleaseSection; index: number } | undefined => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const { to, index } of edges.get(node) ?? []) {
      if (state.get(to) === 'visiting') return { path: [...stack.slice(stack.indexOf(to)), to], from: node, index };
      if (state.get(to) === undefined) {
        const found = visit(to);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const section of SECTIONS) {
    if (state.get(section) === undefined) {
      const found = visit(section);
      if (found) return found;
    }
  }
  return undefined;
}
