/**
 * The deployment report: one self-contained HTML file (inline CSS and SVG, no
 * script, no network at view time). A pure function of the report model.
 */
import type { ReportModel } from './report-model.js';
import { deploymentOutcome } from '../outcome.js';
import { errorLine } from '../summary.js';
import { ganttSvg, gateSvg, trafficSvg } from './charts.js';
import { esc } from './svg.js';
import { REPORT_CSS } from './report-css.js';

function table(head: string[], rows: string[][], cls: string): string {
  if (rows.length === 0) return `<p class="empty ${cls}">none</p>`;
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function evidence(e: Record<string, string | number | boolean>): string {
  return Object.entries(e)
    .map(([k, v]) => `${esc(k)}=${esc(v)}`)
    .join(', ');
}

export function renderReportHtml(m: ReportModel): string {
  const s = m.snapshot;
  const shortNames = new Map(s.clusters.map((c) => [c.name, c.shortName]));
  for (const c of [...(m.shift?.newClusters ?? []), ...(m.shift?.oldClusters ?? [])]) if (c.cluster) shortNames.set(c.cluster, c.name);
  // Said as the summary's head says it (held at a gate, failed after promotion, superseded …).
  const told = deploymentOutcome(s);
  const outcome = m.shift?.rollback && told.outcome !== 'rolled-back' ? 'rolled back' : told.words;
  const error = errorLine(s);
  const head = `<header><h1>Deployment ${esc(s.id)}</h1><p class="state ${esc(s.state)}" data-state="${esc(s.state)}">${esc(outcome)}</p>
<p>${esc(s.inputs.project)} / ${esc(s.inputs.environment)} · cluster id ${s.clusterId} · started ${esc(s.createdAt)} · last record ${esc(s.updatedAt)} · report made ${esc(m.generatedAt)}</p>
${error ? `<p class="error">${esc(error)}</p>` : ''}${m.retirement ? `<p class="retirement">${esc(m.retirement)}</p>` : ''}${m.next ? `<p class="next">next: ${esc(m.next)}</p>` : ''}${partialLine(m)}${m.superseded ? `<p class="superseded">${esc(m.superseded)}</p>` : ''}${m.held ? `<p class="held">${esc(m.held)}</p>` : ''}${m.waiting ? `<p class="waiting">${esc(m.waiting)}</p>` : ''}</header>`;
  const rollback = m.shift?.rollback;
  const timeline = `<section id="timeline"><h2>Timeline</h2>${ganttSvg(m.bars, m.span, shortNames, rollback)}</section>`;
  const traffic = m.shift
    ? `<section id="traffic"><h2>Traffic shift${m.shift.attempt > 1 ? ` (attempt ${m.shift.attempt}, retried)` : ''}</h2>${rollback ? `<p class="rollback">rolled back ${rollback.from ? `from ${esc(rollback.from)} ` : ''}at ${esc(rollback.time)}: ${esc(rollback.reason)}</p>` : ''}${trafficSvg(m.shift, m.span)}</section>`
    : '<section id="traffic"><h2>Traffic shift</h2><p class="empty">the traffic shift did not run</p></section>';
  const gates = `<section id="gates"><h2>Gates</h2>${m.gates.length ? m.gates.map((g) => `<h3>${esc(g.metric)}${g.threshold ? ` <small>(${g.threshold.min !== undefined ? `min ${g.threshold.min} ` : ''}${g.threshold.max !== undefined ? `max ${g.threshold.max}` : ''})</small>` : ''}</h3>${gateSvg(g, m.span, shortNames)}`).join('') : '<p class="empty">no measurements</p>'}</section>`;
  const decisions = `<section id="decisions"><h2>Decisions</h2>${table(
    ['time', 'stage', 'verdict', 'rule', 'metric evidence', 'message'],
    m.decisions.map((d) => [
      esc(d.time.slice(11, 19)),
      d.percent !== undefined ? `${d.percent} %` : '',
      `<span class="verdict ${esc(d.verdict)}">${esc(d.verdict)}</span>`,
      esc(d.rule),
      d.metrics.map((x) => `<b>${esc(x.metric)}</b> ${esc(x.outcome)}${x.rule ? ` (${esc(x.rule)})` : ''}${x.samples ? `, samples ${x.samples.new ?? '?'} new${x.samples.old !== undefined ? ` / ${x.samples.old} old` : ''}${x.samples.min !== undefined ? ` (min ${x.samples.min})` : ''}` : ''}${Object.keys(x.evidence).length ? `; ${evidence(x.evidence)}` : ''}${x.message ? `<br>${esc(x.message)}` : ''}`).join('<br>'),
      esc(d.message),
    ]),
    'decisions',
  )}</section>`;
  const actions = `<section id="actions"><h2>Operator actions and gates</h2>${table(['time', 'what', 'message'], (m.shift?.actions ?? []).map((a) => [esc(a.time.slice(11, 19)), esc(a.code), esc(a.message)]), 'actions')}</section>`;
  const registries = `<section id="registries"><h2>Registries (final state)</h2>${table(
    ['meta cluster', 'cluster', 'state', 'score', 'constraints', 'how'],
    m.registries.map((r) => [esc(r.meta), esc(r.cluster), esc(r.state), r.score === undefined ? '' : String(r.score), esc(r.constraints.join(', ')), esc(r.note)]),
    'registries',
  )}</section>`;
  const steps = `<section id="steps"><h2>Steps</h2>${table(
    ['cluster', 'step', 'state', 'attempts', 'detail'],
    m.bars.map((b) => [esc(b.lane === '*' ? '(all clusters)' : (shortNames.get(b.lane) ?? b.lane)), esc(b.step), esc(b.state), String(b.attempts.length), esc(b.detail ?? '')]),
    'steps',
  )}</section>`;
  const notes = m.notifications.length ? `<section id="notifications"><h2>Notifications</h2>${table(['time', 'level', 'delivery'], m.notifications.map((n) => [esc(n.time.slice(11, 19)), esc(n.level), esc(n.message)]), 'notifications')}</section>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ws-deployment ${esc(s.id)}: ${esc(outcome)}</title>
<style>${REPORT_CSS}</style></head>
<body>${head}${timeline}${traffic}${gates}${decisions}${actions}${registries}${steps}${notes}</body></html>
`;
}

/** A partial deployment: how many steps are left and the command that runs them. */
function partialLine(m: ReportModel): string {
  if (!m.partial) return '';
  return `<p class="partial" data-excluded="${m.partial.excluded}">${esc(m.partial.message)}</p>`;
}
