/**
 * Which release waits for which: the helm releases of a cluster install
 * concurrently (one layer of the cluster's step graph) unless the config
 * declares `dependsOn` between them. Names are config section names, the
 * words a user writes: `jaeger: { dependsOn: [gitpod] }`.
 */
import type { DeployConfigView, StepName } from '../step.js';

/** Release sections and the step that installs each. */
export const RELEASE_STEPS = {
  gitpod: 'install-gitpod',
  jaeger: 'install-jaeger',
  monitoring: 'install-monitoring',
} as const satisfies Record<string, StepName>;

export type ReleaseSection = keyof typeof RELEASE_STEPS;

/** The layer name the install steps share. */
export const RELEASES_LAYER = 'releases';

export function isReleaseSection(name: string): name is ReleaseSection {
  return Object.hasOwn(RELEASE_STEPS, name);
}

/** The declared `dependsOn` of one section, as written (the raw or validated config). */
export function declaredDependsOn(config: unknown, section: ReleaseSection): unknown[] {
  const raw = (config as Record<string, unknown> | undefined)?.[section];
  const list = typeof raw === 'object' && raw !== null ? (raw as { dependsOn?: unknown }).dependsOn : undefined;
  return Array.isArray(list) ? list : [];
}

/** The install steps `section`'s step waits for (known names only: the config rule reports the rest). */
export function releaseDependsOn(config: DeployConfigView, section: ReleaseSection): StepName[] {
  const names = declaredDependsOn(config, section).filter((n): n is ReleaseSection => typeof n === 'string' && isReleaseSection(n));
  return [...new Set(names)].map((n) => RELEASE_STEPS[n]);
}
