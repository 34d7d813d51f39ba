/**
 * Where Register's TLS material comes from. In production: the new cluster's
 * secret `ws-manager-client-tls` (`ca.crt`, `tls.crt`, `tls.key`) read through
 * the Kubernetes API; in the sandbox: files. Both behind one interface so the
 * registration logic does not care.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WsdError } from '../core/errors.js';
import type { KubeTarget } from './kube.js';
import { loadKubeConfig } from './kube.js';
import { kubeModule } from '../tools/kube/kube-module.js';
import { httpStatus, kubeError } from '../tools/kube/kube-config.js';
import type { TlsMaterial } from './types.js';

/** Reads the client TLS material ws-manager-bridge will use to dial ws-manager. */
export interface TlsReader {
  /** For messages, e.g. `secret default/ws-manager-client-tls in gke_…`. */
  readonly description: string;
  read(): Promise<TlsMaterial>;
}

const TLS_SECRET_NAME = 'ws-manager-client-tls';
const KEYS = { ca: 'ca.crt', crt: 'tls.crt', key: 'tls.key' } as const;

/**
 * Reads the secret through the Kubernetes API of the workspace cluster. With
 * several names, the first that exists is used (a missing one falls through to
 * the next; any other error stops).
 */
export function kubeSecretTlsReader(target: KubeTarget & { namespace?: string; name?: string | readonly string[] }): TlsReader {
  const namespace = target.namespace ?? 'default';
  const names = typeof target.name === 'string' ? [target.name] : target.name?.length ? target.name : [TLS_SECRET_NAME];
  const where = target.context ? ` in context ${target.context}` : '';
  let description = `secret ${namespace}/${names.join(' (else ')}${')'.repeat(names.length - 1)}${where}`;
  return {
    get description() {
      return description;
    },
    async read() {
      const k8s = await kubeModule();
      const kc = await loadKubeConfig(target);
      const api = kc.makeApiClient(k8s.CoreV1Api);
      let data: Record<string, string> | undefined;
      for (const [i, name] of names.entries()) {
        description = `secret ${namespace}/${name}${where}`;
        try {
          data = (await api.readNamespacedSecret({ name, namespace })).data;
          break;
        } catch (error) {
          if (httpStatus(error) === 404 && i < names.length - 1) continue;
          throw kubeError(error, `reading ${description}${i > 0 ? ` (after ${names.slice(0, i).join(', ')} was not found)` : ''}`);
        }
      }
      const field = (key: string) => {
        const value = data?.[key];
        if (!value) {
          throw new WsdError('KubernetesError', `${description} has no "${key}"; it needs ${Object.values(KEYS).join(', ')} (is cert-manager done issuing it?)`, {
            transient: true,
          });
        }
        return Buffer.from(value, 'base64').toString('utf8');
      };
      return { ca: field(KEYS.ca), crt: field(KEYS.crt), key: field(KEYS.key) };
    },
  };
}

/** Reads `ca.crt`, `tls.crt`, `tls.key` from a folder (gpctl's `--tls-path`, the sandbox). */
export function fileTlsReader(dir: string): TlsReader {
  return {
    description: `files ${join(dir, '{ca.crt,tls.crt,tls.key}')}`,
    async read() {
      const one = async (file: string) => {
        const path = join(dir, file);
        try {
          return await readFile(path, 'utf8');
        } catch (error) {
          throw new WsdError('ConfigInvalid', `cannot read ${path}: ${(error as Error).message}; the TLS folder needs ca.crt, tls.crt and tls.key`, {
            cause: error,
          });
        }
      };
      return { ca: await one(KEYS.ca), crt: await one(KEYS.crt), key: await one(KEYS.key) };
    },
  };
}

/** File names `get-tls-config` writes and `--tls-path` reads. */
export const TLS_FILE_NAMES = KEYS;
