/**
 * The config's JSON Schema, for editors (yaml-language-server:
 * `# yaml-language-server: $schema=...`). Generated from the zod schema on
 * demand, never at import: the CLI's cold start stays cheap.
 */
import * as z from 'zod';
import { configSchema } from './schema.js';

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema> };

/**
 * `project` accepts a plain project id as shorthand for `{ id }` (a zod
 * preprocess, which toJSONSchema cannot see): shown as `oneOf` the id string or the mapping.
 */
function withProjectShorthand(schema: JsonSchema): JsonSchema {
  const mapping = schema.properties?.project;
  const id = mapping?.properties?.id;
  if (!mapping || !id) return schema;
  const { description, ...mappingOnly } = mapping;
  const shorthand = { ...id, description: 'GCP project id alone, shorthand for { id: <project id> }; the other keys are then still required where the clusters need them.' };
  return { ...schema, properties: { ...schema.properties, project: { ...(description ? { description } : {}), oneOf: [shorthand, mappingOnly] } } };
}

/** JSON Schema (draft-07) of the config as written (input side: before defaults and path resolution). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as JsonSchema;
  return { ...withProjectShorthand(schema), title: 'ws-deployment config' };
}
