/**
 * Loads the ClusterService definition from `proto/` at run time.
 *
 * Lazy on purpose: grpc-js and proto-loader cost noticeable start-up time, and
 * most CLI commands never talk to a registry. The proto file is found relative
 * to this module, so it works from `src/` (tests) and from `dist/` (the package
 * ships `proto/` next to `dist/`).
 */
import { packageFile } from '../core/package-files.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import type * as Grpc from '@grpc/grpc-js';
import type { Options as LoaderOptions } from '@grpc/proto-loader';
import { WsdError } from '../core/errors.js';
import { readLegacyGovern, withLegacyGovern } from './legacy-govern.js';

/** Path of the proto file relative to the package root. */
const PROTO_RELATIVE_PATH = join('proto', 'workspacemanagerbridge', 'cluster-service.proto');

/** Fully qualified service name, as on the wire (`/workspacemanagerbridge.ClusterService/List`). */
const SERVICE_NAME = 'workspacemanagerbridge.ClusterService';

/**
 * Decoding options; `types.ts` describes the objects they produce: proto field
 * names as written (snake_case), enums as their names, a virtual field naming the
 * set member of each oneof, and defaults for absent scalars.
 */
const LOADER_OPTIONS: LoaderOptions = {
  keepCase: true,
  enums: String,
  longs: Number,
  defaults: true,
  oneofs: true,
};

/** Absolute path of the proto file shipped with the package. */
export function protoPath(): string {
  const path = packageFile(PROTO_RELATIVE_PATH);
  if (!existsSync(path)) {
    throw new WsdError('Internal', `cannot find ${path}; the package is incomplete, reinstall it`, { source: 'internal' });
  }
  return path;
}

/** What callers get: the grpc module (so they need not import it eagerly) and the service. */
interface ClusterServiceBinding {
  grpc: typeof Grpc;
  /** Client constructor generated from the service definition. */
  Client: Grpc.ServiceClientConstructor;
  /** Service definition for `server.addService`. */
  service: Grpc.ServiceDefinition;
}

let loading: Promise<ClusterServiceBinding> | undefined;

/** Loads (once per process) grpc-js, proto-loader and the ClusterService definition. */
export function loadClusterService(): Promise<ClusterServiceBinding> {
  loading ??= (async () => {
    const [grpc, loader] = await Promise.all([import('@grpc/grpc-js'), import('@grpc/proto-loader')]);
    // grpc-js writes its own diagnostics ("E No address added out of total 1 resolved") raw to stderr, which
    // breaks --json-log. As process warnings they follow the run's output (NDJSON, or a debug event); what
    // went wrong reaches the user anyway through our own error for the failed call.
    grpc.setLogger({ error: (...parts: unknown[]) => process.emitWarning(format(...parts), 'GrpcLog') });
    const definition = await loader.load(protoPath(), LOADER_OPTIONS);
    const loaded = grpc.loadPackageDefinition(definition);
    const pkg = loaded['workspacemanagerbridge'] as Grpc.GrpcObject | undefined;
    const Generated = pkg?.['ClusterService'] as Grpc.ServiceClientConstructor | undefined;
    if (!Generated) throw new WsdError('Internal', `${PROTO_RELATIVE_PATH} does not define ${SERVICE_NAME}`, { source: 'internal' });
    const service = withLegacyGovernHint(Generated.service);
    return { grpc, Client: grpc.makeGenericClientConstructor(service, 'ClusterService'), service };
  })().catch((error: unknown) => {
    // A failed load (broken install) must not poison later attempts in a long-lived process.
    loading = undefined;
    throw error;
  });
  return loading;
}

/** Property a decoded RegisterRequest carries for the server: the raw legacy `govern` hint. */
const LEGACY_GOVERN_KEY = 'legacy_govern';

/**
 * The generated definition with Register's (de)serializers wrapped so the
 * pre-2023-03 `govern` hint, reserved in the proto, still travels
 * (`legacy-govern.ts`): the client writes it from `legacy_govern`, the
 * simulator reads it back into the same property.
 */
function withLegacyGovernHint(service: Grpc.ServiceDefinition): Grpc.ServiceDefinition {
  const register = service['Register'];
  if (!register) throw new WsdError('Internal', `${SERVICE_NAME} has no Register`, { source: 'internal' });
  return {
    ...service,
    Register: {
      ...register,
      requestSerialize: withLegacyGovern(register.requestSerialize as (value: object) => Buffer),
      requestDeserialize: (bytes: Buffer) => ({ ...(register.requestDeserialize(bytes) as object), [LEGACY_GOVERN_KEY]: readLegacyGovern(bytes) }),
    },
  };
}
