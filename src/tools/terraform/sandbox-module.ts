/**
 * Location of the bundled sandbox cluster module (`terraform/modules/sandbox-cluster`),
 * a provider-free stand-in for a GKE module with the same variable and output
 * contract. Resolved from this file so it works from `src/` (tests, tsx) and from
 * `dist/` (the published package ships `terraform/` next to `dist/`).
 */
import { packageFile } from '../../core/package-files.js';

/** Absolute path of the sandbox module, usable as `moduleSource`. */
export const SANDBOX_MODULE_DIR = packageFile('terraform', 'modules', 'sandbox-cluster');
