/**
 * Network-level alive checks: HTTP(S) endpoints answering with the expected
 * status, and TCP/TLS reachability of the ws-manager URL that meta clusters
 * will dial when the cluster is registered.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import { WsdError } from '../../core/errors.js';
import type { AliveCheck, ProbeResult } from './checks.js';

const PROBE_MS = 10_000;

function readCa(file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new WsdError('ConfigInvalid', `CA file ${file} cannot be read (${(error as NodeJS.ErrnoException).code}); fix the alive test config`, { cause: error });
  }
}

function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ? `${e.message} (${e.code})` : String(e.message ?? error);
}

/** GET `url`, pass when the status equals `expectedStatus`. */
export function httpCheck(input: { url: string; expectedStatus: number; caFile?: string }): AliveCheck {
  const ca = readCa(input.caFile);
  return {
    name: `http ${input.url}`,
    probe: (budgetMs) =>
      new Promise<ProbeResult>((resolve) => {
        const url = new URL(input.url);
        const client = url.protocol === 'https:' ? https : http;
        const request = client.request(url, { method: 'GET', timeout: Math.min(PROBE_MS, budgetMs), ...(ca ? { ca } : {}), agent: false }, (response) => {
          response.resume();
          const status = response.statusCode ?? 0;
          resolve(status === input.expectedStatus ? { ok: true, state: `status ${status}` } : { ok: false, state: `got status ${status}, want ${input.expectedStatus}` });
        });
        request.on('timeout', () => request.destroy(new Error(`no response within ${Math.round(Math.min(PROBE_MS, budgetMs) / 1000)} s`)));
        request.on('error', (error) => resolve({ ok: false, state: describeError(error) }));
        request.end();
      }),
  };
}

/** Host and port of a ws-manager URL: `dns:///host:port`, `host:port` or `https://host:port`. */
export function parseWsManagerUrl(url: string, tlsDefault: boolean): { host: string; port: number } {
  let rest = url.replace(/^dns:\/\/[^/]*\//, '');
  if (/^[a-z]+:\/\//.test(rest)) {
    const parsed = new URL(rest);
    return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || (parsed.protocol === 'http:' ? 80 : 443)) };
  }
  rest = rest.replace(/\/.*$/, '');
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(rest);
  if (!match?.[1]) throw new WsdError('ConfigInvalid', `ws-manager url ${url} is not host:port, dns:///host:port or https://host:port`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port: match[2] ? Number(match[2]) : tlsDefault ? 443 : 80 };
}

/** TCP connect (and TLS handshake when `tls`) to the ws-manager URL. */
export function wsManagerCheck(input: { url: string; tls: boolean; caFile?: string; serverName?: string }): AliveCheck {
  const { host, port } = parseWsManagerUrl(input.url, input.tls);
  const ca = readCa(input.caFile);
  const servername = input.serverName ?? (isIP(host) ? undefined : host);
  return {
    name: `ws-manager ${input.url}`,
    probe: (budgetMs) =>
      new Promise<ProbeResult>((resolve) => {
        const timeout = Math.min(PROBE_MS, budgetMs);
        const socket = input.tls
          ? tls.connect({ host, port, servername, ...(ca ? { ca } : {}), rejectUnauthorized: true, ALPNProtocols: ['h2'] })
          : net.connect({ host, port });
        const done = (result: ProbeResult): void => {
          socket.destroy();
          resolve(result);
        };
        socket.setTimeout(timeout, () => done({ ok: false, state: `no ${input.tls ? 'TLS handshake' : 'connection'} within ${Math.round(timeout / 1000)} s` }));
        socket.on('error', (error) => done({ ok: false, state: describeError(error) }));
        socket.on(input.tls ? 'secureConnect' : 'connect', () => {
          const peer = input.tls ? (socket as tls.TLSSocket).getPeerCertificate() : undefined;
          done({ ok: true, state: input.tls ? `TLS handshake with ${host}:${port} ok${peer?.subject?.CN ? ` (CN ${peer.subject.CN})` : ''}` : `TCP connect to ${host}:${port} ok` });
        });
      }),
  };
}
