/**
 * Helm values the way helm merges them: values files in order (maps merge
 * deeply, later wins; lists and scalars are replaced), then `--set` pairs.
 * The merged result is hashed into the values digest that decides whether a
 * deployed release is already up to date.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { WsdError } from '../../core/errors.js';

export type Values = Record<string, unknown>;

function isMap(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads one values file; a missing or malformed file is a user error naming the file.
 * Synchronous on purpose: `describe` (plan) is synchronous and shows the digest too.
 */
export function readValuesFile(file: string, what = 'values file'): Values {
  // The same files serve every cluster of a deployment: parse each once per content.
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
    const cached = parsedCache.get(file);
    if (cached?.text === text) return structuredClone(cached.values);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new WsdError('ConfigInvalid', `${what} ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}; fix the path in the config`, {
      details: { file },
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    throw new WsdError('ConfigInvalid', `${what} ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      details: { file },
      cause: error,
    });
  }
  if (parsed === null || parsed === undefined) parsed = {};
  if (!isMap(parsed)) throw new WsdError('ConfigInvalid', `${what} ${file} must hold a YAML mapping at the top level`, { details: { file } });
  parsedCache.set(file, { text, values: structuredClone(parsed) });
  return parsed;
}

/** Parsed values files keyed by path, valid while the file's text is unchanged. */
const parsedCache = new Map<string, { text: string; values: Values }>();

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

/** sha256 (hex) of the canonical merged values. */
export function valuesDigest(values: Values): string {
  return createHash('sha256').update(canonicalJson(values)).digest('hex');
}

/** Merges files (read in order; `inline` supplies files not written yet) plus set overrides. */
export function mergeValuesFiles(
  files: readonly string[],
  set: Readonly<Record<string, string | number | boolean>>,
  inline: ReadonlyMap<string, Values> = new Map(),
): Values {
  let merged: Values = {};
  for (const file of files) merged = mergeValues(merged, inline.get(file) ?? readValuesFile(file));
  return applySet(merged, set);
}

const DESCRIPTION_PREFIX = 'ws-deployment values-sha256=';

/** The release description that records the digest (`helm upgrade --description`). */
export function releaseDescription(digest: string): string {
  return `${DESCRIPTION_PREFIX}${digest}`;
}

/** The digest recorded in a release description, if we wrote it. */
export function digestFromDescription(description: string | undefined): string | undefined {
  if (!description?.startsWith(DESCRIPTION_PREFIX)) return undefined;
  const digest = description.slice(DESCRIPTION_PREFIX.length).trim();
  return /^[0-9a-f]{64}$/.test(digest) ? digest : undefined;
}
