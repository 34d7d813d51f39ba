/**
 * Deterministic JSON: object keys sorted at every depth, two-space indent, one
 * trailing newline. Generated Terraform files must be byte-identical for the
 * same input so a later `destroy` regenerates exactly what `apply` used.
 */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}
