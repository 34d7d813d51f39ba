/**
 * When a measurement is evaluated. Its windows end at "now", and Prometheus evaluates a query at the time it is
 * given: when this machine's clock is ahead of the Prometheus server's, a window ending at this clock's now lies
 * partly or wholly in Prometheus' future, where no sample exists yet. A window shorter than the lead reads nothing
 * on any cluster (an error: "the metrics pipeline looks broken", and the healthy shift halts); a longer one reads a
 * part, and tiled windows lose the lead's worth of every window for good (the next one starts after it). Found on a
 * real Prometheus with the shift's clock 30 s ahead (test/integration/shift/shift-prometheus-clock.test.ts).
 *
 * So the measurement is evaluated at the earlier of the two clocks. A clock behind Prometheus' reads windows that
 * are complete already and is left as it is.
 */
import { isAbortError } from '../core/errors.js';
import { formatDuration } from './duration.js';
import { isMetricQueryError, type MetricProvider } from './providers/provider.js';

/** A lead below this is scrape timing, not a wrong clock: not worth a warning. */
const NOTABLE_LEAD_MS = 1_000;

export interface EvaluationTime {
  /** Epoch ms the measurement is evaluated at. */
  now: number;
  /** Said in the measurement's record when this machine's clock is notably ahead of the server's. */
  warning?: string;
}

/** The evaluation time for a measurement this machine's clock would take at `localNow`. */
export async function evaluationTime(provider: MetricProvider, localNow: number, signal?: AbortSignal): Promise<EvaluationTime> {
  if (!provider.serverTime) return { now: localNow };
  let server: Date | undefined;
  try {
    server = await provider.serverTime({ signal });
  } catch (error) {
    if (isAbortError(error) || (isMetricQueryError(error) && error.kind === 'aborted')) throw error;
    // The measurement's own queries meet the same failure and say it (a query-error); this clock is all there is.
    return { now: localNow };
  }
  if (server === undefined || server.getTime() >= localNow) return { now: localNow };
  const lead = localNow - server.getTime();
  return {
    now: server.getTime(),
    ...(lead >= NOTABLE_LEAD_MS
      ? { warning: `this machine's clock is ${formatDuration(lead)} ahead of ${provider.description}'s: measured at its time ${server.toISOString()}, as windows ending at this clock's now would lie in its future and read no samples there; synchronise the clock (NTP)` }
      : {}),
  };
}
