/**
 * The bridge dials a new cluster's ws-manager during Register. The simulator
 * does the same through a pluggable checker, so tests can make it fail and the
 * sandbox can check a real TCP endpoint.
 */
import { connect } from 'node:net';
import type { TlsMaterial } from '../types.js';

/** Resolves when the url is reachable; rejects (or resolves with a reason) when it is not. */
export type ReachabilityChecker = (target: { name: string; url: string; tls: TlsMaterial }) => Promise<string | undefined>;

/** Accepts everything (tests that are not about reachability). */
export const alwaysReachable: ReachabilityChecker = () => Promise.resolve(undefined);

/** `dns:///ws-eu17.example.com:8080`, `ws-eu17.example.com:8080`, `https://…` → host and port. */
export function hostPortOf(url: string): { host: string; port: number } | undefined {
  const stripped = url.replace(/^dns:\/\/[^/]*\//, '').replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(stripped);
  if (!match?.[1] || !match[2]) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

/** Opens a TCP connection to the url's host:port within `timeoutMs` (what "dialling" proves first). */
export function tcpReachability(timeoutMs = 3_000): ReachabilityChecker {
  return ({ url }) =>
    new Promise((resolve) => {
      const target = hostPortOf(url);
      if (!target) return resolve(`cannot parse host:port from ${url}`);
      const socket = connect({ host: target.host, port: target.port });
      const done = (reason: string | undefined) => {
        socket.destroy();
        resolve(reason);
      };
      socket.setTimeout(timeoutMs, () => done(`no answer from ${target.host}:${target.port} within ${timeoutMs} ms`));
      socket.once('connect', () => done(undefined));
      socket.once('error', (error) => done(error.message));
    });
}
