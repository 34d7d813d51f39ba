/**
 * What the deployed ws-manager-bridge meant by an UNKNOWN status.
 *
 * The bridge builds its refusals as `new GRPCError(grpc.status.X, text)`, a class that stores the code in
 * `status`; grpc-js reads an error's `code` only, so every refusal reaches us as UNKNOWN (2) with the text as
 * its details (gpctl shows "rpc error: code = Unknown desc = a WorkspaceCluster with name … does not exist in
 * the DB!"). That holds for every bridge since ClusterService came (2021) up to the current one. Bridges that
 * answer with the codes they mean (shared/design.md §3, the reference bridge) pass through here only for the one
 * code that meant something else: ALREADY_EXISTS to an Update before 2022-02.
 *
 * So for UNKNOWN alone the status code offers nothing, and the bridge's own texts are the only fact there is:
 * they are matched here, per operation, anchored on the wording every version used, and nowhere else. A text
 * that matches none stays UNKNOWN (a "see the bridge's logs" error): no guess.
 */
/** The codes involved (gRPC spec numbers; `status-errors.ts` imports this file, so not from there). */
const GrpcStatus = { UNKNOWN: 2, INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9 } as const;

type Operation = 'register' | 'update' | 'deregister' | 'list';

/** The bridge's texts by the code it meant, each with the operations that send it (history in the comments). */
const TEXTS: Array<{ code: number; operations: readonly Operation[]; pattern: RegExp }> = [
  // Update of an unknown name (since 2022-02; before that the same Update said "already exists in the DB!").
  { code: GrpcStatus.NOT_FOUND, operations: ['update'], pattern: /^a WorkspaceCluster with name .+ does not exist in the DB!?$/s },
  { code: GrpcStatus.NOT_FOUND, operations: ['update'], pattern: /^a WorkspaceCluster with name .+ already exists in the DB!$/s },
  // Register of a taken name or url.
  { code: GrpcStatus.ALREADY_EXISTS, operations: ['register'], pattern: /^a WorkspaceCluster with (name|url) .+ already exists in the DB$/s },
  // Deregister while regular workspaces run ("[ids]" appended since 2022-08).
  { code: GrpcStatus.FAILED_PRECONDITION, operations: ['deregister'], pattern: /^cluster is not empty \(\d+ instances? remaining\)/ },
  // Register, and a TLS Update (since 2024-06), dial ws-manager first.
  { code: GrpcStatus.FAILED_PRECONDITION, operations: ['register', 'update'], pattern: /^cannot reach .+: /s },
  { code: GrpcStatus.INVALID_ARGUMENT, operations: ['register'], pattern: /^Invalid value for workspace region\.$/ },
  { code: GrpcStatus.INVALID_ARGUMENT, operations: ['register'], pattern: /^unknown preferability / },
  { code: GrpcStatus.INVALID_ARGUMENT, operations: ['register', 'update'], pattern: /^missing required TLS config$/ },
];

/**
 * The status the bridge meant: `code` itself unless it is UNKNOWN and `details` is one of the bridge's refusal
 * texts for `operation`, or an Update answered ALREADY_EXISTS.
 */
export function meantStatus(code: number, details: string, operation: Operation): number {
  // Bridges before 2022-02-19 (gitpod-io/gitpod aa52b3ecb0 fixed it) refused an Update of a name they do not have with
  // ALREADY_EXISTS, and no bridge sends that code for an Update otherwise: it is "no such cluster", never a duplicate.
  if (code === GrpcStatus.ALREADY_EXISTS && operation === 'update') return GrpcStatus.NOT_FOUND;
  if (code !== GrpcStatus.UNKNOWN) return code;
  return TEXTS.find((t) => t.operations.includes(operation) && t.pattern.test(details))?.code ?? code;
}
