/**
 * `clusters register --from-file`: a RegisterRequest in protobuf's JSON mapping
 * (what gpctl reads): camelCase or proto field names, TLS fields as base64 of
 * the PEM files, enums by name or number.
 */
import { z } from 'zod';
import { WsdError } from '../core/errors.js';
import type { AdmissionConstraint, AdmissionPreference, Preferability, RegisterInput } from './types.js';
import { tlsFromWire } from './wire.js';

const preferability = z
  .union([z.enum(['None', 'Prefer', 'DontSchedule']), z.literal(0), z.literal(1), z.literal(2)])
  .transform((p): Preferability => (typeof p === 'number' ? (['None', 'Prefer', 'DontSchedule'] as const)[p] : p));

const base64 = z.string().min(1).regex(/^[A-Za-z0-9+/=\s]+$/, 'expected base64 of a PEM file');

const constraint = z
  .object({
    hasFeaturePreview: z.object({}).optional(),
    has_feature_preview: z.object({}).optional(),
    hasPermission: z.object({ permission: z.string().min(1) }).optional(),
    has_permission: z.object({ permission: z.string().min(1) }).optional(),
    hasUserLevel: z.string().min(1).optional(),
    has_user_level: z.string().min(1).optional(),
  })
  .strict()
  .transform((c, ctx): AdmissionConstraint => {
    const permission = c.hasPermission ?? c.has_permission;
    const level = c.hasUserLevel ?? c.has_user_level;
    if (c.hasFeaturePreview || c.has_feature_preview) return { type: 'has-feature-preview' };
    if (permission) return { type: 'has-permission', permission: permission.permission };
    if (level) return { type: 'has-user-level', level };
    ctx.addIssue({ code: 'custom', message: 'an admission constraint needs hasFeaturePreview, hasPermission or hasUserLevel' });
    return z.NEVER;
  });

const preference = z
  .object({ userLevel: z.string().min(1).optional(), user_level: z.string().min(1).optional() })
  .strict()
  .transform((p, ctx): AdmissionPreference => {
    const level = p.userLevel ?? p.user_level;
    if (level) return { type: 'user-level', level };
    ctx.addIssue({ code: 'custom', message: 'an admission preference needs userLevel' });
    return z.NEVER;
  });

const registerFileSchema = z
  .object({
    name: z.string().min(1),
    url: z.string().min(1),
    tls: z.object({ ca: base64, crt: base64, key: base64 }).strict(),
    hints: z
      .object({ perfereability: preferability.optional(), cordoned: z.boolean().optional(), govern: z.boolean().optional() })
      .strict()
      .optional(),
    admissionConstraints: z.array(constraint).optional(),
    admission_constraints: z.array(constraint).optional(),
    admissionPreference: z.array(preference).optional(),
    admission_preference: z.array(preference).optional(),
  })
  .strict();

/** Parses the file's text; `source` names it in errors. Never echoes the TLS fields. */
export function parseRegisterFile(text: string, source: string): RegisterInput {
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
    tls: tlsFromWire({ ca: f.tls.ca, crt: f.tls.crt, key: f.tls.key }),
    hints: { preferability: f.hints?.perfereability ?? 'None', cordoned: f.hints?.cordoned ?? false, govern: f.hints?.govern ?? false },
    admissionConstraints: f.admissionConstraints ?? f.admission_constraints ?? [],
    admissionPreferences: f.admissionPreference ?? f.admission_preference ?? [],
  };
}
