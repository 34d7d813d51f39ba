/**
 * String kinds shared by the config sections. Every field that becomes a name,
 * an argv element or a path is matched against a strict pattern, which also
 * keeps shell metacharacters, whitespace and `..` out; every other string is
 * checked for control characters (which hide text in terminals and logs).
 */
import * as z from 'zod';
import { GKE_NAME_MAX, GKE_NAME_PATTERN, gkeNameProblem } from '../../names/names.js';
import { quote } from '../messages.js';

/** C0/C1 controls, line/paragraph separators and bidi overrides ("trojan source"). */
const CONTROL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
/** Same, but tab, newline and carriage return are fine (multi-line values such as PEM blocks). */
const CONTROL_EXCEPT_WHITESPACE = /(?![\t\n\r])[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Why `value` holds a control character, or undefined when it holds none. */
export function controlCharProblem(value: string, allowWhitespace = false): string | undefined {
  const match = (allowWhitespace ? CONTROL_EXCEPT_WHITESPACE : CONTROL).exec(value);
  if (!match) return undefined;
  const code = (match[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return `contains the control character U+${code} at position ${match.index + 1}; remove it`;
}

/**
 * A string checked by `problem` (which returns why a value is wrong). `hints` go
 * into the JSON Schema (pattern, maxLength …) so editors flag the same mistakes.
 */
export function checkedString(problem: (value: string) => string | undefined, hints: Record<string, unknown> = {}) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const why = problem(value);
      if (why !== undefined) ctx.addIssue({ code: 'custom', message: why, input: value });
    })
    .meta(hints);
}

/**
 * A string that must match `pattern`. The message names the value, what it is not and the rule (`allowed`: `a chart
 * name; use …`), how long it is where that is what is wrong, and a valid `example` to write instead.
 */
export function patternString(pattern: RegExp, allowed: string, example: string, maxLength = 256) {
  return checkedString(
    (value) => {
      if (value.length <= maxLength && pattern.test(value)) return undefined;
      const length = value.length > maxLength ? ` (it is ${value.length} characters long; at most ${maxLength} are allowed)` : '';
      return `${quote(value)} is not ${allowed}${length}; e.g. ${quote(example)}`;
    },
    { pattern: pattern.source, maxLength },
  );
}

/** Free text: non-empty, at most `maxLength` characters, no control characters. */
export function plainText(maxLength = 4096) {
  return checkedString(
    (value) => {
      if (value.length === 0) return 'must not be empty';
      if (value.length > maxLength) return `is ${value.length} characters long; at most ${maxLength} are allowed`;
      return controlCharProblem(value);
    },
    { minLength: 1, maxLength },
  );
}

/** GCP regions: `europe-west1`, `us-central1`, `northamerica-northeast2`. */
export const gcpRegion = () =>
  patternString(/^[a-z]+-[a-z]+[0-9]{1,2}$/, 'a gcp region; use the form <area>-<direction><number>', 'europe-west1', 40);

/** GCP project ids: 6–30 characters, lowercase letters, digits and dashes, starting with a letter. */
export const gcpProjectId = () =>
  patternString(
    /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
    'a gcp project id; use 6–30 lowercase letters, digits and dashes, start with a letter and end with a letter or digit',
    'gitpod-191109',
    30,
  );

/** GCP resource names such as VPC networks (RFC 1035 labels). */
export const gcpResourceName = (what: string) =>
  patternString(
    /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
    `a valid ${what} name; use at most 63 lowercase letters, digits and dashes, starting with a letter`,
    'gitpod-prod',
    63,
  );

/** A DNS domain with at least two labels, lowercase, no trailing dot. */
export const dnsDomain = () =>
  patternString(
    /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
    'a dns domain; use lowercase labels separated by dots',
    'gitpod.io',
    253,
  );

/** GCS bucket names (the dotted, domain-named form included); never `..`, never `goog…`. */
export const gcsBucket = () =>
  patternString(
    /^(?!goog)(?!.*\.\.)(?=.{3,63}$)[a-z0-9][a-z0-9_.-]*[a-z0-9]$/,
    'a gcs bucket name; use 3–63 lowercase letters, digits, dashes, underscores and dots, starting and ending with a letter or digit',
    'gitpod-prod-tf-state',
    63,
  );

/** A GKE cluster name: at most 40 characters, `^[a-z]([-a-z0-9]*[a-z0-9])?$`. */
export const gkeName = () =>
  checkedString((value) => {
    const problem = gkeNameProblem(value);
    if (problem === undefined) return undefined;
    // names.ts shows the name raw; ours must stay one short line whatever the name holds.
    const shown = `"${value}"`;
    return `${problem.startsWith(shown) ? `${quote(value)}${problem.slice(shown.length)}` : problem}; e.g. "prod-meta-eu01"`;
  }, {
    pattern: GKE_NAME_PATTERN.source,
    maxLength: GKE_NAME_MAX,
  });

/** Workspace cluster prefix: the letters of the short name (`eu` in `eu17`). */
export const clusterPrefix = () => patternString(/^[a-z]{1,8}$/, 'a valid prefix; use 1–8 lowercase letters (a–z)', 'eu', 8);

/** Names of environment variables, e.g. `PG_CONN_STR`. */
export const envVarName = () =>
  patternString(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name; use uppercase letters, digits and underscores, not starting with a digit', 'PG_CONN_STR', 128);

/** A PostgreSQL identifier (no quoting needed). */
export const pgIdentifier = () =>
  patternString(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a postgresql schema name; use letters, digits and underscores, not starting with a digit', 'ws_deployment', 63);

/** An object path inside a bucket: relative, no `.`/`..` segments, no empty segments. */
export const storagePrefix = () =>
  patternString(
    /^(?!.*\/\/)(?!\/)(?!.*\/$)(?!(.*\/)?\.{1,2}(\/|$))[A-Za-z0-9._/-]+$/,
    'a valid state prefix; use letters, digits, dots, dashes, underscores and single slashes, no "." or ".." segments',
    'ws-clusters/prod',
    256,
  );

/** HCL identifiers: Terraform variable names. */
export const hclIdentifier = () =>
  patternString(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'a terraform variable name; use letters, digits, underscores and dashes, starting with a letter or underscore', 'machine_type', 64);
