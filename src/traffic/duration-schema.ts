/** Zod schema for duration strings: validates with {@link parseDuration}, outputs milliseconds. */
import * as z from 'zod';
import { isWsdError } from '../core/errors.js';
import { parseDuration } from './duration.js';

/**
 * `"5m"` → `300000`. Use `.prefault('60s')` (not `.default`) for defaults so the
 * default string goes through the parser too.
 */
export const durationSchema = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: isWsdError(error) ? error.message : String(error) });
    return z.NEVER;
  }
});
