import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../src/config/json-schema.js';

describe('docs/ws-deployment.schema.json', () => {
  it('is the current schema (regenerate with `bin/ws-deployment schema > docs/ws-deployment.schema.json`)', () => {
    const file = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'ws-deployment.schema.json'), 'utf8')) as unknown;
    expect(file).toEqual(configJsonSchema());
  });
});
