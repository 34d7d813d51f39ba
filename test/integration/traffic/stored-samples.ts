/**
 * What a real Prometheus stored of a counter: its raw samples (a range selector at an instant, no function, so no
 * extrapolation and no lookback), the ground truth the tiled-window tests hold the gate's counts against. Read
 * with the HTTP API directly: the gate's provider refuses a range vector as an answer, rightly.
 */

/** One stored sample: its timestamp (ms) and value. */
export interface StoredSample {
  t: number;
  v: number;
}

/** The raw samples of `selector` (one series) stamped in [fromMs − 10 s, endMs]. */
export async function storedSamples(url: string, selector: string, fromMs: number, endMs: number): Promise<StoredSample[]> {
  const seconds = Math.ceil((endMs - fromMs) / 1_000) + 10;
  const query = new URLSearchParams({ query: `${selector}[${seconds}s]`, time: (endMs / 1_000).toFixed(3) });
  const res = await fetch(`${url}/api/v1/query?${query}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data?: { result?: { values?: [number, string][] }[] } };
  const result = body.data?.result ?? [];
  if (body.status !== 'success' || result.length !== 1) throw new Error(`${selector}: expected one stored series, got ${JSON.stringify(body).slice(0, 300)}`);
  return (result[0]?.values ?? []).map(([t, v]) => ({ t: Math.round(t * 1_000), v: Number(v) }));
}

/** The counter's steps stored between the last sample at or before `fromMs` and the last at or before `endMs`. */
export function storedStep(samples: readonly StoredSample[], fromMs: number, endMs: number): number {
  const last = (at: number) => samples.filter((s) => s.t <= at).at(-1);
  const first = last(fromMs);
  if (!first) throw new Error(`no sample stored at or before ${new Date(fromMs).toISOString()}`);
  return (last(endMs)?.v ?? NaN) - first.v;
}

/**
 * How regular the scrapes were: scrapes missing (a gap over 1.5 intervals) and the largest deviation of a spacing from
 * the interval (ms). The gate's seams assume regular stamps (Prometheus aligns a stamp to its schedule within 2 ms):
 * printed with the counts, so a failure says whether the scrapes themselves were off.
 */
export function scrapeRegularity(samples: readonly StoredSample[], intervalMs: number): { missing: number; maxDeviationMs: number } {
  let missing = 0;
  let maxDeviationMs = 0;
  for (let i = 1; i < samples.length; i++) {
    const spacing = (samples[i]?.t ?? 0) - (samples[i - 1]?.t ?? 0);
    if (spacing > 1.5 * intervalMs) missing += Math.round(spacing / intervalMs) - 1;
    else maxDeviationMs = Math.max(maxDeviationMs, Math.abs(spacing - intervalMs));
  }
  return { missing, maxDeviationMs };
}
