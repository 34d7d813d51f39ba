/**
 * Cross-field rules: checks that span sections or list items. They run on the
 * partially validated config (also when other fields failed) so one run reports
 * every problem; hence they read everything through the defensive helpers here.
 */
import type { z } from 'zod';

/** A problem found by a rule, at a config path (positioned later against the YAML). */
export interface RuleIssue {
  path: (string | number)[];
  message: string;
}

/** A rule gets the config as validated so far: any field may still hold the user's raw value. */
export type CrossRule = (config: unknown) => RuleIssue[];

/** The value as a plain mapping, or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The value as a list, or an empty one. */
export function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `value` when it passes `schema` on its own (so a rule never repeats a field's own error), else undefined. */
export function validString(schema: z.ZodType<string>, value: unknown): string | undefined {
  return typeof value === 'string' && schema.safeParse(value).success ? value : undefined;
}

/** `metaClusters[0]`: how a list item is named in messages. */
export function itemPath(list: string, index: number): string {
  return `${list}[${index}]`;
}
