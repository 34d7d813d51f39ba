/** The two top-level scalars every config starts with: its format version and its environment. */
import * as z from 'zod';
import { quote } from '../messages.js';

/** Config format versions this build reads. */
export const SUPPORTED_VERSIONS = ['v1'] as const;

/** The message for a version this build cannot read (also used before schema validation). */
export function unsupportedVersionMessage(value: unknown): string {
  return `unsupported config version ${quote(value)}; supported versions: ${SUPPORTED_VERSIONS.join(', ')}`;
}

/** `version: v1`. */
export const versionField = z
  .literal('v1', { error: (issue) => (issue.input === undefined ? undefined : unsupportedVersionMessage(issue.input)) })
  .describe('Config format version.');

/** Deployment environment; it picks the short form in cluster names (production → prod). */
export const environmentField = z
  .enum(['production', 'staging', 'development'])
  .describe('Deployment environment: production, staging or development.');
