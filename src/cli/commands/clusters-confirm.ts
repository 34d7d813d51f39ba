/**
 * The `clusters` changes confirmed by a person before they are sent: each breaks something the bridge will not undo
 * (running sessions, a state only a newer bridge understands). One rule for all: `--yes` (the root's global flag or
 * the command's own), else the cluster's name typed at a terminal; with nobody to ask (no terminal, CI) the command
 * is refused with what to pass. A name that does not match, Ctrl-C or Ctrl-D confirm nothing.
 */
import { WsdError } from '../../core/errors.js';
import { unknownDeregisterRefusal, unknownDeregisterWhy } from '../../registry/format.js';
import type { ClustersIo } from './clusters-actions.js';

interface Confirmation {
  /** The refusal when nobody can be asked (with what to pass), and its code. */
  code: 'UsageError' | 'RegistryRefused';
  refusal: string;
  /** Why it needs confirming, said above the prompt; the prompt (`Type the cluster name to …`); what was not confirmed. */
  why: string;
  prompt: string;
  what: string;
}

async function confirmByName(yes: boolean, io: ClustersIo, name: string, c: Confirmation): Promise<void> {
  if (yes) return;
  if (!io.interactive()) throw new WsdError(c.code, c.refusal);
  const answer = await io.ask(`${c.why}.\n${c.prompt}: `);
  if (answer?.trim() !== name) throw new WsdError('Interrupted', `${c.what} not confirmed; nothing changed`);
}

/** `deregister --force`: stops the cluster's running workspaces. */
export function confirmForce(yes: boolean, io: ClustersIo, name: string, meta: string): Promise<void> {
  return confirmByName(yes, io, name, {
    code: 'UsageError',
    refusal: `deregister --force of ${name} stops its running workspaces and breaks those sessions; pass --yes to confirm when not on a terminal or under CI`,
    why: `--force deregisters ${name} from ${meta} even while regular workspaces run on it, breaking those sessions`,
    prompt: 'Type the cluster name to confirm',
    what: `deregistration of ${name}`,
  });
}

/**
 * Deregister of a cluster in a state this tool cannot read (a newer bridge's; `seen` says what was seen, as every
 * reader says it: `UNKNOWN(7)`): not on the bridge's word alone, that state may mean something deregistering breaks.
 */
export function confirmDeregisterUnknown(yes: boolean, io: ClustersIo, name: string, seen: string): Promise<void> {
  // The same words as the register step's --overwrite, which deregisters such a cluster too.
  return confirmByName(yes, io, name, {
    code: 'RegistryRefused',
    refusal: unknownDeregisterRefusal(seen),
    why: unknownDeregisterWhy(seen),
    prompt: 'Type the cluster name to deregister it anyway',
    what: `deregistration of ${name}`,
  });
}

/** Uncordon of such a cluster (`seen` says what was seen): it replaces that state for good and sends it new workspaces. */
export function confirmUncordonUnknown(yes: boolean, io: ClustersIo, name: string, seen: string): Promise<void> {
  const why = `${seen}: uncordoning replaces that state with AVAILABLE, which nothing sets back, and sends it new workspaces, so this tool cannot tell whether that is safe`;
  return confirmByName(yes, io, name, {
    code: 'RegistryRefused',
    refusal: `${why}; check the cluster with the bridge that set the state (or upgrade ws-deployment), then pass --yes to uncordon it anyway`,
    why,
    prompt: 'Type the cluster name to uncordon it anyway',
    what: `uncordon of ${name}`,
  });
}
