/**
 * The config's JSON Schema, for editors (yaml-language-server:
 * `# yaml-language-server: $schema=...`). Generated from the zod schema on
 * demand, never at import: the CLI's cold start stays cheap.
 */
import { z } from 'zod';
import { configSchema } from './schema.js';

/** JSON Schema (draft-07) of the config as written (input side: before defaults and path resolution). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'ws-deployment config' };
}
