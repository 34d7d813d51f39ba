/**
 * Finds how an old cluster was created: the `create-cluster` outputs of the
 * earlier deployment (in the same state store) that made it. Their
 * `moduleInput` regenerates the same root module and backend for destroy.
 */
import type { StateStore } from '../../state/store.js';
import type { RootModuleInput } from '../../tools/terraform/generator.js';

interface CreatedBy {
  deploymentId: string;
  /** Full cluster name as journaled. */
  name: string;
  shortName: string;
  region: string;
  moduleInput?: RootModuleInput;
}

/**
 * Newest deployment first; the first one that journaled a cluster with this short
 * (or full) name and succeeded its create-cluster step wins. Unreadable journals are skipped.
 */
export async function findCreatedBy(store: StateStore, name: string): Promise<CreatedBy | undefined> {
  let fallback: CreatedBy | undefined;
  for (const summary of await store.list()) {
    let snap;
    try {
      snap = (await store.open(summary.id, { readOnly: true })).snapshot();
    } catch {
      continue; // a corrupt or foreign journal must not block retiring
    }
    for (const c of snap.clusters) {
      if (c.shortName !== name && c.name !== name) continue;
      const create = c.steps.find((s) => s.name === 'create-cluster');
      const moduleInput = create?.outputs?.moduleInput as RootModuleInput | undefined;
      const found = { deploymentId: snap.id, name: c.name, shortName: c.shortName, region: c.region, moduleInput };
      if (moduleInput?.backend) return found;
      fallback ??= found;
    }
  }
  return fallback;
}
