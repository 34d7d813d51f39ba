/**
 * A few SVG primitives for the report. Charts are generated SVG rather than a
 * bundled charting library: the report needs four simple chart kinds (bars on
 * a time axis, step lines, points with a threshold), the file must work with
 * no network and no script, and SVG text is searchable and testable in a
 * browser by element and attribute (docs/architecture.md).
 */

/** Escapes text for HTML and SVG content and attribute values. */
export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Linear scale from a domain onto a pixel range. */
export function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => Number((r0 + ((v - d0) / span) * (r1 - r0)).toFixed(2));
}

export function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(' ');
}

/** `12:03:07` from an ISO time (the report's time axis is UTC). */
export function clock(time: string | number): string {
  return new Date(time).toISOString().slice(11, 19);
}

/** Tick marks along a time axis: about `count` round times between t0 and t1. */
function timeTicks(t0: number, t1: number, count = 6): number[] {
  const span = Math.max(1, t1 - t0);
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400].map((s) => s * 1000);
  const step = steps.find((s) => span / s <= count) ?? 86_400_000;
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

export function timeAxis(x: (v: number) => number, t0: number, t1: number, y: number, height: number): string {
  return timeTicks(t0, t1)
    .map((t) => `<line class="grid" x1="${x(t)}" x2="${x(t)}" y1="${y - height}" y2="${y}"/><text class="tick" x="${x(t)}" y="${y + 14}" text-anchor="middle">${clock(t)}</text>`)
    .join('');
}

/** Up to 8 distinguishable colours, then they repeat. */
export const PALETTE = ['#2563eb', '#d97706', '#059669', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#9f1239'];
