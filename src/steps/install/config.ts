/**
 * Config sections of the install steps (`gitpod`, `jaeger`, `monitoring`) and of
 * the alive test (`aliveTest`). The lead merges these schemas into the root
 * config; each step reads its own section through {@link readSection} so it
 * does not depend on the root type.
 */
import * as z from 'zod';
import { patternString } from '../../config/sections/primitives.js';
import { configPath } from '../../config/sections/paths.js';
import { WsdError } from '../../core/errors.js';

/** Kubernetes names (DNS-1123 labels): release names and namespaces. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const k8sName = patternString(DNS_LABEL, 'a kubernetes name; use lowercase letters, digits and dashes, starting and ending with a letter or digit (a DNS-1123 label)', 'gitpod', 53);

/**
 * `--set` keys are restricted to plain dotted paths so helm's strvals parser and
 * our own merge (for the values digest) read them the same way.
 */
const SET_KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const setOverrides = z
  .record(patternString(SET_KEY, 'a set key; use a dotted path of letters, digits, "_" and "-" (no brackets, commas or escapes)', 'components.proxy.replicas'), z.union([z.string(), z.number(), z.boolean()]))
  .superRefine((set, ctx) => {
    // Helm applies --set-json, --set, --set-string (and the secret values file before them all)
    // by the flag's kind, not in argv order: with `a` and `a.b` both set, a value's type would
    // decide which one wins (real helm 3.18 and 4.1: `--set-string a=s --set a.b=1` gives a=s).
    const keys = Object.keys(set).sort();
    for (const key of keys) {
      const inner = keys.find((other) => other.startsWith(`${key}.`));
      if (inner === undefined) continue;
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `set keys "${key}" and "${inner}" overlap: "${key}" replaces all of "${key}" and "${inner}" a part of it, and helm would apply them in an order decided by their types; keep only "${key}" (with the whole value) or only the dotted keys under it`,
      });
    }
  })
  .default({});

/**
 * `set` keys whose values are secret besides the credential-named ones (core/secret-names.ts):
 * they reach helm in a 0600 values file removed after the call, never in its argv (`ps`, the plan).
 * Each must be a key of `set` (config rule `secretNamesExist`).
 */
const secretSet = z.array(patternString(SET_KEY, 'a key of set; use a dotted path of letters, digits, "_" and "-"', 'database.password')).default([]);

