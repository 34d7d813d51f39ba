/**
 * `clusters swap A B`, as gpctl does it: A takes B's state and score, B takes
 * A's. Only for two governed, non-static clusters without admission
 * constraints (unless told to ignore them: a constrained cluster serves a
 * different set of users, so swapping its score moves traffic between sets).
 *
 * NOT atomic: the bridge has no transaction, so this is four Updates in a row
 * (A score, A cordon state, B score, B cordon state). A failure part-way leaves
 * a half-swapped pair; the error names the Updates that went through so the
 * operator can finish or undo them by hand.
 */
import { WsdError, toWsdError } from '../core/errors.js';
import type { RegistryClient } from './client.js';
import { stateWords } from './format.js';
import type { ClusterStatus, UpdateProperty } from './types.js';
import { describeUpdate } from './wire.js';

interface SwapResult {
  a: { name: string; score: number; state: string };
  b: { name: string; score: number; state: string };
}

type Lister = Pick<RegistryClient, 'list' | 'update' | 'meta'>;

/** Why `c` cannot take part in a swap, or undefined. */
function swapProblem(c: ClusterStatus, ignoreConstraints: boolean): string | undefined {
  if (c.static) return `${c.name} is static (defined in the bridge's config), so the registry cannot change it`;
  if (!c.governed) return `${c.name} is not governed by this meta cluster`;
  if (c.state !== 'AVAILABLE' && c.state !== 'CORDONED') return `${c.name} is ${stateWords(c)}; only AVAILABLE and CORDONED clusters can swap`;
  // Constraints of a kind we cannot read (a legacy has_more_resources) are constraints all the same.
  if (!ignoreConstraints && c.admissionConstraints.length + (c.unknownConstraints ?? 0) > 0) {
    return `${c.name} has admission constraints, so it serves other users than a plain cluster; pass --ignore-admission-constraints to swap anyway`;
  }
  return undefined;
}

export async function swapClusters(client: Lister, nameA: string, nameB: string, options: { ignoreAdmissionConstraints?: boolean } = {}): Promise<SwapResult> {
  if (nameA === nameB) throw new WsdError('UsageError', `swap needs two different clusters, got ${nameA} twice`);
  const list = await client.list();
  const find = (name: string) => {
    const c = list.find((x) => x.name === name);
    if (!c) throw new WsdError('RegistryNotFound', `cluster ${name} is not registered with ${client.meta}; nothing was changed`, { details: { cluster: name, meta: client.meta } });
    return c;
  };
  const a = find(nameA);
  const b = find(nameB);
  const problems = [a, b].map((c) => swapProblem(c, options.ignoreAdmissionConstraints === true)).filter((p): p is string => p !== undefined);
  if (problems.length > 0) throw new WsdError('RegistryRefused', `cannot swap ${nameA} and ${nameB}: ${problems.join('; ')}; nothing was changed`);

  const steps: Array<[string, UpdateProperty]> = [
    [a.name, { score: b.score }],
    [a.name, { cordoned: b.state === 'CORDONED' }],
    [b.name, { score: a.score }],
    [b.name, { cordoned: a.state === 'CORDONED' }],
  ];
  const done: string[] = [];
  for (const [name, property] of steps) {
    try {
      await client.update(name, property);
    } catch (raw) {
      const error = toWsdError(raw);
      // An Update taken and not answered (or whose answer was lost) may have been applied: said, not counted out.
      const unsure = error.details['unanswered'] !== undefined || error.details['answerLost'] !== undefined;
      const step = `"${name}: ${describeUpdate(property)}"`;
      const applied =
        (done.length > 0 ? `already applied: ${done.join(', ')}` : unsure ? 'nothing before it was applied' : 'nothing was applied') +
        (unsure ? `, and ${step} itself may have been (its answer never came)` : '');
      throw new WsdError(error.code, `swap of ${nameA} and ${nameB} stopped half-way (it is not atomic) at "${name}: ${describeUpdate(property)}": ${error.message}; ${applied}. Check with \`clusters list\` and finish by hand`, {
        cause: error,
        details: { ...error.details, applied: done },
        transient: error.transient,
      });
    }
    done.push(`${name}: ${describeUpdate(property)}`);
  }
  return { a: { name: a.name, score: b.score, state: b.state }, b: { name: b.name, score: a.score, state: a.state } };
}
