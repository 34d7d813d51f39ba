/**
 * gRPC handlers of the simulator: decode the wire messages, call the model,
 * answer with the status the real bridge would use.
 */
import type * as Grpc from '@grpc/grpc-js';
import { isWsdError } from '../../core/errors.js';
import { GrpcStatus } from '../status-errors.js';
import type { WireDeregisterRequest, WireRegisterRequest, WireUpdateRequest } from '../types.js';
import { registerFromWire, statusToWire, updateFromWire } from '../wire.js';
import { SimStatusError, type RegistryModel } from './registry-model.js';

type Handler<Req> = (call: Grpc.ServerUnaryCall<Req, unknown>, callback: Grpc.sendUnaryData<unknown>) => void;

function answer<Req>(work: (request: Req) => Promise<unknown>): Handler<Req> {
  return (call, callback) => {
    work(call.request).then(
      (response) => callback(null, response),
      (error: unknown) => {
        if (error instanceof SimStatusError) callback({ code: error.code, details: error.details, name: 'SimStatusError', message: error.details });
        // A read-only simulator's refusal names the state dir and the fix: pass it on as a refusal, not as an internal error.
        else if (isWsdError(error) && error.code === 'StateIo') callback({ code: GrpcStatus.FAILED_PRECONDITION, details: error.message, name: 'StateIo', message: error.message });
        else callback({ code: GrpcStatus.INTERNAL, details: `simulator error: ${(error as Error)?.message ?? String(error)}`, name: 'Error', message: 'internal' });
      },
    );
  };
}

/** The ClusterService implementation for `server.addService`. */
export function clusterServiceHandlers(model: RegistryModel): Grpc.UntypedServiceImplementation {
  return {
    Register: answer<WireRegisterRequest>(async (request) => {
      const decoded = registerFromWire(request, request.legacy_govern === true);
      await model.register(decoded);
      return {};
    }),
    Update: answer<WireUpdateRequest>(async (request) => {
      await model.update(request.name, updateFromWire(request));
      return {};
    }),
    Deregister: answer<WireDeregisterRequest>(async (request) => {
      await model.deregister(request.name, request.force);
      return {};
    }),
    List: answer<unknown>(async () => ({ status: model.list().map(statusToWire) })),
  };
}
