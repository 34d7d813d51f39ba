/**
 * Rendering of List results for people (a table like gpctl's) and machines
 * (stable JSON). Pure: the CLI decides where the text goes.
 */
import { formatConstraint } from './constraints.js';
import type { ClusterStatus } from './types.js';

const COLUMNS = ['NAME', 'URL', 'REGION', 'STATIC', 'STATE', 'SCORE', 'MAX SCORE', 'GOVERNED', 'CONSTRAINTS'] as const;

function row(c: ClusterStatus): string[] {
  return [
    c.name,
    c.url,
    // "" = any region (and what bridges before 2023-02 answer).
    c.region || '-',
    String(c.static),
    stateText(c),
    String(c.score),
    String(c.maxScore),
    String(c.governed),
    constraintsText(c).join(',') || '-',
  ];
}

/** The state as people and scripts see it: its name, or `UNKNOWN(7)` for a state this tool has no name for. */
export function stateText(c: Pick<ClusterStatus, 'state' | 'unknownState'>): string {
  return c.unknownState === undefined ? c.state : `UNKNOWN(${c.unknownState})`;
}

/** The state in a sentence: an unknown one says so. */
export function stateWords(c: Pick<ClusterStatus, 'state' | 'unknownState'>): string {
  return c.unknownState === undefined ? c.state : `${stateText(c)} (a state this ws-deployment does not know)`;
}

/**
 * `eu2 is in state UNKNOWN(7) on meta-eu, a state this ws-deployment does not know (a newer ws-manager-bridge?)`: what
 * was seen, in the words every reader uses (list, cordon, uncordon, deregister, shift, retire).
 */
export function unknownStateSeen(c: Pick<ClusterStatus, 'name' | 'state' | 'unknownState'>, meta: string): string {
  return `${c.name} is in state ${stateText(c)} on ${meta}, a state this ws-deployment does not know (a newer ws-manager-bridge?)`;
}

/**
 * Why a deregistration of such a cluster (`seen` from {@link unknownStateSeen}) is not done on the bridge's word alone:
 * the words of `clusters deregister` and of the register step's --overwrite, which deregisters too.
 */
export function unknownDeregisterWhy(seen: string): string {
  return `${seen}, so it cannot tell whether deregistering it is safe`;
}

/** {@link unknownDeregisterWhy} with the fix, for when nobody can be asked. */
export function unknownDeregisterRefusal(seen: string): string {
  return `${unknownDeregisterWhy(seen)}; check the cluster with the bridge that set it, then pass --yes to deregister it anyway`;
}

/**
 * What a registration replaces when --overwrite deregisters `c` for it (`eu17: url …, state AVAILABLE, score 80,
 * max score 100, constraints -, its TLS material`): none of it comes back with the new entry.
 */
export function replacedEntryText(c: ClusterStatus): string {
  return `${c.name} (url ${c.url}, state ${stateText(c)}, score ${c.score}, max score ${c.maxScore}, constraints ${constraintsText(c).join(',') || '-'}, and its TLS material)`;
}

/**
 * One warning per cluster in a state this tool cannot read (a number our proto does not name, or UNKNOWN itself),
 * saying what each command does with it (what `clusters list` prints on stderr, as kubectl warns beside its output).
 * Keep it true: the shift's snapshot and retireCluster refuse such a cluster before any change, the retire guard and
 * the scores do not count it, swap refuses it, uncordon and deregister confirm it (clusters-confirm.ts), the register
 * step's --overwrite refuses to deregister it (register-cluster.ts), cordon does not.
 */
export function unknownStateWarnings(clusters: readonly ClusterStatus[], meta: string): string[] {
  return clusters
    .filter((c) => c.state === 'UNKNOWN')
    .map(
      (c) =>
        `${unknownStateSeen(c, meta)}: not counted as taking new workspaces; a traffic shift onto or from it, its retirement and a swap are ` +
        'refused before any change; uncordon and deregister need its name typed or --yes; deploy --overwrite does not replace it (deregister ' +
          'it by name first); cordon goes through and replaces the state',
    );
}

/**
 * `meta-eu lists eu2 2 times (url dns:///a, static; url dns:///b)`, one per name List gives more than once. No bridge
 * does: its database keys clusters by name, and it lists a static (config) cluster only under a name the database
 * does not have (gitpod-io/gitpod cluster-service-server.ts, read for facts); a name twice in its static config, or
 * something else answering at the address, does.
 */
export function duplicateNames(clusters: readonly ClusterStatus[], meta: string): string[] {
  const byName = new Map<string, ClusterStatus[]>();
  for (const c of clusters) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  return [...byName]
    .filter(([, entries]) => entries.length > 1)
    .map(([name, entries]) => `${meta} lists ${name} ${entries.length} times (${entries.map((c) => `url ${c.url}${c.static ? ', static' : ''}`).join('; ')})`);
}

/** Why a List with a name twice is not acted on. */
export const DUPLICATE_NAME_WHY =
  'an answer no ws-manager-bridge gives, so ws-deployment cannot tell which entry a change by that name reaches, or which one a check reads';

/** What to look at. */
export function duplicateNameFix(address: string, meta: string): string {
  return `Check the bridge's static cluster config for a name given twice, and that ${address} is the ws-manager-bridge of ${meta}; \`clusters list\` shows every entry`;
}

/** Known constraints in their `has-permission=…` form, then one `unknown` per constraint of a kind we cannot read. */
export function constraintsText(c: ClusterStatus): string[] {
  return [...c.admissionConstraints.map(formatConstraint), ...Array.from({ length: c.unknownConstraints ?? 0 }, () => UNKNOWN_CONSTRAINT)];
}

/** How a constraint of a kind this tool does not know (a legacy or newer bridge's) is shown. */
export const UNKNOWN_CONSTRAINT = 'unknown';

/** Left-aligned columns separated by three spaces; ends with a newline. */
export function clustersTable(clusters: readonly ClusterStatus[]): string {
  const rows = [COLUMNS.slice() as string[], ...clusters.map(row)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('   ')).join('\n') + '\n';
}

/** JSON with constraints in their `has-permission=…` form, for scripts. */
export function clustersJson(clusters: readonly ClusterStatus[]): string {
  return (
    JSON.stringify(
      clusters.map((c) => {
        const { unknownConstraints: _counted, unknownState: _number, ...rest } = c;
        return { ...rest, state: stateText(c), admissionConstraints: constraintsText(c) };
      }),
      null,
      2,
    ) + '\n'
  );
}
