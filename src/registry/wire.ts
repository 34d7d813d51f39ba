/**
 * Conversions between the protobuf wire shapes (`Wire*`) and our camelCase
 * types. Pure functions, so the simulator and the client share one mapping.
 */
import { formatConstraint } from './constraints.js';
import type {
  AdmissionConstraint,
  AdmissionPreference,
  ClusterStatus,
  RegisterInput,
  TlsMaterial,
  UpdateProperty,
  WireAdmissionConstraint,
  WireAdmissionPreference,
  WireClusterStatus,
  WireRegisterRequest,
  WireUpdateRequest,
} from './types.js';

export function constraintToWire(c: AdmissionConstraint): WireAdmissionConstraint {
  switch (c.type) {
    case 'has-feature-preview':
      return { has_feature_preview: {} };
    case 'has-permission':
      return { has_permission: { permission: c.permission } };
    case 'has-user-level':
      return { has_user_level: c.level };
  }
}

/** Undefined for an empty oneof (a newer bridge may send kinds we do not know). */
export function constraintFromWire(w: WireAdmissionConstraint | null | undefined): AdmissionConstraint | undefined {
  if (!w) return undefined;
  const which = w.constraint ?? (w.has_feature_preview ? 'has_feature_preview' : w.has_permission ? 'has_permission' : w.has_user_level ? 'has_user_level' : undefined);
  switch (which) {
    case 'has_feature_preview':
      return { type: 'has-feature-preview' };
    case 'has_permission':
      return w.has_permission?.permission ? { type: 'has-permission', permission: w.has_permission.permission } : undefined;
    case 'has_user_level':
      return w.has_user_level ? { type: 'has-user-level', level: w.has_user_level } : undefined;
    default:
      return undefined;
  }
}

export function preferenceToWire(p: AdmissionPreference): WireAdmissionPreference {
  return { user_level: p.level };
}

export function preferenceFromWire(w: WireAdmissionPreference | null | undefined): AdmissionPreference | undefined {
  return w?.user_level ? { type: 'user-level', level: w.user_level } : undefined;
}

function defined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/** TlsConfig fields carry base64 of the PEM files (what gpctl sends and the bridge stores). */
export function tlsToWire(tls: TlsMaterial): { ca: string; crt: string; key: string } {
  const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');
  return { ca: b64(tls.ca), crt: b64(tls.crt), key: b64(tls.key) };
}

export function tlsFromWire(tls: { ca: string; crt: string; key: string }): TlsMaterial {
  const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  return { ca: pem(tls.ca), crt: pem(tls.crt), key: pem(tls.key) };
}

export function registerToWire(input: RegisterInput): WireRegisterRequest {
  return {
    name: input.name,
    url: input.url,
    tls: tlsToWire(input.tls),
    hints: { perfereability: input.hints.preferability, cordoned: input.hints.cordoned, govern: input.hints.govern },
    admission_constraints: input.admissionConstraints.map(constraintToWire),
    admission_preference: input.admissionPreferences.map(preferenceToWire),
  };
}

export function statusFromWire(w: WireClusterStatus): ClusterStatus {
  return {
    name: w.name,
    url: w.url,
    state: w.state,
    score: w.score,
    maxScore: w.max_score,
    governed: w.governed,
    static: w.static,
    admissionConstraints: (w.admission_constraint ?? []).map(constraintFromWire).filter(defined),
    admissionPreferences: (w.admission_preference ?? []).map(preferenceFromWire).filter(defined),
  };
}

export function statusToWire(s: ClusterStatus): WireClusterStatus {
  return {
    name: s.name,
    url: s.url,
    state: s.state,
    score: s.score,
    max_score: s.maxScore,
    governed: s.governed,
    static: s.static,
    admission_constraint: s.admissionConstraints.map(constraintToWire),
    admission_preference: s.admissionPreferences.map(preferenceToWire),
  };
}

export function updateToWire(name: string, property: UpdateProperty): WireUpdateRequest {
  if ('score' in property) return { name, score: property.score };
  if ('maxScore' in property) return { name, max_score: property.maxScore };
  if ('cordoned' in property) return { name, cordoned: property.cordoned };
  if ('admissionConstraint' in property) {
    const m = property.admissionConstraint;
    return { name, admission_constraint: { add: m.add, constraint: constraintToWire(m.constraint) } };
  }
  const m = property.admissionPreference;
  return { name, admission_preference: { add: m.add, preference: preferenceToWire(m.preference) } };
}

/** Short human description of an update, for events and errors. */
export function describeUpdate(property: UpdateProperty): string {
  if ('score' in property) return `score ${property.score}`;
  if ('maxScore' in property) return `max score ${property.maxScore}`;
  if ('cordoned' in property) return property.cordoned ? 'cordon' : 'uncordon';
  if ('admissionConstraint' in property) {
    const m = property.admissionConstraint;
    return `${m.add ? 'add' : 'remove'} admission constraint ${formatConstraint(m.constraint)}`;
  }
  const m = property.admissionPreference;
  return `${m.add ? 'add' : 'remove'} admission preference user-level=${m.preference.level}`;
}

// ---- server side (simulator): wire → ours ----

/** Decodes a RegisterRequest; `tls` stays undefined when absent so the server can refuse it. */
export function registerFromWire(w: WireRegisterRequest): Omit<RegisterInput, 'tls' | 'hints'> & {
  tls?: TlsMaterial;
  hints: { preferability: string | number; cordoned: boolean; govern: boolean };
} {
  return {
    name: w.name,
    url: w.url,
    tls: w.tls ? tlsFromWire(w.tls) : undefined,
    hints: { preferability: w.hints?.perfereability ?? 'None', cordoned: w.hints?.cordoned ?? false, govern: w.hints?.govern ?? false },
    admissionConstraints: (w.admission_constraints ?? []).map(constraintFromWire).filter(defined),
    admissionPreferences: (w.admission_preference ?? []).map(preferenceFromWire).filter(defined),
  };
}

/** Decodes the oneof of an UpdateRequest; undefined when no property is set. */
export function updateFromWire(w: WireUpdateRequest): UpdateProperty | undefined {
  switch (w.property) {
    case 'score':
      return { score: w.score ?? 0 };
    case 'max_score':
      return { maxScore: w.max_score ?? 0 };
    case 'cordoned':
      return { cordoned: w.cordoned ?? false };
    case 'admission_constraint': {
      const constraint = constraintFromWire(w.admission_constraint?.constraint);
      return constraint ? { admissionConstraint: { add: w.admission_constraint?.add ?? false, constraint } } : undefined;
    }
    case 'admission_preference': {
      const preference = preferenceFromWire(w.admission_preference?.preference);
      return preference ? { admissionPreference: { add: w.admission_preference?.add ?? false, preference } } : undefined;
    }
    default:
      return undefined;
  }
}
