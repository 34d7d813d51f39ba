/**
 * The report's charts as SVG strings: the Gantt timeline, the traffic chart
 * and one chart per gate. Every mark carries data attributes (lane, step,
 * state, time) so a browser test can find it.
 */
import type { GateSeries } from '../gate-series.js';
import type { ShiftHistory } from '../shift-history.js';
import type { TimelineBar } from '../timeline.js';
import { attrs, clock, esc, PALETTE, scale, timeAxis } from './svg.js';

const WIDTH = 1000;
const LABEL = 260;
const ROW = 20;

interface TimeSpan {
  t0: number;
  t1: number;
}

function marker(cls: string, x: number, top: number, bottom: number, time: string, label: string): string {
  // Near the right edge the label goes left of the line, so it is never cut off.
  const text = x > WIDTH - 80 ? `<text x="${x - 3}" y="${top + 10}" text-anchor="end">` : `<text x="${x + 3}" y="${top + 10}">`;
  return `<g class="${cls}" ${attrs({ 'data-time': time })}><line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}"/>${text}${esc(label)}</text></g>`;
}

export function ganttSvg(bars: readonly TimelineBar[], span: TimeSpan, shortNames: Map<string, string>, rollback?: { time: string }): string {
  const height = bars.length * ROW + 40;
  const x = scale(span.t0, span.t1, LABEL, WIDTH - 10);
  const rows = bars.map((b, i) => {
    const y = 20 + i * ROW;
    const lane = b.lane === '*' ? 'all clusters' : (shortNames.get(b.lane) ?? b.lane);
    const label = `<text class="label" x="${LABEL - 6}" y="${y + 14}" text-anchor="end">${esc(lane)} · ${esc(b.step)}</text>`;
    if (!b.start) return `${label}<text class="pending" x="${LABEL + 4}" y="${y + 14}">${esc(b.state)}</text>`;
    const x0 = x(Date.parse(b.start));
    const x1 = Math.max(x0 + 2, x(Date.parse(b.end ?? new Date(span.t1).toISOString())));
    const title = `${lane} ${b.step}: ${b.state}, ${clock(b.start)}–${b.end ? clock(b.end) : 'now'}${b.attempts.length > 1 ? `, ${b.attempts.length} attempts` : ''}${b.detail ? `\n${b.detail}` : ''}`;
    const attempts = b.attempts
      .filter((a) => a.outcome === 'retried')
      .map((a) => `<line class="retry" x1="${x(Date.parse(a.end ?? a.start))}" x2="${x(Date.parse(a.end ?? a.start))}" y1="${y + 2}" y2="${y + 16}"/>`)
      .join('');
    return `${label}<rect ${attrs({ class: `bar ${b.state}`, x: x0, y: y + 3, width: Number((x1 - x0).toFixed(2)), height: ROW - 6, 'data-lane': b.lane, 'data-step': b.step, 'data-state': b.state, 'data-attempts': b.attempts.length })}><title>${esc(title)}</title></rect>${attempts}`;
  });
  const mark = rollback ? marker('rollback-marker', x(Date.parse(rollback.time)), 10, height - 20, rollback.time, 'rollback') : '';
  return `<svg class="chart gantt" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="timeline of every step per cluster">${timeAxis(x, span.t0, span.t1, height - 20, height - 30)}${rows.join('')}${mark}</svg>`;
}

