/**
 * Durations in the config are strings such as `60s`, `5m` or `1h30m` (the
 * Prometheus/Go style users know from Flagger and Argo Rollouts). We parse them
 * once into milliseconds and format them back for PromQL range selectors.
 */
import { WsdError } from '../core/errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Units from largest to smallest: a duration lists its parts in this order. */
const UNIT_ORDER = ['d', 'h', 'm', 's', 'ms'];

const PART = /(\d+)(ms|s|m|h|d)/y;

/**
 * Parses `1h30m`, `60s`, `500ms`, `0s` into milliseconds.
 * Units must appear at most once, largest first; a bare number is refused
 * because `60` could mean seconds or minutes.
 */
export function parseDuration(text: string): number {
  const input = text.trim();
  if (input === '') throw invalid(text, 'it is empty');
  let total = 0;
  let lastUnitIndex = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const start = PART.lastIndex;
    const match = PART.exec(input);
    if (!match || match.index !== start) throw invalid(text, `unexpected "${input.slice(start)}"`);
    const [, digits, unit] = match as unknown as [string, string, string];
    const unitIndex = UNIT_ORDER.indexOf(unit);
    if (unitIndex <= lastUnitIndex) throw invalid(text, 'units must appear once each, largest first');
    lastUnitIndex = unitIndex;
    total += Number(digits) * (UNIT_MS[unit] ?? 0);
  }
  if (!Number.isSafeInteger(total)) throw invalid(text, 'it is too large');
  return total;
}

function invalid(text: string, why: string): WsdError {
  return new WsdError(
    'ConfigInvalid',
    `invalid duration "${text}": ${why}; write it like 60s, 5m or 1h30m`,
    { details: { value: text } },
  );
}

/**
 * Formats milliseconds the way Prometheus accepts in range selectors and the way
 * humans read it in plans: `90000` → `1m30s`, `0` → `0s`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot format duration ${ms}`);
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of UNIT_ORDER) {
    const size = UNIT_MS[unit] ?? 1;
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
