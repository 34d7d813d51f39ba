/**
 * Conversions between the protobuf wire shapes (`Wire*`) and our camelCase
 * types. Pure functions, so the simulator and the client share one mapping.
 */
import { formatConstraint } from './constraints.js';
import { TLS_CHANGE } from './status-errors.js';
import { CLUSTER_STATES } from './types.js';
import type {
  AdmissionConstraint,
  ClusterState,
  ClusterStatus,
  RegisterInput,
  TlsMaterial,
  UpdateProperty,
  WireAdmissionConstraint,
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
  }
}

/** Undefined for an empty oneof (a newer bridge may send kinds we do not know). */
export function constraintFromWire(w: WireAdmissionConstraint | null | undefined): AdmissionConstraint | undefined {
  if (!w) return undefined;
  const which = w.constraint ?? (w.has_feature_preview ? 'has_feature_preview' : w.has_permission ? 'has_permission' : undefined);
  switch (which) {
    case 'has_feature_preview':
      return { type: 'has-feature-preview' };
    case 'has_permission':
      // A permission-less constraint is no constraint; dropped like an empty oneof.
      return w.has_permission?.permission ? { type: 'has-permission', permission: w.has_permission.permission } : undefined;
    default:
      return undefined;
  }
}

function defined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/** TlsConfig fields carry base64 of the PEM files (what gpctl sends and the bridge stores). */
function tlsToWire(tls: TlsMaterial): { ca: string; crt: string; key: string } {
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
    hints: { perfereability: input.hints.preferability, cordoned: input.hints.cordoned },
    admission_constraints: input.admissionConstraints.map(constraintToWire),
    region: input.region,
    legacy_govern: input.hints.govern,
  };
}

/**
 * A state the proto names, or UNKNOWN with the number of one it does not (a newer bridge's): a reader that asks
 * "is it AVAILABLE?" must hear no, never the number (which matched nothing and crashed the table).
 */
function stateFromWire(state: ClusterState | number | undefined): { state: ClusterState; unknownState?: number } {
  if (typeof state === 'string' && CLUSTER_STATES.includes(state)) return { state };
  return { state: 'UNKNOWN', ...(typeof state === 'number' ? { unknownState: state } : {}) };
}

export function statusFromWire(w: WireClusterStatus): ClusterStatus {
  const constraints = (w.admission_constraint ?? []).map(constraintFromWire);
  const unknown = constraints.filter((c) => c === undefined).length;
  return {
    name: w.name,
    url: w.url,
    ...stateFromWire(w.state),
    score: w.score,
    maxScore: w.max_score,
    governed: w.governed,
    static: w.static,
    admissionConstraints: constraints.filter(defined),
    ...(unknown > 0 ? { unknownConstraints: unknown } : {}),
    region: w.region ?? '',
  };
}

export function statusToWire(s: ClusterStatus): WireClusterStatus {
  return {
    name: s.name,
    url: s.url,
    state: s.unknownState ?? s.state,
    score: s.score,
    max_score: s.maxScore,
    governed: s.governed,
    static: s.static,
    admission_constraint: s.admissionConstraints.map(constraintToWire),
    region: s.region,
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
  return { name, tls: tlsToWire(property.tls) };
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
  return TLS_CHANGE;
}

// ---- server side (simulator): wire → ours ----

/**
 * Decodes a RegisterRequest; `tls` stays undefined when absent so the server can
 * refuse it. `govern` is the legacy hint, read from the raw bytes by the caller.
 */
export function registerFromWire(w: WireRegisterRequest, govern: boolean): Omit<RegisterInput, 'tls' | 'hints'> & {
  tls?: TlsMaterial;
  hints: { preferability: string | number; cordoned: boolean; govern: boolean };
} {
  return {
    name: w.name,
    url: w.url,
    tls: w.tls ? tlsFromWire(w.tls) : undefined,
    hints: { preferability: w.hints?.perfereability ?? 'None', cordoned: w.hints?.cordoned ?? false, govern },
    admissionConstraints: (w.admission_constraints ?? []).map(constraintFromWire).filter(defined),
    region: w.region ?? '',
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
    case 'tls':
      return { tls: tlsFromWire(w.tls ?? { ca: '', crt: '', key: '' }) };
    default:
      return undefined;
  }
}
