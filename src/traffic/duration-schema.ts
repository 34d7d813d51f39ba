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

/**
 * A duration where 0s has no meaning (an interval, a timeout, a window): `fix` says what 0s would do and
 * what to write instead, e.g. `every query would abort at once; write e.g. 10s`. Fields where 0 means
 * "none" (initialDelay, bake, firstGenerationWatch) keep {@link durationSchema}.
 */
export function positiveDurationSchema(fix: string) {
  return durationSchema.refine((ms) => ms > 0, { message: `must be longer than 0s: ${fix}`, abort: true });
}
