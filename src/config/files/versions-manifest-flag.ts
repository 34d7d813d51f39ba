/**
 * `--versions-manifest FILE`: the manifest named on the command line instead of
 * in the config. It is validated with the config, so a broken one stops
 * `validate`, `plan` and `deploy` before anything runs; as no config key points
 * at it, its problems are positioned in the manifest itself.
 */
import path from 'node:path';
import type { ConfigIssue } from '../issues.js';
import { quote } from '../messages.js';
import { existenceProblem } from '../sections/paths.js';
import { describeProblem } from './yaml-file.js';
import { checkVersionsManifest, versionsManifestKind } from './versions-manifest.js';

const FLAG = '--versions-manifest';

/** The flag's file made absolute (against the working directory), and every problem with it. */
export function versionsManifestFlagIssues(given: string): { file: string; issues: ConfigIssue[] } {
  const file = path.resolve(given);
  const missing = existenceProblem(file, 'file');
  if (missing !== undefined) {
    // A file-level issue (line 0) is shown as its message alone, so the message names the flag.
    return { file, issues: [{ file, line: 0, col: 0, path: FLAG, message: `${FLAG} ${quote(given)} ${missing}` }] };
  }
  const outcome = checkVersionsManifest(file);
  if (outcome.ok) return { file, issues: [] };
  return {
    file,
    issues: outcome.problems.map((problem) =>
      problem.line > 0
        ? { file, line: problem.line, col: problem.col, path: FLAG, message: `${problem.message}; fix the file or pass another ${FLAG}` }
        : { file, line: 0, col: 0, path: FLAG, message: `${FLAG}: ${describeProblem(file, versionsManifestKind.subject, problem)}; fix the file or pass another ${FLAG}` },
    ),
  };
}
