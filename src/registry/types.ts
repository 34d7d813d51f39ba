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

/** The names of ClusterState this tool's proto has (a newer bridge may send a number beyond them). */
export const CLUSTER_STATES: readonly ClusterState[] = ['UNKNOWN', 'AVAILABLE', 'CORDONED', 'DRAINING'];

/** Registration hint that sets the starting score: Prefer 100, None 50, DontSchedule 0. */
export type Preferability = 'None' | 'Prefer' | 'DontSchedule';

/** Who may get workspaces on a cluster (the kinds the current bridge knows). */
export type AdmissionConstraint = { type: 'has-feature-preview' } | { type: 'has-permission'; permission: string };

/**
 * Coarse region the bridge accepts (since 2023-02); `''` = the cluster may take
 * workspaces from any region. Not a GCP region: see `region.ts`.
 */
export const BRIDGE_REGIONS = ['europe', 'north-america', 'south-america', 'africa', 'asia'] as const;
export type BridgeRegion = (typeof BRIDGE_REGIONS)[number] | '';

/** PEM text of the client certificate ws-manager-bridge uses to dial ws-manager. */
export interface TlsMaterial {
  ca: string;
  crt: string;
  key: string;
}

export interface RegistrationHints {
  preferability: Preferability;
  cordoned: boolean;
  /**
   * The pre-2023-03 `govern` hint (hints field 3, reserved in the current
   * proto). Current bridges ignore it and govern every cluster; older ones take
   * it as is. Sent as a raw varint, see `legacy-govern.ts`.
   */
  govern: boolean;
}

/** Everything Register sends. */
export interface RegisterInput {
  name: string;
  url: string;
  tls: TlsMaterial;
  hints: RegistrationHints;
  admissionConstraints: AdmissionConstraint[];
  /** Coarse region (field 7); bridges before 2023-02 ignore it. */
  region: string;
}

/** One row of List. */
export interface ClusterStatus {
  name: string;
  url: string;
  /** `UNKNOWN` also for a state this tool has no name for (see {@link unknownState}): never taken for AVAILABLE. */
  state: ClusterState;
  /**
   * The number of a state our proto does not name (a newer bridge's; proto-loader gives such a value as its
   * number). `state` is then `UNKNOWN`, so every reader takes the cluster as not accepting new workspaces;
   * shown as `UNKNOWN(n)` (`format.ts`).
   */
  unknownState?: number;
  score: number;
  maxScore: number;
  governed: boolean;
  /** Defined in the bridge's own config: the registry cannot change it. */
  static: boolean;
  admissionConstraints: AdmissionConstraint[];
  /**
   * Admission constraints of a kind this tool does not know (an empty oneof to us): `has_user_level` or
   * `has_more_resources` on bridges before 2022-07, or a kind newer than our proto. The cluster still has them.
   */
  unknownConstraints?: number;
  /** Coarse region (field 11); `''` from bridges before 2023-02 and for region-free clusters. */
  region: string;
}

/** Exactly one property changed by Update. */
export type UpdateProperty =
  | { score: number }
  | { maxScore: number }
  | { cordoned: boolean }
  | { admissionConstraint: { add: boolean; constraint: AdmissionConstraint } }
  /** Replaces the TLS material (UpdateRequest 7, bridges since 2024-06). */
  | { tls: TlsMaterial };

// ---- wire shapes (proto-loader: keepCase, enums: String, oneofs: true) ----

export interface WireAdmissionConstraint {
  has_feature_preview?: Record<string, never> | null;
  has_permission?: { permission: string } | null;
  /** Set by proto-loader on decode: which oneof member is present. */
  constraint?: 'has_feature_preview' | 'has_permission';
}

interface WireTlsConfig {
  ca: string;
  crt: string;
  key: string;
}

export interface WireRegisterRequest {
  name: string;
  url: string;
  tls?: WireTlsConfig | null;
  hints?: { perfereability: Preferability | number; cordoned: boolean } | null;
  admission_constraints: WireAdmissionConstraint[];
  region: string;
  /** Not a proto field: the client's serializer turns it into the raw legacy hint (`legacy-govern.ts`). */
  legacy_govern?: boolean;
}

export interface WireClusterStatus {
  name: string;
  url: string;
  /** A number for a value the proto does not name (`enums: String` keeps those as numbers). */
  state: ClusterState | number;
  score: number;
  max_score: number;
  governed: boolean;
  admission_constraint: WireAdmissionConstraint[];
  static: boolean;
  region: string;
}

export interface WireUpdateRequest {
  name: string;
  score?: number;
  max_score?: number;
  cordoned?: boolean;
  admission_constraint?: { add: boolean; constraint?: WireAdmissionConstraint | null } | null;
  tls?: WireTlsConfig | null;
  property?: 'score' | 'max_score' | 'cordoned' | 'admission_constraint' | 'tls';
}

export interface WireDeregisterRequest {
  name: string;
  force: boolean;
}

export interface WireListResponse {
  status: WireClusterStatus[];
}
