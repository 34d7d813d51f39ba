/**
 * Which configured values are secrets. A value is secret when the config marks
 * it so (`terraform.secretVariables`, `<release>.secretSet`) or when its name
 * says it is a credential (`db_password`, `api_token`, `oauth.clientSecret`):
 * the default errs towards hiding, because a secret shown once (a plan in a CI
 * log, helm's argv in `ps`) cannot be taken back, while a plain value treated as
 * secret only stays out of sight.
 */

/** Names of credentials: passwords, secrets, tokens, keys, credentials, auth, cookies. */
const CREDENTIAL_NAME = /passw|secret|token|key|credential|auth|cookie/i;

/** Does `name` (an environment variable, a Terraform variable, a dotted helm key) name a credential? */
export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name);
}

/** The values under credential-named keys anywhere inside `value` (objects and lists walked). */
function credentialLeaves(value: unknown, underCredential = false): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => credentialLeaves(v, underCredential));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, v]) => credentialLeaves(v, underCredential || isCredentialName(key)));
  return underCredential ? [value] : [];
}

/**
 * The keys of `values` that are secret: marked in `marked`, credential-named, or holding a
 * credential-named key inside (a Terraform object variable `db = { password = … }`); sorted.
 */
export function secretKeys(values: Readonly<Record<string, unknown>>, marked: readonly string[] = []): string[] {
  const explicit = new Set(marked);
  return Object.keys(values)
    .filter((key) => explicit.has(key) || isCredentialName(key) || credentialLeaves(values[key]).length > 0)
    .sort();
}

/** `values` split into the public part and the secret part (see {@link secretKeys}). */
export function splitSecrets<V>(values: Readonly<Record<string, V>>, marked: readonly string[] = []): { plain: Record<string, V>; secret: Record<string, V> } {
  const secret = new Set(secretKeys(values, marked));
  const plain: Record<string, V> = {};
  const hidden: Record<string, V> = {};
  for (const [key, value] of Object.entries(values)) (secret.has(key) ? hidden : plain)[key] = value;
  return { plain, secret: hidden };
}

/**
 * The texts under which a secret value may show up in output: itself (strings) or its JSON form,
 * and for an object each value under a credential-named key inside it (a tool's error may quote one alone).
 */
export function secretTexts(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  return [JSON.stringify(value), ...credentialLeaves(value).filter((leaf) => leaf !== null && typeof leaf !== 'object').map(String)];
}
