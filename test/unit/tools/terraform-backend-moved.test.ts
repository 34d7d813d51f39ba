/**
 * A Terraform working dir copied or moved with its state dir: its `.terraform`
 * still names the old dir's local state file while the regenerated
 * `backend.tf.json` names the one in use; `init` must then reconfigure (and
 * never migrate from, or read, the old dir's state).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localBackendMoved } from '../../../src/tools/terraform/terraform.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function workDir(generated: unknown, saved?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-tf-moved-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'backend.tf.json'), JSON.stringify(generated));
  if (saved !== undefined) {
    mkdirSync(join(dir, '.terraform'));
    writeFileSync(join(dir, '.terraform', 'terraform.tfstate'), typeof saved === 'string' ? saved : JSON.stringify(saved));
  }
  return dir;
}
const local = (path: string) => ({ terraform: { backend: { local: { path } } } });
const savedLocal = (path: string) => ({ version: 3, backend: { type: 'local', config: { path, workspace_dir: null } } });

describe('localBackendMoved', () => {
  it('is true when the saved local backend names another state file than the generated one', () => {
    expect(localBackendMoved(workDir(local('/copy/terraform-state/a.tfstate'), savedLocal('/orig/terraform-state/a.tfstate')))).toBe(true);
  });

  it('is false when they agree, before the first init, and for a saved state it cannot read', () => {
    expect(localBackendMoved(workDir(local('/s/terraform-state/a.tfstate'), savedLocal('/s/terraform-state/a.tfstate')))).toBe(false);
    expect(localBackendMoved(workDir(local('/s/terraform-state/a.tfstate')))).toBe(false);
    expect(localBackendMoved(workDir(local('/s/terraform-state/a.tfstate'), '{torn'))).toBe(false);
  });

  it('is false for other backends (a gcs prefix does not move with the state dir)', () => {
    expect(localBackendMoved(workDir({ terraform: { backend: { gcs: { bucket: 'b', prefix: 'p' } } } }, { version: 3, backend: { type: 'gcs', config: { bucket: 'b', prefix: 'p' } } }))).toBe(false);
  });
});
