/**
 * A cluster in a ClusterState this tool's proto has no name for (a newer ws-manager-bridge's): List gives it as
 * `UNKNOWN` with the number kept (`unknownState`). Such a state is never taken as safe: not as capacity that lets
 * an old generation retire, not as a cluster to shift traffic onto or from, and never overwritten without the
 * operator's word (a cordon or uncordon replaces it, and no Update can set it back). One wording for every reader:
 * what was seen (`UNKNOWN(7)`, as `clusters list` shows it), what it would have cost, and what to do.
 */
import { stateText, unknownStateSeen as seenInRegistry } from '../registry/format.js';
import type { RegistryCluster } from './shift-ports.js';

type StateOf = Pick<RegistryCluster, 'name' | 'state' | 'unknownState'>;

/** True for a state this tool cannot read: a number our proto does not name, or UNKNOWN (0) itself. */
export function hasUnknownState(c: Pick<RegistryCluster, 'state'>): boolean {
  return c.state === 'UNKNOWN';
}

/** `UNKNOWN(7)`, or the state's name: {@link stateText}, for the port's view of a cluster. */
export function describeState(c: Pick<RegistryCluster, 'state' | 'unknownState'>): string {
  return stateText(c);
}

/**
 * `eu2 is in state UNKNOWN(7) on meta-eu, a state this ws-deployment does not know (a newer ws-manager-bridge?)`:
 * what we saw, for a refusal or a warning to go on with what it would have cost.
 */
export function unknownStateSeen(c: StateOf, meta: string): string {
  return seenInRegistry(c, meta);
}

/** What an operator can do about it: read the state with a tool that knows it, or set one this tool knows. */
export function unknownStateRemedy(name: string, meta: string): string {
  return `upgrade ws-deployment to one that knows this state, or set the state yourself with gpctl against ${meta} (\`gpctl clusters cordon --name ${name}\`, or \`uncordon\`) and re-run`;
}

/** The whole sentence: what we saw, what acting on it would do (`consequence`), what to do. */
export function unknownStateProblem(c: StateOf, meta: string, consequence: string): string {
  return `${unknownStateSeen(c, meta)}: ${consequence}; ${unknownStateRemedy(c.name, meta)}`;
}

/**
 * A cluster's state as a journal saved it, read as this version reads a List: before a7bc1c2 a state the proto does
 * not name was saved as its bare number (`7`), and until 2a1b223 as `UNKNOWN` without it (the number is lost; it stays
 * UNKNOWN, which every reader here takes alike). A resumed shift of such a journal must see `UNKNOWN(7)`.
 */
export function savedState<C extends StateOf>(c: C): C {
  const state: unknown = c.state;
  return typeof state === 'number' ? { ...c, state: 'UNKNOWN', unknownState: state } : c;
}
