/**
 * The YAML files the config points at must parse, not only exist: a broken
 * values file or versions manifest would otherwise pass `validate` and fail
 * `deploy` halfway, after clusters were created. Each problem is reported at the
 * referencing key, with its position inside the referenced file.
 */
import { statSync } from 'node:fs';
import { describeProblem, type FileOutcome } from '../files/yaml-file.js';
import { checkValuesFile, valuesFileKind } from '../files/values-file.js';
import { checkVersionsManifest, versionsManifestKind } from '../files/versions-manifest.js';
import { resolveConfigPath } from '../sections/paths.js';
import { asList, asRecord, type CrossRule, type RuleIssue } from './rule.js';

/** Sections whose `valuesFiles` feed a helm release. */
const RELEASE_SECTIONS = ['gitpod', 'jaeger', 'monitoring'] as const;

/**
 * The absolute path of a reference that names an existing regular file, else
 * undefined: a missing or odd path already has its own issue from the schema.
 */
function existingFile(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const absolute = resolveConfigPath(value);
  try {
    return statSync(absolute, { throwIfNoEntry: false })?.isFile() ? absolute : undefined;
  } catch {
    return undefined;
  }
}

function issuesOf(path: (string | number)[], file: string, subject: string, outcome: FileOutcome<unknown>, remedy: string): RuleIssue[] {
  if (outcome.ok) return [];
  return outcome.problems.map((problem) => ({ path, message: `${describeProblem(file, subject, problem)}; ${remedy}` }));
}

function valuesFileIssues(list: unknown, path: (string | number)[]): RuleIssue[] {
  return asList(list).flatMap((item, index) => {
    const file = existingFile(item);
    if (file === undefined) return [];
    return issuesOf([...path, index], file, valuesFileKind.subject, checkValuesFile(file), 'fix the file or remove it from the list');
  });
}

/** Every values file (global per release, and per workspace cluster) is a YAML mapping or empty. */
export const valuesFilesParse: CrossRule = (config) => {
  const root = asRecord(config);
  return [
    ...RELEASE_SECTIONS.flatMap((section) => valuesFileIssues(asRecord(root?.[section])?.valuesFiles, [section, 'valuesFiles'])),
    ...asList(root?.workspaceClusters).flatMap((cluster, index) => valuesFileIssues(asRecord(cluster)?.valuesFiles, ['workspaceClusters', index, 'valuesFiles'])),
  ];
};

/** `gitpod.versionsManifest` parses and pins something. */
export const versionsManifestParses: CrossRule = (config) => {
  const file = existingFile(asRecord(asRecord(config)?.gitpod)?.versionsManifest);
  if (file === undefined) return [];
  return issuesOf(['gitpod', 'versionsManifest'], file, versionsManifestKind.subject, checkVersionsManifest(file), 'fix the file or point gitpod.versionsManifest at another one');
};
