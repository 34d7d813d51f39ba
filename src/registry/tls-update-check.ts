/**
 * Whether a bridge will keep a TLS update (UpdateRequest 7, since 2024-06), asked before the material is sent.
 *
 * The answer to the update itself cannot say: a bridge before 2024-06 skips the unknown field, finds no property
 * set, and answers OK having changed nothing (its Update method is there since 2021, so none answers UNIMPLEMENTED),
 * and List never shows TLS material. What does tell them apart (facts from the deployed bridge, read only): a bridge
 * that knows the field refuses material with a part missing ("missing required TLS config", INVALID_ARGUMENT, sent
 * as UNKNOWN) before it dials or writes anything; an older one answers OK to that too. So the check sends empty
 * material first: refused as missing → the bridge knows the field; OK → it would ignore the real update. Either way
 * nothing changes (an older bridge re-saves the entry as it was). An unknown or static name fails the check as it
 * would fail the update.
 */
import { WsdError, isWsdError } from '../core/errors.js';
import { GrpcStatus } from './status-errors.js';
import type { CallOutcome } from './lost-answer.js';
import type { UpdateProperty } from './types.js';

/** The empty material of the check: encoded as a present, empty TlsConfig (proto3 keeps a set message field). */
const EMPTY_TLS = { ca: '', crt: '', key: '' };

/** Resolves when the bridge of `meta` knows UpdateRequest.tls; throws RegistryRefused when it would ignore it. */
export async function assertTlsUpdateKept(update: (name: string, property: UpdateProperty) => Promise<CallOutcome>, meta: string, name: string): Promise<void> {
  try {
    await update(name, { tls: EMPTY_TLS });
  } catch (error) {
    if (isWsdError(error) && error.details['grpcCode'] === GrpcStatus.INVALID_ARGUMENT && /missing required TLS config/.test(String(error.details['grpcDetails']))) return;
    throw error;
  }
  throw new WsdError(
    'RegistryRefused',
    `the ws-manager-bridge of ${meta} predates UpdateRequest.tls (2024-06): it answers a TLS update with OK and keeps the old material ` +
      '(asked with empty material, which a bridge that knows the field refuses, it answered OK); nothing was changed — ' +
      `deregister ${name} and register it again to rotate its TLS, or upgrade that bridge`,
    { details: { meta, cluster: name, tlsUpdateIgnored: true } },
  );
}
