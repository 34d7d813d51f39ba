/**
 * Helm values files: YAML whose top level is a mapping (or nothing at all, which
 * helm reads as no values). Config validation checks every values file the
 * config lists; the install steps read them through {@link readValuesFile}.
 */
import { describeValue } from '../messages.js';
import { readYamlFile, readYamlFileShared, throwFileProblem, type FileOutcome, type FileProblem, type YamlFileKind } from './yaml-file.js';

export type Values = Record<string, unknown>;

/** A YAML mapping as JS: what helm merges (lists and scalars replace instead). */
export function isValuesMap(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A values file as helm would take it: a mapping, or empty. */
export const valuesFileKind: YamlFileKind<Values> = {
  subject: 'values file',
  interpret({ value, positionOf }) {
    if (value === null) return { ok: true, value: {} };
    if (isValuesMap(value)) return { ok: true, value };
    return {
      ok: false,
      problems: [{ kind: 'content', ...positionOf([]), message: `holds ${describeValue(value)} at the top level; a values file is a mapping (key: value) or empty` }],
    };
  },
};

/** The values of `file` (absolute), or every problem with it, positioned inside the file. */
export function checkValuesFile(file: string): FileOutcome<Values> {
  return readYamlFile(file, valuesFileKind);
}

/**
 * Reads one values file for a step; a missing or malformed file is a user error
 * naming the file and the position in it. Synchronous on purpose: `describe`
 * (plan) is synchronous and shows the values digest too.
 */
export function readValuesFile(file: string): Values {
  const outcome = checkValuesFile(file);
  if (!outcome.ok) throwFileProblem(file, valuesFileKind.subject, outcome.problems[0] as FileProblem);
  return outcome.value;
}

/**
 * {@link readValuesFile} without the copy: the cached values, deeply frozen, the same
 * object while the file is unchanged (for merges memoized by identity).
 */
export function readValuesFileShared(file: string): Readonly<Values> {
  const outcome = readYamlFileShared(file, valuesFileKind);
  if (!outcome.ok) throwFileProblem(file, valuesFileKind.subject, outcome.problems[0] as FileProblem);
  return outcome.value;
}
