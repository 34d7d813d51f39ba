/**
 * The versions manifest: YAML that pins the Gitpod version (`version`) and/or
 * component versions (`components.<name>.version`, or `components.<name>: v`).
 * It must exist, parse and pin something; install-gitpod turns it into
 * generated values.
 */
import * as z from 'zod';
import { describeValue } from '../messages.js';
import { formatPath } from '../zod-issues.js';
import { isValuesMap } from './values-file.js';
import { readYamlFile, throwFileProblem, type FileOutcome, type FileProblem, type YamlFileKind } from './yaml-file.js';

const versionString = z.string({ error: (issue) => `expected a version string such as "2022.11.0", got ${describeValue(issue.input)}` }).min(1, 'expected a version string, got an empty one');

const componentPin = z.union([versionString, z.looseObject({ version: versionString })], {
  error: (issue) => `expected a version string or a mapping with "version", got ${describeValue(issue.input)}`,
});

const versionsManifestSchema = z.looseObject({
  version: versionString.optional(),
  components: z
    .record(z.string(), componentPin, { error: (issue) => `expected a mapping of component name to version, got ${describeValue(issue.input)}` })
    .optional(),
});
export type VersionsManifest = z.infer<typeof versionsManifestSchema>;

/** A manifest as install-gitpod needs it. */
export const versionsManifestKind: YamlFileKind<VersionsManifest> = {
  subject: 'versions manifest',
  interpret({ value, positionOf }) {
    if (!isValuesMap(value)) {
      const what = value === null ? 'is empty' : `holds ${describeValue(value)} at the top level`;
      return { ok: false, problems: [{ kind: 'content', ...positionOf([]), message: `${what}; a versions manifest is a mapping with "version" and/or "components"` }] };
    }
    const parsed = versionsManifestSchema.safeParse(value);
    if (!parsed.success) {
      return {
        ok: false,
        problems: parsed.error.issues.map((issue): FileProblem => {
          // A union's message is the summary; a nested one (the `version` of a component mapping) is more precise.
          const nested = issue.code === 'invalid_union' ? issue.errors.find((branch) => branch.some((i) => i.path.length > 0))?.[0] : undefined;
          const path = [...issue.path, ...(nested?.path ?? [])];
          return { kind: 'content', ...positionOf(path), message: `${formatPath(path)}: ${nested?.message ?? issue.message}` };
        }),
      };
    }
    if (parsed.data.version === undefined && parsed.data.components === undefined) {
      return { ok: false, problems: [{ kind: 'content', ...positionOf([]), message: 'pins nothing; set "version" and/or "components.<name>.version"' }] };
    }
    return { ok: true, value: parsed.data };
  },
};

/** The manifest in `file` (absolute), or every problem with it, positioned inside the file. */
export function checkVersionsManifest(file: string): FileOutcome<VersionsManifest> {
  return readYamlFile(file, versionsManifestKind);
}

/** Reads the versions manifest for install-gitpod; it must exist, parse as YAML and pin something. */
export function readVersionsManifest(file: string): VersionsManifest {
  const outcome = checkVersionsManifest(file);
  if (!outcome.ok) throwFileProblem(file, versionsManifestKind.subject, outcome.problems[0] as FileProblem);
  return outcome.value;
}