/** An exact SemVer chart version (`v` prefix and build metadata allowed: helm matches them, see sameChartVersion). */
const CHART_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** Where a chart comes from: a repository (https or oci) plus name, or a local chart directory. */
const chartSchema = z
  .strictObject({
    /** `https://…` chart repository or `oci://…` registry prefix. */
    repository: patternString(/^(https?|oci):\/\/\S+$/, 'a chart repository; use an https://, http:// or oci:// URL without spaces', 'https://charts.gitpod.io', 2048).optional(),
    /** Local chart directory or packaged `.tgz` (instead of `repository`). */
    path: configPath('file or directory', 'chart').optional(),
    name: patternString(/^[a-z0-9][-a-z0-9_.]*$/, 'a chart name; use lowercase letters, digits, "-", "_" and ".", starting with a letter or digit', 'gitpod'),
    /**
     * Chart version; required with `repository` so the release is pinned. Exact: helm reads
     * `--version` as a constraint (real helm 3.18 and 4.1 install 1.2.5 for `1.2` and 1.3.0 for
     * `^1.2.0`), which would neither pin the release nor ever match the deployed version.
     */
    version: patternString(
      CHART_VERSION,
      'an exact chart version; use a SemVer version such as 1.2.3 or 1.2.3-rc.1 (helm reads ranges such as "1.2", "~1.2" or "^1.2.0" as "the newest matching", which pins nothing)',
      '2022.11.0',
    ).optional(),
  })
  .superRefine((chart, ctx) => {
    if ((chart.repository === undefined) === (chart.path === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of chart.repository or chart.path' });
    }
    if (chart.repository !== undefined && chart.version === undefined) {
      ctx.addIssue({ code: 'custom', path: ['version'], message: 'pin chart.version when installing from a repository' });
    }
    // An https repository's credentials go to helm in a 0600 file (tools/helm-repo-credentials.ts); an OCI
    // reference is passed whole, so its userinfo would show in helm's command line to every user of the machine.
    if (chart.repository !== undefined && /^oci:\/\/[^/]*@/i.test(chart.repository)) {
      ctx.addIssue({
        code: 'custom',
        path: ['repository'],
        message:
          'credentials in an oci:// URL would reach helm\'s command line, which every user of the machine can read; ' +
          'remove them and use a registry that allows anonymous pulls, or serve the chart from an https:// repository (https://user:password@host/path: ws-deployment passes those to helm in a private file)',
      });
    }
  });
export type ChartConfig = z.infer<typeof chartSchema>;

const timeoutSeconds = z.number().int().positive().max(24 * 3600);

/**
 * Releases this one waits for, by section name (`gitpod`, `jaeger`, `monitoring`).
 * Releases install concurrently unless one is declared here; names and cycles are
 * checked across sections by the config rule `releaseDependencies`.
 */
const dependsOn = z.array(z.string()).default([]);

/** The Gitpod workspace-cluster release. */
const gitpodSectionSchema = z.strictObject({
  enabled: z.boolean().default(true),
  chart: chartSchema,
  release: k8sName.default('gitpod'),
  namespace: k8sName.default('default'),
  timeoutSeconds: timeoutSeconds.default(900),
  /** Values files applied to every cluster, before the cluster's own and the generated one. */
  valuesFiles: z.array(configPath('file', 'values file')).default([]),
  /** YAML that pins component versions (`version`, `components.<name>.version`). */
  versionsManifest: configPath('file', 'versions manifest').optional(),
  /** Base domain; workspace hosts become `ws-<short name>.<domain>`. Falls back to the root `domain`. */
  domain: patternString(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a dns domain; use lowercase letters, digits, dashes and dots, starting and ending with a letter or digit', 'gitpod.io', 253).optional(),
  set: setOverrides,
  secretSet,
  dependsOn,
});
export type GitpodSection = z.infer<typeof gitpodSectionSchema>;

/** The Jaeger resource created once the operator's CRD is established. */
const jaegerInstanceSchema = z.strictObject({
  name: k8sName.default('jaeger'),
  /** Defaults to the operator's namespace. */
  namespace: k8sName.optional(),
  spec: z.record(z.string(), z.unknown()).default({ strategy: 'allInOne' }),
});

/** jaeger-operator chart, then a `Jaeger` resource. */
export const jaegerSectionSchema = z.strictObject({
  enabled: z.boolean().default(true),
  chart: chartSchema.prefault({
    repository: 'https://jaegertracing.github.io/helm-charts',
    name: 'jaeger-operator',
    version: '2.57.0',
  }),
  release: k8sName.default('jaeger-operator'),
  namespace: k8sName.default('jaeger'),
  timeoutSeconds: timeoutSeconds.default(600),
  valuesFiles: z.array(configPath('file', 'values file')).default([]),
  set: setOverrides,
  secretSet,
  dependsOn,
  instance: jaegerInstanceSchema.prefault({}),
});
export type JaegerSection = z.infer<typeof jaegerSectionSchema>;

/** monitoring-satellite: a chart, or a directory of manifests applied server-side. */
export const monitoringSectionSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    chart: chartSchema.optional(),
    /** Directory of `*.yaml`/`*.yml`/`*.json` manifests (CRDs are applied first). */
    manifests: z.strictObject({ directory: configPath('directory', 'manifests folder') }).optional(),
    release: k8sName.default('monitoring-satellite'),
    namespace: k8sName.default('monitoring-satellite'),
    timeoutSeconds: timeoutSeconds.default(900),
    valuesFiles: z.array(configPath('file', 'values file')).default([]),
    set: setOverrides,
    secretSet,
    dependsOn,
  })
  .superRefine((section, ctx) => {
    if ((section.chart === undefined) === (section.manifests === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of monitoring.chart or monitoring.manifests' });
    }
  });
export type MonitoringSection = z.infer<typeof monitoringSectionSchema>;

/** An HTTP(S) endpoint that must answer with the expected status. `{shortName}`, `{name}`, `{region}`, `{domain}` are expanded. */
const httpCheckSchema = z.strictObject({
  url: patternString(/^https?:\/\/\S+$/, 'an alive-test url; use an http:// or https:// URL without spaces', 'https://ws-{shortName}.{domain}/healthz', 2048),
  expectedStatus: z.number().int().min(100).max(599).default(200),
  /** PEM CA bundle to trust (self-signed endpoints). */
  caFile: configPath('file', 'CA file').optional(),
});

/** TCP (and TLS) reachability of the ws-manager URL meta clusters will dial. */
const wsManagerCheckSchema = z.strictObject({
  url: z.string().min(1).default('dns:///ws-manager.ws-{shortName}.{domain}:8080'),
  tls: z.boolean().default(true),
  caFile: configPath('file', 'CA file').optional(),
  serverName: z.string().min(1).optional(),
});

/** Decides whether the new cluster is alive before it is registered. */
export const aliveTestSectionSchema = z.strictObject({
  enabled: z.boolean().default(true),
  timeoutSeconds: z.number().positive().max(24 * 3600).default(600),
  pollIntervalSeconds: z.number().positive().max(600).default(10),
  command: z
    .strictObject({
      argv: z.array(z.string().min(1)).min(1),
      env: z.record(patternString(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name; use letters, digits and underscores, not starting with a digit', 'KUBECONFIG', 128), z.string()).default({}),
    })
    .optional(),
  rollout: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Defaults to the Gitpod release namespace. */
      namespace: k8sName.optional(),
    })
    .prefault({}),
  http: z.array(httpCheckSchema).default([]),
  wsManager: wsManagerCheckSchema.optional(),
});
export type AliveTestSection = z.infer<typeof aliveTestSectionSchema>;

/** Schemas by root key, for the lead to merge into the root config. */
export const installConfigSections = {
  gitpod: gitpodSectionSchema,
  jaeger: jaegerSectionSchema,
  monitoring: monitoringSectionSchema,
  aliveTest: aliveTestSectionSchema,
} as const;
type Sections = typeof installConfigSections;

/**
 * Parsed sections by the config's own section object: every cluster's steps read the same
 * sections (500 clusters, 4 steps), and a schema parse each time was a measurable part of `plan`.
 * Keyed weakly, so a config dropped is forgotten; the parsed value is frozen because it is shared
 * (the loaded config is never changed after validation).
 */
const parsedSections = new WeakMap<object, Map<string, unknown>>();

/**
 * Reads one section from the (already validated or raw) root config. Returns
 * undefined when the section is absent; parsing here keeps steps independent of
 * how the root schema is typed.
 */
export function readSection<K extends keyof Sections>(config: unknown, key: K): z.infer<Sections[K]> | undefined {
  const raw = (config as Record<string, unknown> | undefined)?.[key];
  if (raw === undefined) return undefined;
  const cacheable = typeof raw === 'object' && raw !== null;
  // By object and key: a YAML alias can put one object under two sections with different schemas.
  const known = cacheable ? parsedSections.get(raw)?.get(key) : undefined;
  if (known !== undefined) return known as z.infer<Sections[K]>;
  const parsed = installConfigSections[key].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = [key, ...(issue?.path ?? [])].join('.');
    // Record keys report "Invalid key in record" with the real reason nested one level down.
    const nested = issue && 'issues' in issue && Array.isArray(issue.issues) ? (issue.issues[0] as { message?: string } | undefined) : undefined;
    throw new WsdError('ConfigInvalid', `config ${where}: ${nested?.message ?? issue?.message ?? 'invalid'}; fix the config and run again`);
  }
  const data = deepFreeze(parsed.data) as z.infer<Sections[K]>;
  if (cacheable) parsedSections.set(raw, (parsedSections.get(raw) ?? new Map<string, unknown>()).set(key, data));
  return data;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** The installation's DNS zone when a section does not set its own domain. */
export function rootDomain(config: unknown): string | undefined {
  const domain = (config as { project?: { dnsZone?: unknown } } | undefined)?.project?.dnsZone;
  return typeof domain === 'string' ? domain : undefined;
}
