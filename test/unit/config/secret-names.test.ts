/**
 * Names marked secret must name a passthrough value (a typo would leave the value
 * it meant to hide in the plan), and credential-named values are secret by default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCredentialName, secretTexts, splitSecrets } from '../../../src/core/secret-names.js';
import { BASE, configDir, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

describe('secret passthrough values', () => {
  it('treats credential-named keys as secret, and marked ones', () => {
    for (const name of ['db_password', 'API_TOKEN', 'oauth.clientSecret', 'ssh_private_key', 'gcp_credentials', 'basic_auth']) expect(isCredentialName(name)).toBe(true);
    for (const name of ['tls.privateKey', 'serviceAccountKey', 'AWS_SECRET_ACCESS_KEY', 'auth.clientSecret', 'PGPASSWORD_FILE', 'api-key']) expect(isCredentialName(name), name).toBe(true);
    for (const name of ['machine_type', 'components.proxy.replicas', 'region']) expect(isCredentialName(name)).toBe(false);
    // Names that only contain a credential word: hiding their values would hide them everywhere (a region, a provider).
    for (const name of ['kms.keyRingLocation', 'auth.provider', 'author', 'monkey_count', 'keyring', 'tokenizer_mode', 'key']) expect(isCredentialName(name), name).toBe(false);
    expect(splitSecrets({ db_password: 'x', machine_type: 'n2', license: 'l' }, ['license'])).toEqual({
      plain: { machine_type: 'n2' },
      secret: { db_password: 'x', license: 'l' },
    });
  });

  it('treats a value holding a credential-named key anywhere inside as secret, and registers what is under it', () => {
    const values = { db: { host: 'db.internal', password: 'nested-pw-1' }, replicas: [{ name: 'a', auth: { token: 'listed-tk-2' } }], machine: { type: 'n2' } };
    expect(splitSecrets(values)).toEqual({ plain: { machine: { type: 'n2' } }, secret: { db: values.db, replicas: values.replicas } });
    expect(secretTexts(values.db)).toEqual([JSON.stringify(values.db), 'nested-pw-1']);
    expect(secretTexts(values.replicas)).toEqual([JSON.stringify(values.replicas), 'listed-tk-2']);
  });

  it('accepts marked names that the values set', () => {
    const text = `${BASE}terraform:\n  module: { source: gitpod-io/ws-cluster/google }\n  variables: { license: abc, db_password: x }\n  secretVariables: [license]\n`;
    expect(valid(text, ctx.file).config.terraform.secretVariables).toEqual(['license']);
  });

  it('refuses marked names that no value has, with a guess', () => {
    const text = `${BASE}terraform:\n  module: { source: gitpod-io/ws-cluster/google }\n  variables: { license: abc }\n  secretVariables: [licence, other]\ngitpod:\n  chart: { path: ./values, name: gitpod }\n  set: { db.pass: x }\n  secretSet: [db.pas]\n`;
    expect(problems(text, ctx.file)).toEqual([
      '18:21: terraform.secretVariables[0]: "licence" is not a key of terraform.variables; did you mean "license"? list only keys that terraform.variables sets',
      '18:30: terraform.secretVariables[1]: "other" is not a key of terraform.variables; list only keys that terraform.variables sets',
      '22:15: gitpod.secretSet[0]: "db.pas" is not a key of gitpod.set; did you mean "db.pass"? list only keys that gitpod.set sets',
    ]);
  });

  it('refuses module contract variables in terraform.variables (the tool sets them; they were dropped without a word)', () => {
    const text = `${BASE}terraform:\n  module: { source: gitpod-io/ws-cluster/google }\n  variables: { region: us-east1, machine_type: n2 }\n  secretVariables: [region]\n`;
    expect(problems(text, ctx.file)).toEqual([
      expect.stringMatching(/^\d+:\d+: terraform\.variables\.region: "region" is a module contract variable \(cluster_type, dns_zone, name, network, project, region, short_name\): ws-deployment sets it for each cluster from project and workspaceClusters; remove it from terraform\.variables$/),
    ]);
  });
});
