/**
 * Reading Terraform's machine-readable UI stream (`-json`): one JSON object per
 * line with a `type`. We take diagnostics and the change summary from it instead
 * of scraping the human text.
 */

interface TerraformDiagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail: string;
  /** `file:line` when Terraform names a place in the configuration. */
  where?: string;
}

export interface ChangeSummary {
  add: number;
  change: number;
  remove: number;
  import: number;
}

interface StreamMessage {
  type?: string;
  diagnostic?: {
    severity?: string;
    summary?: string;
    detail?: string;
    range?: { filename?: string; start?: { line?: number } };
  };
  changes?: Partial<ChangeSummary>;
}

/** Parses the lines that are JSON objects; other lines (plain stderr) are ignored. */
function parseStream(output: string): StreamMessage[] {
  const messages: StreamMessage[] = [];
  for (const line of output.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (parsed && typeof parsed === 'object') messages.push(parsed as StreamMessage);
    } catch {
      // Not every line that starts with a brace is ours (provider logs): skip it.
    }
  }
  return messages;
}

/** Diagnostics of the stream, errors first. */
export function diagnostics(output: string): TerraformDiagnostic[] {
  const found: TerraformDiagnostic[] = [];
  for (const message of parseStream(output)) {
    const d = message.type === 'diagnostic' ? message.diagnostic : undefined;
    if (!d) continue;
    const file = d.range?.filename;
    const line = d.range?.start?.line;
    found.push({
      severity: d.severity === 'warning' ? 'warning' : 'error',
      summary: d.summary ?? '',
      detail: d.detail ?? '',
      ...(file ? { where: line ? `${file}:${line}` : file } : {}),
    });
  }
  return found.sort((a, b) => Number(a.severity === 'warning') - Number(b.severity === 'warning'));
}

/** The last change summary of a plan/apply stream, if any. */
export function changeSummary(output: string): ChangeSummary | undefined {
  let last: ChangeSummary | undefined;
  for (const message of parseStream(output)) {
    if (message.type !== 'change_summary' || !message.changes) continue;
    const c = message.changes;
    last = { add: c.add ?? 0, change: c.change ?? 0, remove: c.remove ?? 0, import: c.import ?? 0 };
  }
  return last;
}
