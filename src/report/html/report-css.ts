/** The report's inline stylesheet (no external fonts or files). */
export const REPORT_CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#111;background:#fff;max-width:1200px}
h1{font-size:20px;margin:0}h2{font-size:16px;margin:24px 0 8px;border-bottom:1px solid #ddd}h3{font-size:14px;margin:12px 0 4px}
.state{display:inline-block;padding:2px 8px;border-radius:4px;font-weight:600;background:#e5e7eb}
.state.succeeded{background:#d1fae5}.state.failed{background:#fee2e2}.state.running{background:#dbeafe}.state.interrupted{background:#fef3c7}.state.partial{background:#fef3c7}
.error,.rollback{color:#991b1b;white-space:pre-wrap}
svg.chart{display:block;border:1px solid #eee;margin:4px 0;font-size:11px}
svg text{fill:#333}svg .tick{fill:#777}svg .grid{stroke:#eee}
rect.bar{fill:#9ca3af}rect.bar.succeeded{fill:#10b981}rect.bar.failed{fill:#ef4444}rect.bar.running{fill:#3b82f6}rect.bar.skipped{fill:#d1d5db}rect.bar.interrupted{fill:#f59e0b}
.retry{stroke:#111;stroke-width:2}.pending{fill:#aaa;font-style:italic}
.rollback-marker line{stroke:#dc2626;stroke-width:2;stroke-dasharray:4 2}.rollback-marker text{fill:#dc2626;font-weight:600}
.stage-boundary line{stroke:#6b7280;stroke-dasharray:2 3}.stage-boundary text{fill:#6b7280}
path.share{fill:none;stroke:#111;stroke-width:2.5}path.score{fill:none;stroke-width:1.5;stroke-dasharray:5 2}
.threshold line{stroke:#dc2626;stroke-width:1.5}.threshold text{fill:#dc2626}
path.decision{fill:#9ca3af}path.decision.pass{fill:#10b981}path.decision.decisive{fill:#dc2626}.samples{fill:#555}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #e5e7eb;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f9fafb}
.verdict.fail,.verdict.halt{color:#b91c1c;font-weight:600}.verdict.pass{color:#047857}.empty{color:#777}
`;
