/**
 * Config problems as positioned issues. Validation collects every problem of a
 * config in one run and raises them together, so a user fixes all of them at once.
 */
import { WsdError } from '../core/errors.js';

/** One problem in a config file. */
export interface ConfigIssue {
  /** The config file (absolute when it came from {@link loadConfig}). */
  file: string;
  /**
   * 1-based line and column of the offending YAML node: the key for unknown keys,
   * the value for bad values, the parent mapping for missing keys. Both are 0 only
   * for problems with the file as a whole (it does not exist, cannot be read).
   */
  line: number;
  col: number;
  /** Where in the config, e.g. `workspaceClusters[1].governedBy`; `(yaml)` for syntax, `(root)` for the document. */
  path: string;
  /** Lowercase, names the bad value and what is allowed. */
  message: string;
}

/** `FILE:LINE:COL: <path>: <message>`; file-level issues are just the message. */
export function formatIssue(issue: ConfigIssue): string {
  if (issue.line <= 0) return issue.message;
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.path}: ${issue.message}`;
}

/** The config is invalid; `issues` holds every problem found, in file order. */
export class ConfigInvalidError extends WsdError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super('ConfigInvalid', issues.map(formatIssue).join('\n'), {
      source: 'user',
      details: { issues: issues.map((i) => ({ ...i })) },
    });
    this.name = 'ConfigInvalidError';
    this.issues = issues;
  }
}

/** Orders issues by position (stable) and drops exact duplicates. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const key = formatIssue(i);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => a.issue.line - b.issue.line || a.issue.col - b.issue.col || a.index - b.index)
    .map((x) => x.issue);
}

/** More issues than this are summarised: a hostile file must not produce megabytes of errors. */
const MAX_ISSUES = 100;

/** Keeps the first {@link MAX_ISSUES} issues and says how many more there were. */
export function capIssues(issues: ConfigIssue[]): ConfigIssue[] {
  if (issues.length <= MAX_ISSUES) return issues;
  const kept = issues.slice(0, MAX_ISSUES);
  const last = kept[kept.length - 1] as ConfigIssue;
  kept.push({ ...last, path: '(config)', message: `${issues.length - MAX_ISSUES} more problems not shown; fix the ones above first` });
  return kept;
}
