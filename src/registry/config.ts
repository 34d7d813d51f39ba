/**
 * Config sections owned by the registry code (zod v4). The lead merges
 * {@link metaClusterAccessShape} into each `metaClusters[]` item and adds
 * {@link registrationSchema} as the top-level `registration` section.
 *
 * ```yaml
 * metaClusters:
 *   - name: prod-meta-eu01
 *     region: europe-west1
 *     # default access: port-forward through the meta cluster's Kubernetes API
 *     kubeconfig: ~/.kube/meta.yaml   # optional, default $KUBECONFIG or ~/.kube/config
 *     context: gke_prod_meta-eu01     # optional, default: the current context
 *     namespace: default
 *   - name: prod-meta-us01
 *     region: us-west1
 *     bridge: { address: "10.0.0.5:8080", tls: { ca: ca.pem, cert: tls.crt, key: tls.key } }
 * registration:
 *   urlTemplate: "dns:///ws-{{shortName}}.{{domain}}:8080"
 *   preferability: None
 *   cordoned: true
 *   admissionConstraints: ["has-permission=new-workspace-cluster"]
 * ```
 */
import * as z from 'zod';
import { patternString } from '../config/sections/primitives.js';
import { positiveDurationSchema } from '../traffic/duration-schema.js';
import { parseConstraint } from './constraints.js';
import { bridgeRegionProblem } from './region.js';

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):([0-9]{1,5})$/;

/** Label selector of the bridge pods (Gitpod's `component` label). */
export const BRIDGE_SELECTOR = 'component=ws-manager-bridge';
/** Port of the ClusterService inside the bridge pod (it listens on localhost only). */
export const BRIDGE_PORT = 8080;

/** `host:port` with a port in 1–65535. */
export const hostPortSchema = z
  .string()
  .regex(HOST_PORT, 'expected host:port, e.g. 127.0.0.1:8080')
  .refine((v) => {
    const port = Number(v.slice(v.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65535;
  }, 'port must be between 1 and 65535');

/** How a TLS file path is read: the config layer passes one that resolves and checks it. */
type TlsPathSchema = (what: string) => z.ZodType<string, string>;

const plainPath: TlsPathSchema = () => z.string().min(1);

/** TLS files for a direct connection to a bridge (paths; the config resolves relative ones against its folder). */
function bridgeTlsSchemaWith(path: TlsPathSchema) {
  return z
    .object({ ca: path('bridge CA file'), cert: path('bridge client certificate').optional(), key: path('bridge client key').optional() })
    .strict()
    .refine((t) => (t.cert === undefined) === (t.key === undefined), 'give both cert and key for client authentication, or neither');
}

/** Direct access to a bridge that is reachable without a port-forward. */
export function bridgeAccessSchemaWith(path: TlsPathSchema) {
  return z.object({ address: hostPortSchema, tls: bridgeTlsSchemaWith(path).optional() }).strict();
}

const bridgeAccessSchema = bridgeAccessSchemaWith(plainPath);

/**
 * A coarse bridge region (`europe`, `north-america`, `south-america`, `africa`,
 * `asia`) or `""` (any region): see `region.ts` for how it is derived when absent.
 */
export const bridgeRegionSchema = z.string().superRefine((value, ctx) => {
  const problem = bridgeRegionProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Fields to merge into each `metaClusters[]` item. */
export const metaClusterAccessShape = {
  /** When set, connect here directly instead of port-forwarding. */
  bridge: bridgeAccessSchema.optional(),
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
  namespace: patternString(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a kubernetes namespace name; use lowercase letters, digits and dashes, starting and ending with a letter or digit', 'default', 63).default('default'),
  /** Label selector of the bridge pods. */
  bridgeSelector: z.string().min(1).default(BRIDGE_SELECTOR),
  /** ClusterService port inside the bridge pod. */
  bridgePort: z.number().int().min(1).max(65535).default(BRIDGE_PORT),
  /**
   * How long one call to the bridge may take (default 15s; Register at least 60s, the bridge dials ws-manager).
   * A call the bridge takes and never answers is tried twice, so about twice this bounds the wait.
   */
  bridgeTimeout: positiveDurationSchema('every call to the bridge would fail at once; write e.g. 15s')
    .optional()
    .describe('How long one call to ws-manager-bridge may take, e.g. 15s (the default; Register gets at least 60s). A bridge that never answers is given two tries.'),
};

export const metaClusterAccessSchema = z.object(metaClusterAccessShape);
type MetaClusterAccess = z.infer<typeof metaClusterAccessSchema>;
/** What connect needs: access fields plus the name for messages. */
export type MetaClusterRef = MetaClusterAccess & { name: string };

const constraintString = z.string().superRefine((value, ctx) => {
  try {
    parseConstraint(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** Variables the url template may use. */
const URL_TEMPLATE_VARIABLES = ['shortName', 'name', 'domain', 'region'] as const;
const DEFAULT_URL_TEMPLATE = 'dns:///ws-{{shortName}}.{{domain}}:8080';

/** The `registration` section: how new clusters enter every registry. */
export const registrationSchema = z
  .object({
    /** ws-manager url the bridges dial; `{{shortName}}`, `{{name}}`, `{{domain}}`, `{{region}}`. */
    urlTemplate: z
      .string()
      .default(DEFAULT_URL_TEMPLATE)
      .refine((t) => [...t.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].every((m) => (URL_TEMPLATE_VARIABLES as readonly string[]).includes(m[1] ?? '')), {
        message: `urlTemplate may only use ${URL_TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`,
      }),
    preferability: z.enum(['None', 'Prefer', 'DontSchedule']).default('None'),
    /** Register cordoned so no user lands on the cluster before the traffic shift. */
    cordoned: z.boolean().default(true),
    admissionConstraints: z.array(constraintString).default([]),
    /**
     * Removed from ws-manager-bridge in 2022-02 (RegisterRequest 6 is reserved):
     * still parsed so an old config gets a clear refusal, not "unknown key".
     */
    admissionPreferences: z
      .array(z.string())
      .max(0, {
        message:
          'admission preferences were removed from ws-manager-bridge in 2022-02 (RegisterRequest field 6); bridges since then ignore them. Delete admissionPreferences',
      })
      .optional(),
    /** Where the TLS material for Register lives in the new cluster. */
    tlsSecret: z
      .object({ name: z.string().min(1).default('ws-manager-client-tls'), namespace: z.string().min(1).default('default') })
      .strict()
      .default({ name: 'ws-manager-client-tls', namespace: 'default' }),
  })
  .strict();

export type RegistrationConfig = z.infer<typeof registrationSchema>;

/** Fills `{{var}}` placeholders; the schema already rejected unknown variables. */
export function renderUrlTemplate(template: string, vars: Record<(typeof URL_TEMPLATE_VARIABLES)[number], string>): string {
  return template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_m, key: string) => vars[key as keyof typeof vars] ?? '');
}
