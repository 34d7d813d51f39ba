/**
 * Which keys a mapping at a config path allows, read from the zod schema itself,
 * so did-you-mean suggestions never drift from the schema.
 */
import type { z } from 'zod';

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  getter?: () => z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  shape?: Record<string, z.ZodType>;
}

function def(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strips wrappers (optional, default, pipes, lazy …) down to the schema that parses the input. */
function unwrap(schema: z.ZodType): z.ZodType {
  for (let i = 0; i < 32; i++) {
    const d = def(schema);
    // `z.preprocess(fn, schema)` is a pipe whose input side is the bare function: the keys are on its output side.
    const inner = d.type === 'pipe' && d.in && def(d.in).type === 'transform' ? d.out : (d.innerType ?? d.in ?? d.getter?.());
    if (inner === undefined) return schema;
    schema = inner;
  }
  return schema;
}

function child(schema: z.ZodType, segment: PropertyKey): z.ZodType[] {
  const d = def(unwrap(schema));
  switch (d.type) {
    case 'object':
      return d.shape && Object.hasOwn(d.shape, String(segment)) ? [d.shape[String(segment)] as z.ZodType] : [];
    case 'array':
      return d.element ? [d.element] : [];
    case 'record':
      return d.valueType ? [d.valueType] : [];
    case 'union':
      return (d.options ?? []).flatMap((option) => child(option, segment));
    default:
      return [];
  }
}

/** Keys allowed in the mapping at `path`, in schema order; empty when unknown. */
export function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let candidates = [schema];
  for (const segment of path) candidates = candidates.flatMap((c) => child(c, segment));
  const keys = new Set<string>();
  for (const candidate of candidates) {
    const d = def(unwrap(candidate));
    if (d.type === 'object' && d.shape) for (const key of Object.keys(d.shape)) keys.add(key);
    if (d.type === 'union') for (const option of d.options ?? []) for (const key of allowedKeys(option, [])) keys.add(key);
  }
  return [...keys];
}
