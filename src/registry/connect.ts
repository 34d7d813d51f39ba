/**
 * Connecting to one meta cluster's registry: directly (`bridge.address`) or,
 * by default, through a port-forward to a ready ws-manager-bridge pod. The
 * caller always gets one `close()` that tears down channel and tunnel.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { WsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { Redactor } from '../core/redact.js';
import type { RetryOptions } from './call-runner.js';
import { RegistryClient, type ChannelTls } from './client.js';
import { BRIDGE_PORT, BRIDGE_SELECTOR, type MetaClusterRef } from './config.js';
import { loadKubeConfig } from './kube.js';
import { openPortForward } from './port-forward.js';

export interface ConnectOptions {
  /** Relative TLS/kubeconfig paths resolve against this (the config file's folder). */
  baseDir?: string;
  sink?: EventSink;
  redactor?: Redactor;
  signal?: AbortSignal;
  deadlineMs?: number;
  retry?: RetryOptions;
}

export interface RegistryConnection {
  client: RegistryClient;
  /** Address the gRPC channel uses (the forward's local end for port-forwards). */
  address: string;
  via: 'direct' | 'port-forward';
  /** The bridge pod behind a port-forward. */
  pod?: string;
  close(): Promise<void>;
}

/** Access fields as connect reads them: the config's defaults may not have been applied (e.g. `--bridge`). */
export type MetaAccessInput = Pick<MetaClusterRef, 'name'> & Partial<Omit<MetaClusterRef, 'name'>>;

async function readTlsFiles(tls: { ca: string; cert?: string; key?: string }, baseDir: string, meta: string): Promise<ChannelTls> {
  const read = async (path: string | undefined, what: string) => {
    if (!path) return undefined;
    const full = resolve(baseDir, path);
    try {
      return await readFile(full);
    } catch (error) {
      throw new WsdError('ConfigInvalid', `cannot read the ${what} for the bridge of ${meta} at ${full}: ${(error as Error).message}`, { cause: error });
    }
  };
  const files = { ca: await read(tls.ca, 'CA certificate'), cert: await read(tls.cert, 'client certificate'), key: await read(tls.key, 'client key') };
  // gRPC would throw OpenSSL's bare words ("DECODER routines::unsupported") from deep inside: check them here, named.
  try {
    createSecureContext({ ca: files.ca, cert: files.cert, key: files.key });
  } catch (error) {
    const named = [`ca ${resolve(baseDir, tls.ca)}`, tls.cert && `cert ${resolve(baseDir, tls.cert)}`, tls.key && `key ${resolve(baseDir, tls.key)}`].filter(Boolean).join(', ');
    throw new WsdError(
      'ConfigInvalid',
      `the TLS files for the bridge of ${meta} cannot be used (${(error as Error).message}; ${named}); metaClusters[].bridge.tls needs PEM files: the CA certificate, the client certificate and its unencrypted private key`,
      { cause: error },
    );
  }
  return files;
}

/** Opens a connection to the registry of `meta`. */
export async function connectToMeta(meta: MetaAccessInput, options: ConnectOptions = {}): Promise<RegistryConnection> {
  const baseDir = options.baseDir ?? process.cwd();
  const clientOptions = {
    meta: meta.name,
    deadlineMs: options.deadlineMs ?? meta.bridgeTimeout,
    retry: options.retry,
    redactor: options.redactor,
    sink: options.sink,
    signal: options.signal,
  };
  if (meta.bridge) {
    const tls = meta.bridge.tls ? await readTlsFiles(meta.bridge.tls, baseDir, meta.name) : undefined;
    options.redactor?.add(tls?.key?.toString('utf8'));
    const client = await RegistryClient.connect({ ...clientOptions, address: meta.bridge.address, tls });
    return { client, address: meta.bridge.address, via: 'direct', close: () => Promise.resolve(client.close()) };
  }
  const kubeConfig = await loadKubeConfig({
    kubeconfig: meta.kubeconfig === undefined ? undefined : resolve(baseDir, meta.kubeconfig),
    context: meta.context,
  });
  const forward = await openPortForward({
    kubeConfig,
    namespace: meta.namespace ?? 'default',
    selector: meta.bridgeSelector ?? BRIDGE_SELECTOR,
    remotePort: meta.bridgePort ?? BRIDGE_PORT,
    meta: meta.name,
    sink: options.sink,
  });
  try {
    const client = await RegistryClient.connect({ ...clientOptions, address: forward.address });
    return {
      client,
      address: forward.address,
      via: 'port-forward',
      pod: forward.pod,
      close: async () => {
        client.close();
        await forward.close();
      },
    };
  } catch (error) {
    await forward.close();
    throw error;
  }
}

/** Runs `fn` with a connection to `meta` and always closes it. */
export async function withRegistry<T>(meta: MetaAccessInput, options: ConnectOptions, fn: (client: RegistryClient) => Promise<T>): Promise<T> {
  const connection = await connectToMeta(meta, options);
  try {
    return await fn(connection.client);
  } finally {
    await connection.close();
  }
}
