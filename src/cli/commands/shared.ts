/** Plumbing shared by the commands that run deployments. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LoadedConfig } from '../../config/load.js';
import { ExitCode } from '../../core/errors.js';
import type { EngineOptions } from '../../engine/deployment.js';
import type { Snapshot } from '../../state/model.js';
import type { GlobalOptions } from '../options.js';
import { canAsk } from '../render/question-terminal.js';

export function engineOptions(options: GlobalOptions, extra: Partial<EngineOptions> = {}): EngineOptions {
  return {
    dryRun: options.dryRun,
    overwrite: options.overwrite,
    yes: options.yes,
    verbose: options.verbose,
    concurrency: options.concurrency,
    failFast: options.failFast,
    only: options.only,
    skip: options.skip,
    clusterId: options.clusterId,
    // As the gates decide it (engine-deps.ts nonInteractive): recorded in the lock for `shift pause` to say.
    unattended: !canAsk(),
    ...extra,
  };
}

/** Exit code of a finished deployment: 0 (also partial: nothing failed), 1 failed, 3 refused by a pre-run check, 130 interrupted. */
export function exitCodeOf(snap: Snapshot): number {
  if (snap.state === 'succeeded' || snap.state === 'partial') return ExitCode.Success;
  if (snap.state === 'interrupted') return ExitCode.Interrupted;
  return snap.error?.code === 'PreCheckRefused' ? ExitCode.Refused : ExitCode.DeploymentFailed;
}

/**
 * The versions manifest's content folded into the inputs hash: a changed manifest
 * is a changed input even when the config is not. (`--versions-manifest` itself is
 * checked and put in place of `gitpod.versionsManifest` by loadConfig.)
 */
export function applyCliOverrides(loaded: LoadedConfig, options: GlobalOptions): LoadedConfig {
  // loadConfig already checked the --versions-manifest file and put it in place of gitpod.versionsManifest.
  const manifest = options.versionsManifest ? resolve(options.versionsManifest) : loaded.config.gitpod?.versionsManifest;
  if (!manifest) return loaded;
  // The manifest pins what gets installed: a changed manifest is a changed deployment input.
  const hash = createHash('sha256').update(loaded.hash).update(readFileSync(manifest)).digest('hex');
  return { ...loaded, hash };
}