export function trafficSvg(shift: ShiftHistory, span: TimeSpan): string {
  const height = 260;
  const top = 20;
  const bottom = height - 40;
  const x = scale(span.t0, span.t1, 50, WIDTH - 150);
  const y = scale(0, 100, bottom, top);
  const t = (time: string): number => x(Date.parse(time));
  const steps = (points: Array<{ time: string; value: number }>): string => {
    let d = '';
    points.forEach((p, i) => {
      const px = t(p.time);
      d += i === 0 ? `M${px},${y(p.value)}` : `H${px}V${y(p.value)}`;
    });
    return points.length ? `${d}H${x(span.t1)}` : '';
  };
  const share = steps(shift.stages.map((s) => ({ time: s.start, value: s.percent })));
  const boundaries = shift.stages.map((s) => marker(`stage-boundary ${esc(s.phase)}`, t(s.start), top, bottom, s.start, s.label)).join('');
  const scores = shift.scores.map((s, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const maxScore = Math.max(100, ...s.points.map((p) => p.score));
    const path = steps(s.points.map((p) => ({ time: p.time, value: (p.score / maxScore) * 100 })));
    const legendY = top + 14 + i * 16;
    return `<path ${attrs({ class: `score ${s.role}`, d: path, stroke: colour, 'data-cluster': s.cluster, 'data-meta': s.meta })}/><text x="${WIDTH - 140}" y="${legendY}" fill="${colour}">${esc(s.cluster)} score (${s.role})</text>`;
  });
  const rb = shift.rollback ? marker('rollback-marker', t(shift.rollback.time), top, bottom, shift.rollback.time, 'rollback') : '';
  const axis = [0, 25, 50, 75, 100].map((v) => `<line class="grid" x1="50" x2="${WIDTH - 150}" y1="${y(v)}" y2="${y(v)}"/><text class="tick" x="44" y="${y(v) + 4}" text-anchor="end">${v}</text>`).join('');
  return `<svg class="chart traffic" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="traffic: new generation's share and scores">${axis}${timeAxis(x, span.t0, span.t1, bottom, bottom - top)}${boundaries}${scores.join('')}<path class="share" d="${share}"/><text class="legend-share" x="${WIDTH - 140}" y="${top}">new generation %</text>${rb}</svg>`;
}

export function gateSvg(gate: GateSeries, span: TimeSpan, shortNames: Map<string, string> = new Map()): string {
  const height = 220;
  const top = 20;
  const bottom = height - 50;
  const values = gate.points.flatMap((p) => p.values.map((v) => v.value));
  const th = gate.threshold;
  const hi = Math.max(...values, th?.max ?? 0, th?.min ?? 0, 1e-9) * 1.15;
  const lo = Math.min(0, ...values, th?.min ?? 0);
  const x = scale(span.t0, span.t1, 50, WIDTH - 150);
  const y = scale(lo, hi, bottom, top);
  const clusters = [...new Set(gate.points.flatMap((p) => p.values.map((v) => v.cluster)))];
  const line = (v: number | undefined, cls: string, label: string): string =>
    v === undefined ? '' : `<g class="${cls}" data-value="${v}"><line x1="50" x2="${WIDTH - 150}" y1="${y(v)}" y2="${y(v)}"/><text x="${WIDTH - 146}" y="${y(v) + 4}">${esc(label)} ${v}</text></g>`;
  const points = gate.points.map((p) => {
    const px = x(Date.parse(p.time));
    const dots = p.values
      .map((v) => `<circle ${attrs({ class: `value ${v.side}`, cx: px, cy: y(v.value), r: 4, fill: PALETTE[clusters.indexOf(v.cluster) % PALETTE.length], 'data-cluster': v.cluster, 'data-value': v.value })}><title>${esc(`${v.cluster} (${v.side}): ${v.value}${v.query ? `\n${v.query}` : ''}`)}</title></circle>`)
      .join('');
    const samples = p.samples ? `<text class="samples" x="${px}" y="${bottom + 28}" text-anchor="middle">n=${p.samples.new ?? '?'}${p.samples.old !== undefined ? `/${p.samples.old}` : ''}</text>` : '';
    const decided = p.outcome === 'fail' || p.outcome === 'halt' || p.verdict === 'fail' || p.verdict === 'halt';
    const mark = `<path ${attrs({ class: `decision ${esc(p.outcome)}`, d: `M${px - 5},${bottom + 8}h10l-5,8z`, 'data-time': p.time, 'data-outcome': p.outcome })}><title>${esc(`${clock(p.time)} ${p.outcome}${p.rule ? ` (${p.rule})` : ''}: ${p.message ?? ''}`)}</title></path>`;
    return `${dots}${samples}${decided ? mark.replace('class="decision', 'class="decision decisive') : mark}`;
  });
  const legend = clusters.map((c, i) => `<text x="${WIDTH - 140}" y="${top + 40 + i * 16}" fill="${PALETTE[i % PALETTE.length]}">${esc(shortNames.get(c) ?? c)}</text>`).join('');
  return `<svg class="chart gate" data-metric="${esc(gate.metric)}" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="gate ${esc(gate.metric)}">${timeAxis(x, span.t0, span.t1, bottom, bottom - top)}${line(th?.max, 'threshold max', 'max')}${line(th?.min, 'threshold min', 'min')}${points.join('')}${legend}</svg>`;
}
