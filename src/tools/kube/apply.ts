/**
 * Server-side apply of plain manifests (monitoring-satellite as a directory of
 * YAML, the Jaeger resource). CRDs go first and we wait until the API server
 * reports them Established before applying objects of their kinds; otherwise
 * the first apply of a fresh cluster fails with "no matches for kind".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { kubeModule } from './kube-module.js';
import { parseAllDocuments } from 'yaml';
import { WsdError } from '../../core/errors.js';
import { runningClock } from '../../core/job-pause.js';
import { sleep } from '../../core/sleep.js';
import { httpStatus, kubeError, withDeadline } from './kube-config.js';

/** Field manager name in `managedFields`, so users see who owns the fields. */
export const FIELD_MANAGER = 'ws-deployment';

/** Parses multi-document YAML (or JSON) into objects; `List` kinds are flattened. */
export function parseManifests(text: string, source: string): KubernetesObject[] {
  const out: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new WsdError('ConfigInvalid', `manifest ${source} is not valid YAML: ${doc.errors[0]?.message.split('\n')[0]}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    const obj = value as KubernetesObject & { items?: KubernetesObject[] };
    if (typeof obj !== 'object' || !obj.kind || !obj.apiVersion) {
      throw new WsdError('ConfigInvalid', `manifest ${source} holds a document without apiVersion/kind; every document must be a Kubernetes object`);
    }
    if (obj.kind.endsWith('List') && Array.isArray(obj.items)) out.push(...obj.items);
    else out.push(obj);
  }
  return out;
}

/** Reads every `*.yaml`, `*.yml` and `*.json` file of a directory, in file-name order. */
export function readManifestDir(dir: string): KubernetesObject[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  } catch (error) {
    throw new WsdError('ConfigInvalid', `manifest directory ${dir} cannot be read (${(error as NodeJS.ErrnoException).code}); fix monitoring.manifests.directory`, { cause: error });
  }
  if (files.length === 0) throw new WsdError('ConfigInvalid', `manifest directory ${dir} has no .yaml, .yml or .json files`);
  return files.flatMap((f) => parseManifests(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
}

const isCrd = (o: KubernetesObject): boolean => o.kind === 'CustomResourceDefinition' && (o.apiVersion ?? '').startsWith('apiextensions.k8s.io/');

/** Splits objects into CRDs (applied first) and the rest (namespaces first, otherwise file order). */
function orderForApply(objects: readonly KubernetesObject[]): { crds: KubernetesObject[]; rest: KubernetesObject[] } {
  const crds = objects.filter(isCrd);
  const others = objects.filter((o) => !isCrd(o));
  const rest = [...others.filter((o) => o.kind === 'Namespace'), ...others.filter((o) => o.kind !== 'Namespace')];
  return { crds, rest };
}

/** "Deployment monitoring-satellite/prometheus". */
export function objectLabel(o: KubernetesObject): string {
  const ns = o.metadata?.namespace ? `${o.metadata.namespace}/` : '';
  return `${o.kind} ${ns}${o.metadata?.name ?? '?'}`;
}

const CALL_MS = 60_000;

/** Server-side applies each object in order (force: we own these fields). Returns the labels applied. */
export async function serverSideApply(kc: KubeConfig, objects: readonly KubernetesObject[], defaultNamespace?: string): Promise<string[]> {
  const { KubernetesObjectApi, PatchStrategy } = await kubeModule();
  const client = KubernetesObjectApi.makeApiClient(kc);
  const applied: string[] = [];
  for (const original of objects) {
    // The client mutates metadata (default namespace); keep the caller's object intact.
    const obj = structuredClone(original);
    if (defaultNamespace && !obj.metadata?.namespace && obj.kind !== 'Namespace' && !isCrd(obj)) {
      obj.metadata = { ...obj.metadata, namespace: defaultNamespace };
    }
    const label = objectLabel(obj);
    try {
      await withDeadline(client.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply), CALL_MS, `applying ${label}`);
    } catch (error) {
      throw kubeError(error, `server-side apply of ${label}`);
    }
    applied.push(label);
  }
  return applied;
}

/** Waits until every named CRD has condition Established=True. */
export async function waitForCrdsEstablished(
  kc: KubeConfig,
  names: readonly string[],
  options: { timeoutMs: number; pollMs: number; signal?: AbortSignal },
): Promise<void> {
  const api = kc.makeApiClient((await kubeModule()).ApiextensionsV1Api);
  // Running time: a Ctrl-Z longer than the timeout must not fail the wait at `fg` after one more look.
  const clock = runningClock();
  const deadline = clock() + options.timeoutMs;
  let pending = [...names];
  let lastState = new Map<string, string>();
  while (pending.length > 0) {
    const still: string[] = [];
    lastState = new Map();
    for (const name of pending) {
      try {
        const crd = await withDeadline(api.readCustomResourceDefinition({ name }), CALL_MS, `reading CRD ${name}`);
        const established = crd.status?.conditions?.find((c) => c.type === 'Established');
        if (established?.status !== 'True') {
          still.push(name);
          lastState.set(name, established ? `Established=${established.status}${established.reason ? ` (${established.reason})` : ''}` : 'no Established condition yet');
        }
      } catch (error) {
        if (httpStatus(error) !== 404) {
          const wrapped = kubeError(error, `reading CRD ${name}`);
          if (!wrapped.transient) throw wrapped;
        }
        still.push(name);
        lastState.set(name, httpStatus(error) === 404 ? 'not found' : 'API server unreachable');
      }
    }
    pending = still;
    if (pending.length === 0) return;
    if (clock() + options.pollMs > deadline) break;
    await sleep(options.pollMs, options.signal);
  }
  const detail = pending.map((n) => `${n}: ${lastState.get(n) ?? 'unknown'}`).join('; ');
  throw new WsdError('KubernetesError', `CRDs not established within ${Math.round(options.timeoutMs / 1000)} s: ${detail}`, {
    transient: true,
    details: { pending },
  });
}

/** Applies manifests the safe way: CRDs, wait for Established, then everything else. */
export async function applyManifests(
  kc: KubeConfig,
  objects: readonly KubernetesObject[],
  options: { defaultNamespace?: string; timeoutMs: number; pollMs: number; signal?: AbortSignal },
): Promise<string[]> {
  const { crds, rest } = orderForApply(objects);
  const applied = await serverSideApply(kc, crds);
  if (crds.length > 0) await waitForCrdsEstablished(kc, crds.map((c) => c.metadata?.name ?? ''), options);
  applied.push(...(await serverSideApply(kc, rest, options.defaultNamespace)));
  return applied;
}
