/**
 * Which secret variables a retire destroy lacks: each one the journaled module input declares,
 * supplied by the config's terraform.variables (secret or not any more) or this process's
 * TF_VAR_<name>; contract variables never count (the module input sets them itself).
 */
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/core/redact.js';
import { destroyTerraformEnvs, missingDestroyVariables } from '../../../src/steps/retire/destroy-env.js';
import type { PlanContext } from '../../../src/steps/step.js';
import type { RootModuleInput } from '../../../src/tools/terraform/generator.js';

const moduleInput = { moduleSource: 'x', variables: {}, sensitiveVariables: { db_password: 'string', tls: 'any' }, backend: { type: 'local', path: '/s' } } as unknown as RootModuleInput;
const need = { cluster: 'eu1', createdBy: 'd1', moduleInput };
const ctx = (variables: Record<string, unknown>) => ({ config: { terraform: { variables } } }) as unknown as Pick<PlanContext, 'config'>;

describe('destroy environment of a retired cluster', () => {
  it('takes config values (also no longer secret ones) first, then TF_VAR_, and names what neither has', () => {
    expect(missingDestroyVariables(need, ctx({}), {})).toEqual(['db_password', 'tls']);
    expect(missingDestroyVariables(need, ctx({ db_password: 'pw-from-config' }), { TF_VAR_tls: '{}' })).toEqual([]);
    expect(missingDestroyVariables(need, ctx({ db_password: 'pw-from-config' }), {})).toEqual(['tls']);
    const redactor = new Redactor();
    const env = destroyTerraformEnvs([need], ctx({ tls: { key: 'k' } }), redactor, { TF_VAR_db_password: 'exported-pw', TF_VAR_unrelated: 'x' }).get('eu1');
    expect(env).toEqual({ TF_VAR_db_password: 'exported-pw', TF_VAR_tls: '{"key":"k"}' });
    expect(redactor.redact('exported-pw')).toBe('[REDACTED]');
  });

  it('refuses every cluster that lacks one in one error, with both fixes', () => {
    const other = { cluster: 'us1', createdBy: 'd0', moduleInput: { ...moduleInput, sensitiveVariables: { api_token: 'string' as const } } };
    expect(() => destroyTerraformEnvs([need, other], ctx({ tls: 1, db_password: 'y' }), undefined, {})).toThrow(
      'cluster us1 was created (deployment d0) with the secret terraform variable "api_token", which terraform destroy needs and neither terraform.variables nor the environment supplies; the retirement has not touched it (no cordon, drain, deregistration or destroy). Supply it with the value the cluster was created with: export TF_VAR_api_token for this run, or set it in terraform.variables (marked in terraform.secretVariables unless its name says credential), then run again',
    );
    expect(destroyTerraformEnvs([], ctx({}), undefined, {}).size).toBe(0);
  });
});
