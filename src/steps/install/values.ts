/**
 * Helm values the way helm merges them: values files in order (maps merge
 * deeply, later wins; lists and scalars are replaced), then `--set` pairs.
 * The merged result is hashed into the values digest that decides whether a
 * deployed release is already up to date.
 */
import { createHash, createHmac } from 'node:crypto';
import { deepFreeze } from '../../core/deep-freeze.js';
import { isValuesMap as isMap, readValuesFileShared, type Values } from '../../config/files/values-file.js';

/** Deep merge with helm's rules: maps merge, everything else is replaced; `null` deletes a key. */
export function mergeValues(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    if (value === null) delete out[key];
    else if (isMap(current) && isMap(value)) out[key] = mergeValues(current, value);
    else out[key] = value;
  }
  return out;
}

/** Applies `--set`-style dotted keys (keys are validated against SET_KEY by the schema). */
export function applySet(values: Values, set: Readonly<Record<string, string | number | boolean>>): Values {
  let out = values;
  for (const key of Object.keys(set).sort()) {
    const path = key.split('.');
    let patch: unknown = set[key];
    for (let i = path.length - 1; i >= 0; i--) patch = { [path[i] as string]: patch };
    out = mergeValues(out, patch as Values);
  }
  return out;
}

/** JSON with sorted keys, so equal values always hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isMap(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * How a digest was made: `sha256` for values without secrets (the same in every state dir),
 * `hmac-sha256` keyed with the state dir's key (values-digest-key.ts) when they hold secret `set`
 * values, `unkeyed` when they do and there is no key yet (plan before the first deploy): no digest.
 */
export type DigestKind = 'sha256' | 'hmac-sha256' | 'unkeyed';

/** The digest (hex; '' when unkeyed) of the canonical merged values: see {@link DigestKind}. */
export function valuesDigest(values: Values, secret: boolean, key?: Buffer): { digest: string; kind: DigestKind } {
  const text = canonicalJson(values);
  if (!secret) return { digest: createHash('sha256').update(text).digest('hex'), kind: 'sha256' };
  if (!key) return { digest: '', kind: 'unkeyed' };
  return { digest: createHmac('sha256', key).update(text).digest('hex'), kind: 'hmac-sha256' };
}

/**
 * Merges of files read from disk, by their list, each with the (frozen, cached) values it
 * was merged from: `plan` of 500 clusters merges the same global values files 1,500 times.
 * A file whose text changed comes back as another object, so the entry no longer matches.
 */
const merges = new Map<string, { sources: ReadonlyArray<Readonly<Values>>; merged: Values }>();

function mergeFromDisk(files: readonly string[]): Values {
  const sources = files.map(readValuesFileShared);
  const key = files.join('\0');
  const known = merges.get(key);
  if (known && known.sources.every((source, i) => source === sources[i])) return known.merged;
  let merged: Values = {};
  for (const source of sources) merged = mergeValues(merged, source);
  // Shared by every caller from now on: frozen so that no caller can change another's values.
  deepFreeze(merged);
  merges.set(key, { sources, merged });
  return merged;
}

/**
 * Merges files (read in order; `inline` supplies files not written yet) plus set overrides.
 * The result may share (frozen) parts with other results: treat it as read-only.
 */
export function mergeValuesFiles(
  files: readonly string[],
  set: Readonly<Record<string, string | number | boolean>>,
  inline: ReadonlyMap<string, Values> = new Map(),
): Values {
  const fromDisk = files.findIndex((file) => inline.has(file));
  const head = fromDisk === -1 ? files : files.slice(0, fromDisk);
  let merged = mergeFromDisk(head);
  for (const file of files.slice(head.length)) merged = mergeValues(merged, inline.get(file) ?? readValuesFileShared(file));
  return applySet(merged, set);
}

const DESCRIPTION_PREFIX = 'ws-deployment values-';

/** The release description that records the digest and its kind (`helm upgrade --description`). */
export function releaseDescription(digest: string, kind: DigestKind): string {
  return `${DESCRIPTION_PREFIX}${kind}=${digest}`;
}

/**
 * The digest recorded in a release description, if we wrote it, as `<kind>=<hex>`: a plain and a
 * keyed digest of the same values never compare equal (a release deployed before its values held
 * secrets, or by a version without keyed digests, is upgraded once).
 */
export function digestFromDescription(description: string | undefined): string | undefined {
  const match = /^ws-deployment values-(sha256|hmac-sha256)=([0-9a-f]{64})\s*$/.exec(description ?? '');
  return match ? `${match[1]}=${match[2]}` : undefined;
}
