/**
 * A typed work graph: nodes with dependencies, run with bounded concurrency
 * per kind. A failed node stops its dependents (they end `blocked`); other
 * branches go on unless `failFast`. In-flight nodes always run to their end:
 * we stop scheduling, we never abandon a running child process.
 */
import { WsdError } from '../core/errors.js';

export interface WorkNode {
  id: string;
  /** Concurrency class, e.g. `cluster-step` or `cross-cluster`. */
  kind: string;
  deps: readonly string[];
}

export type NodeOutcome = 'succeeded' | 'skipped' | 'failed' | 'interrupted';
export type NodeResult = NodeOutcome | 'blocked' | 'not-started';

interface RunGraphOptions<N extends WorkNode> {
  /** Max nodes running at once per kind; kinds not listed are unbounded. */
  concurrency?: Record<string, number>;
  failFast?: boolean;
  signal?: AbortSignal;
  execute(node: N): Promise<NodeOutcome>;
}

/** Throws a readable error naming the cycle path (`a → b → a`) or a missing dependency. */
export function checkGraph(nodes: readonly WorkNode[]): void {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const n of nodes) {
    for (const d of n.deps) {
      if (!byId.has(d)) throw new WsdError('Internal', `work node ${n.id} depends on unknown node ${d}`, { source: 'internal' });
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): void => {
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(id)), id];
      throw new WsdError('Internal', `dependency cycle: ${cycle.join(' → ')}`, { source: 'internal', details: { cycle } });
    }
    state.set(id, 'visiting');
    path.push(id);
    for (const d of byId.get(id)?.deps ?? []) visit(d);
    path.pop();
    state.set(id, 'done');
  };
  for (const n of nodes) visit(n.id);
}

/** Runs the graph; resolves with every node's result once nothing more can run. */
export function runGraph<N extends WorkNode>(nodes: readonly N[], options: RunGraphOptions<N>): Promise<Map<string, NodeResult>> {
  checkGraph(nodes);
  const results = new Map<string, NodeResult>(nodes.map((n) => [n.id, 'not-started']));
  const dependents = new Map<string, N[]>();
  const waiting = new Map<string, number>();
  for (const n of nodes) {
    waiting.set(n.id, n.deps.length);
    for (const d of n.deps) {
      const list = dependents.get(d);
      if (list) list.push(n);
      else dependents.set(d, [n]);
    }
  }
  // Ready nodes, kept in input order: the earliest node in the input goes first (stable,
  // deterministic). With a bound, a cluster that started goes on before the next one starts,
  // as the steps of the input's first clusters come first.
  const order = new Map(nodes.map((n, i) => [n.id, i]));
  const ready: N[] = nodes.filter((n) => n.deps.length === 0);
  const enqueue = (node: N): void => {
    const at = order.get(node.id) ?? 0;
    let lo = 0;
    let hi = ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((order.get((ready[mid] as N).id) ?? 0) < at) lo = mid + 1;
      else hi = mid;
    }
    ready.splice(lo, 0, node);
  };
  const running = new Map<string, number>();
  let inFlight = 0;
  let stopped = false;

  const block = (node: N): void => {
    for (const dep of dependents.get(node.id) ?? []) {
      if (results.get(dep.id) === 'not-started') {
        results.set(dep.id, 'blocked');
        block(dep);
      }
    }
  };

  return new Promise((resolve) => {
    const pump = (): void => {
      if (options.signal?.aborted) stopped = true;
      if (!stopped) {
        for (let i = 0; i < ready.length; ) {
          const node = ready[i] as N;
          const limit = options.concurrency?.[node.kind] ?? Infinity;
          if ((running.get(node.kind) ?? 0) >= limit) {
            i++;
            continue;
          }
          ready.splice(i, 1);
          if (results.get(node.id) !== 'not-started') continue;
          start(node);
        }
      }
      if (inFlight === 0) resolve(results);
    };

    const start = (node: N): void => {
      inFlight++;
      running.set(node.kind, (running.get(node.kind) ?? 0) + 1);
      options
        .execute(node)
        .catch((): NodeOutcome => 'failed')
        .then((outcome) => {
          inFlight--;
          running.set(node.kind, (running.get(node.kind) ?? 1) - 1);
          results.set(node.id, outcome);
          if (outcome === 'succeeded' || outcome === 'skipped') {
            for (const dep of dependents.get(node.id) ?? []) {
              const left = (waiting.get(dep.id) ?? 1) - 1;
              waiting.set(dep.id, left);
              if (left === 0) enqueue(dep);
            }
          } else {
            block(node);
            if (outcome === 'interrupted' || options.failFast) stopped = true;
          }
          pump();
        });
    };

    pump();
  });
}
