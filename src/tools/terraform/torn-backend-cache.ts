/**
 * `.terraform/terraform.tfstate` is `init`'s cache of the backend configuration (not the state: that lives in
 * the backend). A disk that filled up during `init`, or a crash in its write, leaves it empty or cut, and every
 * later `init` then fails with "Failed to load state: invalid syntax: unexpected end of JSON input" (terraform
 * 1.11), which names neither the file nor a fix: a resume after freeing space stayed stuck. The file is only
 * what the generated `backend.tf.json` says, so one that is not JSON goes and `init` writes it again.
 * (A cut `.terraform/modules/modules.json` needs nothing: `init` installs the modules again.)
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Removes `workDir`'s backend cache when it is not a JSON object; returns what was wrong with it, if anything. */
export function dropTornBackendCache(workDir: string): string | undefined {
  const file = join(workDir, '.terraform', 'terraform.tfstate');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined; // not initialised yet (or not readable: init says why)
  }
  let problem: string | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) problem = 'holds no JSON object';
  } catch {
    problem = text.length === 0 ? 'is empty' : `is cut or damaged (${text.length} bytes, not JSON)`;
  }
  if (problem === undefined) return undefined;
  rmSync(file, { force: true });
  return `${file} (terraform init's cache of the backend configuration) ${problem}, as a full disk or a crash during init leaves it; removed, and init writes it again from the generated backend configuration (the state itself is in the backend, untouched)`;
}
