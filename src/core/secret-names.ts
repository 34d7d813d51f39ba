/**
 * Which configured values are secrets. A value is secret when the config marks
 * it so (`terraform.secretVariables`, `<release>.secretSet`) or when its name
 * says it is a credential (`db_password`, `api_token`, `oauth.clientSecret`):
 * the default errs towards hiding, because a secret shown once (a plan in a CI
 * log, helm's argv in `ps`) cannot be taken back, while a plain value treated as
 * secret only stays out of sight.
 */

/** Words that name a credential by themselves. */
const CREDENTIAL_WORDS = new Set(['password', 'passwd', 'passphrase', 'pwd', 'secret', 'secrets', 'token', 'tokens', 'credential', 'credentials', 'cookie', 'auth', 'apikey', 'privatekey']);
/** A word that ends like one of them names a credential too (`PGPASSWORD`, `githubtoken`). */
const CREDENTIAL_ENDING = /(password|passwd|passphrase|secret|token|apikey|privatekey)$/;
/** Words that make a following `key` a credential (`api_key`, `tls.privateKey`, `serviceAccountKey`); `key` alone is not one (`kms.keyRing`). */
const KEY_QUALIFIERS = new Set(['api', 'private', 'access', 'secret', 'account', 'signing', 'encryption', 'ssh', 'client', 'master', 'tls']);

/**
 * Does `name` (an environment variable, a Terraform variable, a dotted helm key) name a credential? Judged on its
 * last dotted segment, by words (`db_password`, `clientSecret`, `API_TOKEN`, `ssh_private_key`), not by substrings:
 * a value under a name that only contains one (`kms.keyRingLocation: europe-west1`, `auth.provider: github`)
 * would otherwise be hidden in every text that mentions it, the journal's outputs included.
 */
export function isCredentialName(name: string): boolean {
  const last = name.slice(name.lastIndexOf('.') + 1);
  const words = last
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.some((word, i) => CREDENTIAL_WORDS.has(word) || CREDENTIAL_ENDING.test(word) || (word === 'key' && KEY_QUALIFIERS.has(words[i - 1] ?? '')));
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
function secretKeys(values: Readonly<Record<string, unknown>>, marked: readonly string[] = []): string[] {
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
