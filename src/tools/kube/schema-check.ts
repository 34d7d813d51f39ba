/**
 * Checks rendered objects against the Kubernetes OpenAPI schemas shipped by
 * `kubernetes-models` (the built-in kinds of one Kubernetes release): a
 * `replicas: "one"` or a misspelt field under `spec` is found before anything is
 * applied. Kinds it does not know (custom resources such as `Jaeger`) are
 * counted as unchecked, never reported as errors: their schema lives in a CRD.
 */
import type { KubernetesObject } from '@kubernetes/client-node';

/** One object the schema refused. */
interface SchemaViolation {
  /** `Kind/name` (plus namespace when set). */
  object: string;
  /** The schema's own words, with the JSON path inside the object. */
  problems: string[];
}

export interface SchemaReport {
  objects: number;
  checked: number;
  /** `apiVersion Kind` of objects no schema was found for (deduplicated, sorted). */
  uncheckedKinds: string[];
  violations: SchemaViolation[];
}

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

const GROUP = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const VERSION = /^v[0-9]+([a-z]+[0-9]*)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

const models = new Map<string, Promise<ModelClass | undefined>>();

/** The model class for `apiVersion`/`kind`, or undefined when kubernetes-models has none. */
function modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const key = `${apiVersion} ${kind}`;
  let found = models.get(key);
  if (!found) {
    found = (async () => {
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
      // Only names shaped like Kubernetes API names become a module path (no traversal).
      if ((group !== '' && !GROUP.test(group ?? '')) || !VERSION.test(version ?? '') || !KIND.test(kind)) return undefined;
      const specifier = group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
      try {
        const module = (await import(specifier)) as Record<string, unknown>;
        const model = module[kind];
        return typeof model === 'function' ? (model as ModelClass) : undefined;
      } catch {
        return undefined;
      }
    })();
    models.set(key, found);
  }
  return found;
}

function label(object: KubernetesObject): string {
  const name = object.metadata?.name ?? '(no name)';
  const ns = object.metadata?.namespace;
  return `${object.kind ?? '(no kind)'}/${ns ? `${ns}/` : ''}${name}`;
}

function problemsOf(error: unknown): string[] {
  const details = (error as { errors?: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }> }).errors;
  if (!Array.isArray(details) || details.length === 0) return [error instanceof Error ? error.message : String(error)];
  return details.map((d) => {
    const extra = d.params && 'additionalProperty' in d.params ? ` (${String(d.params.additionalProperty)})` : '';
    return `${d.instancePath || '/'} ${d.message ?? 'is invalid'}${extra}`;
  });
}

/** Validates every object; never throws for a bad object (the caller decides what a violation means). */
export async function checkObjects(objects: readonly KubernetesObject[]): Promise<SchemaReport> {
  const report: SchemaReport = { objects: objects.length, checked: 0, uncheckedKinds: [], violations: [] };
  const unchecked = new Set<string>();
  for (const object of objects) {
    const apiVersion = object.apiVersion ?? '';
    const kind = object.kind ?? '';
    const Model = await modelFor(apiVersion, kind);
    if (!Model) {
      unchecked.add(`${apiVersion} ${kind}`.trim());
      continue;
    }
    report.checked++;
    try {
      new Model(object).validate();
    } catch (error) {
      report.violations.push({ object: label(object), problems: problemsOf(error) });
    }
  }
  report.uncheckedKinds = [...unchecked].sort();
  return report;
}

/** Adds up reports (one per release) into the run's total. */
export function mergeReports(reports: readonly SchemaReport[]): SchemaReport {
  const kinds = new Set<string>();
  const total: SchemaReport = { objects: 0, checked: 0, uncheckedKinds: [], violations: [] };
  for (const r of reports) {
    total.objects += r.objects;
    total.checked += r.checked;
    total.violations.push(...r.violations);
    r.uncheckedKinds.forEach((k) => kinds.add(k));
  }
  total.uncheckedKinds = [...kinds].sort();
  return total;
}
