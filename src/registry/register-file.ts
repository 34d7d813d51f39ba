/**
 * `clusters register --from-file`: a RegisterRequest in protobuf's JSON mapping
 * (what gpctl reads): camelCase or proto field names, TLS fields as base64 of
 * the PEM files, enums by name or number, `region` (coarse bridge region).
 * Fields the bridge removed are refused by name with the version that dropped
 * them; the legacy `hints.govern` is still read (bridges before 2023-03 obey it).
 */
import * as z from 'zod';
import { WsdError } from '../core/errors.js';
import { REMOVED_CONSTRAINT_KINDS } from './constraints.js';
import { bridgeRegionProblem } from './region.js';
import type { AdmissionConstraint, Preferability, RegisterInput } from './types.js';
import { tlsFromWire } from './wire.js';

const preferability = z
  .union([z.enum(['None', 'Prefer', 'DontSchedule']), z.literal(0), z.literal(1), z.literal(2)])
  .transform((p): Preferability => (typeof p === 'number' ? (['None', 'Prefer', 'DontSchedule'] as const)[p] : p));

/** A key the bridge no longer knows: refused with when and why, since the bridge would drop it silently. */
function removed(key: string, when: string) {
  return z.unknown().optional().superRefine((value, ctx) => {
    if (value !== undefined) ctx.addIssue({ code: 'custom', message: `${key} was ${when}; bridges since then ignore it, so it would do nothing. Remove it` });
  });
}

const base64 = z.string().min(1).regex(/^[A-Za-z0-9+/=\s]+$/, 'expected base64 of a PEM file');

const constraint = z
  .object({
    hasFeaturePreview: z.object({}).optional(),
    has_feature_preview: z.object({}).optional(),
    hasPermission: z.object({ permission: z.string().min(1) }).optional(),
    has_permission: z.object({ permission: z.string().min(1) }).optional(),
    hasUserLevel: removed('hasUserLevel', `removed from ws-manager-bridge in ${REMOVED_CONSTRAINT_KINDS['has-user-level']?.removed} (AdmissionConstraint 3)`),
    has_user_level: removed('has_user_level', `removed from ws-manager-bridge in ${REMOVED_CONSTRAINT_KINDS['has-user-level']?.removed} (AdmissionConstraint 3)`),
    hasMoreResources: removed('hasMoreResources', `removed from ws-manager-bridge in ${REMOVED_CONSTRAINT_KINDS['has-more-resources']?.removed} (AdmissionConstraint 4)`),
    has_more_resources: removed('has_more_resources', `removed from ws-manager-bridge in ${REMOVED_CONSTRAINT_KINDS['has-more-resources']?.removed} (AdmissionConstraint 4)`),
  })
  .strict()
  .transform((c, ctx): AdmissionConstraint => {
    const permission = c.hasPermission ?? c.has_permission;
    if (c.hasFeaturePreview || c.has_feature_preview) return { type: 'has-feature-preview' };
    if (permission) return { type: 'has-permission', permission: permission.permission };
    ctx.addIssue({ code: 'custom', message: 'an admission constraint needs hasFeaturePreview or hasPermission' });
    return z.NEVER;
  });

const registerFileSchema = z
  .object({
    name: z.string().min(1).optional(),
    url: z.string().min(1).optional(),
    tls: z.object({ ca: base64, crt: base64, key: base64 }).strict().optional(),
    hints: z
      .object({ perfereability: preferability.optional(), cordoned: z.boolean().optional(), govern: z.boolean().optional() })
      .strict()
      .optional(),
    admissionConstraints: z.array(constraint).optional(),
    admission_constraints: z.array(constraint).optional(),
    region: z
      .string()
      .superRefine((v, ctx) => {
        const problem = bridgeRegionProblem(v);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    admissionPreference: removed('admissionPreference', 'removed from ws-manager-bridge in 2022-02 (RegisterRequest 6)'),
    admission_preference: removed('admission_preference', 'removed from ws-manager-bridge in 2022-02 (RegisterRequest 6)'),
  })
  .strict();

/** A RegisterRequest from a file: name, url and tls may come from flags instead. */
type RegisterFileInput = Omit<RegisterInput, 'name' | 'url' | 'tls'> & { name?: string; url?: string; tls?: RegisterInput['tls'] };

/** Parses the file's text; `source` names it in errors. Never echoes the TLS fields. */
export function parseRegisterFile(text: string, source: string): RegisterFileInput {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new WsdError('UsageError', `${source} is not valid JSON (${(error as Error).message}); it must hold a RegisterRequest as gpctl writes it`);
  }
  const parsed = registerFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new WsdError('UsageError', `${source} is not a valid RegisterRequest: ${problems}`);
  }
  const f = parsed.data;
  return {
    name: f.name,
    url: f.url,
    tls: f.tls ? tlsFromWire({ ca: f.tls.ca, crt: f.tls.crt, key: f.tls.key }) : undefined,
    hints: { preferability: f.hints?.perfereability ?? 'None', cordoned: f.hints?.cordoned ?? false, govern: f.hints?.govern ?? false },
    admissionConstraints: f.admissionConstraints ?? f.admission_constraints ?? [],
    region: f.region ?? '',
  };
}
