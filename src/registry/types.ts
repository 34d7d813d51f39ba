/**
 * Hand-written types for the cluster registry (shared/design.md §3).
 *
 * Two layers: `Wire*` types mirror the protobuf messages exactly as
 * `@grpc/proto-loader` decodes them with our options (snake_case field names,
 * enums as strings, oneof discriminators); the camelCase types are what the rest
 * of ws-deployment uses. Conversions live in `wire.ts`.
 */

/** Registry view of a cluster's state. */
export type ClusterState = 'UNKNOWN' | 'AVAILABLE' | 'CORDONED' | 'DRAINING';

/** Registration hint that sets the starting score: Prefer 100, None 50, DontSchedule 0. */
export type Preferability = 'None' | 'Prefer' | 'DontSchedule';

export const PREFERABILITIES: readonly Preferability[] = ['None', 'Prefer', 'DontSchedule'];

/** Who may get workspaces on a cluster. */
export type AdmissionConstraint =
  | { type: 'has-feature-preview' }
  | { type: 'has-permission'; permission: string }
  | { type: 'has-user-level'; level: string };

/** Users the cluster prefers (informational for us; kept so round trips are lossless). */
export interface AdmissionPreference {
  type: 'user-level';
  level: string;
}

/** PEM text of the client certificate ws-manager-bridge uses to dial ws-manager. */
export interface TlsMaterial {
  ca: string;
  crt: string;
  key: string;
}

export interface RegistrationHints {
  preferability: Preferability;
  cordoned: boolean;
  govern: boolean;
}

/** Everything Register sends. */
export interface RegisterInput {
  name: string;
  url: string;
  tls: TlsMaterial;
  hints: RegistrationHints;
  admissionConstraints: AdmissionConstraint[];
  admissionPreferences: AdmissionPreference[];
}

/** One row of List. */
export interface ClusterStatus {
  name: string;
  url: string;
  state: ClusterState;
  score: number;
  maxScore: number;
  governed: boolean;
  /** Defined in the bridge's own config: the registry cannot change it. */
  static: boolean;
  admissionConstraints: AdmissionConstraint[];
  admissionPreferences: AdmissionPreference[];
}

/** Exactly one property changed by Update. */
export type UpdateProperty =
  | { score: number }
  | { maxScore: number }
  | { cordoned: boolean }
  | { admissionConstraint: { add: boolean; constraint: AdmissionConstraint } }
  | { admissionPreference: { add: boolean; preference: AdmissionPreference } };

// ---- wire shapes (proto-loader: keepCase, enums: String, oneofs: true) ----

export interface WireAdmissionConstraint {
  has_feature_preview?: Record<string, never> | null;
  has_permission?: { permission: string } | null;
  has_user_level?: string;
  /** Set by proto-loader on decode: which oneof member is present. */
  constraint?: 'has_feature_preview' | 'has_permission' | 'has_user_level';
}

export interface WireAdmissionPreference {
  user_level?: string;
  preference?: 'user_level';
}

export interface WireTlsConfig {
  ca: string;
  crt: string;
  key: string;
}

export interface WireRegisterRequest {
  name: string;
  url: string;
  tls?: WireTlsConfig | null;
  hints?: { perfereability: Preferability | number; cordoned: boolean; govern: boolean } | null;
  admission_constraints: WireAdmissionConstraint[];
  admission_preference: WireAdmissionPreference[];
}

export interface WireClusterStatus {
  name: string;
  url: string;
  state: ClusterState;
  score: number;
  max_score: number;
  governed: boolean;
  admission_constraint: WireAdmissionConstraint[];
  admission_preference: WireAdmissionPreference[];
  static: boolean;
}

export interface WireUpdateRequest {
  name: string;
  score?: number;
  max_score?: number;
  cordoned?: boolean;
  admission_constraint?: { add: boolean; constraint?: WireAdmissionConstraint | null } | null;
  admission_preference?: { add: boolean; preference?: WireAdmissionPreference | null } | null;
  property?: 'score' | 'max_score' | 'cordoned' | 'admission_constraint' | 'admission_preference';
}

export interface WireDeregisterRequest {
  name: string;
  force: boolean;
}

export interface WireListResponse {
  status: WireClusterStatus[];
}
