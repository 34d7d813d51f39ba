/**
 * The hooks of a chart as helm will install them, read from `helm template` before an
 * upgrade --install: the backstop (helm-deadline.ts) gives each hook run its own waits,
 * and neither a first install (no stored release) nor an upgrade to a chart version that
 * adds hooks (the stored release holds the old chart's) can count them elsewhere. The rule is helm's own
 * (pkg/releaseutil/manifest_sorter.go in release-3.18, pkg/release/v1/util in release-4.1):
 * a rendered object is a hook when it has the `helm.sh/hook` annotation, whose
 * comma-separated events are trimmed and lower-cased; one unknown event and helm skips
 * the whole object (neither hook nor resource). `test-success` is helm 2's `test`.
 */
import { parseAllDocuments } from 'yaml';
import type { HookList } from './helm-deadline.js';

const HOOK_ANNOTATION = 'helm.sh/hook';

const EVENTS: Record<string, string> = {
  'pre-install': 'pre-install',
  'post-install': 'post-install',
  'pre-delete': 'pre-delete',
  'post-delete': 'post-delete',
  'pre-upgrade': 'pre-upgrade',
  'post-upgrade': 'post-upgrade',
  'pre-rollback': 'pre-rollback',
  'post-rollback': 'post-rollback',
  test: 'test',
  'test-success': 'test',
};

/** The events of one hook annotation as helm parses it; undefined when helm skips the object. */
function hookEvents(annotation: string): string[] | undefined {
  const events: string[] = [];
  for (const part of annotation.split(',')) {
    const event = EVENTS[part.trim().toLowerCase()];
    if (event === undefined) return undefined;
    events.push(event);
  }
  return events;
}

/** The hooks of a rendered chart (`helm template` output), in the shape helm stores them in a release. */
export function renderedHooks(manifest: string): NonNullable<HookList> {
  const hooks: Array<{ events: string[] }> = [];
  for (const doc of parseAllDocuments(manifest)) {
    // A document helm could not sort is no hook either; helm itself fails on it in the upgrade.
    if (doc.errors.length > 0) continue;
    const value = doc.toJS() as { metadata?: { annotations?: Record<string, unknown> } } | null;
    const annotation = value?.metadata?.annotations?.[HOOK_ANNOTATION];
    if (typeof annotation !== 'string') continue;
    const events = hookEvents(annotation);
    if (events) hooks.push({ events });
  }
  return { hooks };
}
