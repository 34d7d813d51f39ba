/**
 * Registry rules at the edges the main tests do not reach: a static entry
 * among several, a refusal over more than one meta cluster, the error code of
 * a wrong `governedBy`, the whole message for a removed constraint kind, and
 * the clean-up of grpc-js's connection diagnostic whatever whitespace (or
 * resolution note) it carries. Expected texts are written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { registrationSchema } from '../../../src/registry/config.js';
import type { RegistryConnection } from '../../../src/registry/connect.js';
import { parseConstraint } from '../../../src/registry/constraints.js';
import { checkRegistration, classifyRegistry, registerCluster, type RegisterClusterInput } from '../../../src/registry/register-cluster.js';
import { unreachableBecause } from '../../../src/registry/status-errors.js';
import type { ClusterStatus } from '../../../src/registry/types.js';

const URL = 'dns:///ws-eu17.gitpod.example:8080';

function status(name: string, url: string, over: Partial<ClusterStatus> = {}): ClusterStatus {
  return { name, url, state: 'CORDONED' as ClusterStatus['state'], score: 0, maxScore: 100, governed: false, static: false, admissionConstraints: [], region: '', ...over };
}

/** Meta clusters answering List with the given entries; Register and Deregister are never expected. */
function input(lists: Record<string, ClusterStatus[]>, over: Partial<RegisterClusterInput> = {}): RegisterClusterInput {
  const connection = (clusters: ClusterStatus[]): RegistryConnection => ({
    address: '127.0.0.1:1',
    via: 'direct',
    close: async () => undefined,
    client: {
      list: async () => clusters,
      register: async () => {
        throw new Error('register must not be called');
      },
      deregister: async () => {
        throw new Error('deregister must not be called');
      },
    } as unknown as RegistryConnection['client'],
  });
  return {
    cluster: { name: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' },
    domain: 'gitpod.example',
    metaClusters: Object.keys(lists).map((name) => ({ name })),
    governedBy: Object.keys(lists)[0]!,
    registration: registrationSchema.parse({}),
    tls: { description: 'test tls', read: async () => ({ ca: 'CA', crt: 'CRT', key: 'KEY' }) },
    connect: async (meta) => connection(lists[meta.name]!),
    ...over,
  };
}

describe('conflicts over several entries and meta clusters', () => {
  it('a static conflicting entry is named as static also when other, unrelated entries are not static', () => {
    const c = classifyRegistry([status('eu50', 'dns:///ws-eu50.gitpod.example:8080'), status('eu99', URL, { static: true })], 'eu17', URL, 'm');
    expect(c).toEqual({
      kind: 'conflict',
      reason: `m already has url ${URL} registered as eu99; the conflicting entry is static (bridge config) and cannot be replaced`,
      conflicting: ['eu99'],
      // The entries --overwrite would deregister: not the static one, which it cannot.
      entries: [],
      overwrite:
        "--overwrite cannot replace eu99 either: it is static on m (the bridge's own config), which Deregister leaves in place, and a Register at its url would list that url twice; " +
        'remove it from the bridge config or choose another name',
    });
  });

  it('a refusal names every meta cluster’s conflict, in meta order, separated by "; ", then the fix', async () => {
    const r = await checkRegistration(input({ 'meta-eu': [status('eu17', 'dns:///old:1')], 'meta-us': [status('eu99', URL)] }));
    expect(r.action).toBe('refuse');
    expect(r.reason).toBe(
      `meta-eu already has eu17 with url dns:///old:1, not ${URL}; meta-us already has url ${URL} registered as eu99; deregister the old entry or re-run with --overwrite`,
    );
  });
});

describe('a governedBy that is not a meta cluster', () => {
  it('is a configuration error (ConfigInvalid), in the pre-run check and in the run', async () => {
    const wrong = input({ 'meta-eu': [], 'meta-us': [] }, { governedBy: 'meta-asia' });
    await expect(checkRegistration(wrong)).rejects.toMatchObject({ code: 'ConfigInvalid' });
    await expect(registerCluster(wrong)).rejects.toMatchObject({ code: 'ConfigInvalid' });
  });
});

describe('a constraint kind the bridge removed', () => {
  it('is refused with the whole story: when, which field, why it matters, what to use instead', () => {
    expect(() => parseConstraint('has-user-level=admin')).toThrow(
      'admission constraint "has-user-level=admin": has-user-level was removed from ws-manager-bridge in 2022-07 (AdmissionConstraint field 3); ' +
        'bridges since then drop it without a word, so it would constrain nothing. Use has-permission=<permission> or has-feature-preview',
    );
  });
});

describe('unreachableBecause: the grpc-js diagnostic cleaned up to its cause', () => {
  it('strips the framing phrases whatever whitespace separates them: none, several, line breaks', () => {
    expect(unreachableBecause('No connection established.Last error:Error:read EPIPE.Resolution note:')).toBe('the connection failed (read EPIPE)');
    expect(unreachableBecause('No connection established.\n  Last error:\tError:   read EPIPE.  Resolution note:  \n')).toBe('the connection failed (read EPIPE)');
  });

  it('keeps a resolution note that says something (pick-first puts the resolver’s note there)', () => {
    expect(unreachableBecause('No connection established. Last error: Error: read EPIPE. Resolution note: 2 addresses from DNS')).toBe(
      'the connection failed (read EPIPE. Resolution note: 2 addresses from DNS)',
    );
  });
});
