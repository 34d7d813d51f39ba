/** Where a standalone `retire --cluster NAME` keeps its progress (also what tells others the cluster is being retired). */
import { join } from 'node:path';

export function progressFile(root: string, name: string): string {
  return join(root, 'retire', `${name}.json`);
}
