import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
// ajv (draft-07) is what yaml-language-server validates with; it is in the tree through eslint.
import Ajv from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../src/config/json-schema.js';
import { BASE } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/config/valid-full.yaml', import.meta.url));

function validator() {
  const ajv = new Ajv({ allErrors: true });
  return ajv.compile(configJsonSchema());
}

describe('config json schema', () => {
  it('is a draft-07 object schema with strict objects', () => {
    const schema = configJsonSchema();
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties as object)).toEqual(['version', 'environment', 'project', 'metaClusters', 'workspaceClusters', 'terraform', 'gitpod', 'jaeger', 'monitoring', 'aliveTest', 'registration', 'trafficShift', 'notifications']);
    expect(schema.required).toEqual(['version', 'environment', 'project', 'metaClusters', 'workspaceClusters']);
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  it('accepts the example configs', async () => {
    const validate = validator();
    for (const text of [await readFile(FIXTURE, 'utf8'), BASE]) {
      const ok = validate(parse(text));
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it('shows the project shorthand: oneOf a project id string or the mapping, as the loader accepts', () => {
    const project = (configJsonSchema().properties as Record<string, { oneOf?: Array<{ type?: string; pattern?: string }> }>).project;
    expect(project?.oneOf?.map((s) => s.type)).toEqual(['string', 'object']);
    const validate = validator();
    const config = parse(BASE) as Record<string, unknown>;
    expect(validate({ ...config, project: 'gitpod-staging' }), JSON.stringify(validate.errors)).toBe(true);
    // The string is a project id, checked as one; a mapping without its keys is still refused.
    expect(validate({ ...config, project: 'Not_A_Project' })).toBe(false);
    expect(validate({ ...config, project: { network: 'x' } })).toBe(false);
  });

  it('flags unknown keys, bad enums and bad names as the loader does', () => {
    const validate = validator();
    const config = parse(BASE) as Record<string, unknown>;
    expect(validate({ ...config, nmae: 1 })).toBe(false);
    expect(validate({ ...config, environment: 'prod' })).toBe(false);
    expect(validate({ ...config, metaClusters: [{ name: 'Bad_Name', region: 'europe-west1' }] })).toBe(false);
    expect(validate({ ...config, workspaceClusters: [] })).toBe(false);
  });
});
