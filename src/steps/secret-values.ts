/**
 * The secret values of a config, in one place for the redactor and for the config's warnings:
 * Terraform variables and helm `set` values that are marked secret or credential-named
 * (core/secret-names.ts), credential-named environment of the commands we run, and the
 * credentials in the Prometheus url. The steps hand them to the tools out of sight (TF_VAR_
 * environment, a 0600 values file); the redactor makes sure any echo of them (a tool's error
 * message, a rendered manifest) shows none.
 */
import { isCredentialName, secretTexts, splitSecrets } from '../core/secret-names.js';
import { secretTerraformValues } from './create-cluster/terraform-setup.js';
import { readSection } from './install/config.js';
import type { PlanContext } from './step.js';

/** Where in the config a secret is, the texts it may show up as, and whether it is one the operator chose (a user name is not). */
export interface SecretSource {
  path: (string | number)[];
  texts: string[];
  /** False for what is registered only to be safe (the user name of a url that also has a password). */
  secret: boolean;
}

/** The secret Terraform variables by name. */
function secretTerraformVariables(config: unknown): Record<string, unknown> {
  return secretTerraformValues({ config } as Pick<PlanContext, 'config'>);
}

/** Every secret value `config` holds (not the files it points at), with where it is. */
export function secretSources(config: unknown): SecretSource[] {
  const root = (config ?? {}) as {
    aliveTest?: { command?: { env?: Record<string, string> } };
    trafficShift?: { command?: { env?: Record<string, string> }; analysis?: { provider?: { type?: string; url?: string } } };
  };
  const sources: SecretSource[] = [];
  // Commands we run get these in their environment and may echo them (set -x, curl -v): their output is logged.
  for (const [section, env] of [['aliveTest', root.aliveTest?.command?.env], ['trafficShift', root.trafficShift?.command?.env]] as const) {
    for (const [name, value] of Object.entries(env ?? {})) if (isCredentialName(name)) sources.push({ path: [section, 'command', 'env', name], texts: [value], secret: true });
  }
  // Credentials in the Prometheus url (`user:password@`, or a token as the user): registered before anything runs,
  // not only when the shift builds its provider, since the redactor's url pattern misses a user without a password.
  const provider = root.trafficShift?.analysis?.provider;
  if (provider?.type === 'prometheus' && provider.url) sources.push(...urlCredentials(provider.url, ['trafficShift', 'analysis', 'provider', 'url']));
  // Passthrough values marked secret or credential-named: they reach the tools by env or a 0600 file, and never show.
  for (const [name, value] of Object.entries(secretTerraformVariables(config))) sources.push({ path: ['terraform', 'variables', name], texts: secretTexts(value), secret: true });
  for (const key of ['gitpod', 'jaeger', 'monitoring'] as const) {
    const section = readSection(config, key);
    if (!section) continue;
    for (const [name, value] of Object.entries(splitSecrets(section.set, section.secretSet).secret)) sources.push({ path: [key, 'set', name], texts: secretTexts(value), secret: true });
  }
  return sources;
}

/** The user and password of a url, raw and decoded (none when absent or the url does not parse). */
function urlCredentials(url: string, path: (string | number)[]): SecretSource[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const forms = (part: string): string[] => (part ? [part, safeDecode(part)] : []);
  const { username, password } = parsed;
  return [
    // A user alone is a token (`https://TOKEN@host`); beside a password it is a name, registered only to be safe.
    { path, texts: forms(username), secret: password === '' },
    { path, texts: forms(password), secret: true },
  ].filter((source) => source.texts.length > 0);
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
