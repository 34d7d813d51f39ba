/**
 * The alive test against real servers on 127.0.0.1: a Kubernetes API subset for
 * the rollout check, HTTP and HTTPS endpoints (self-signed certificate made by
 * openssl), a TLS listener standing in for ws-manager, and a real command.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWsdError } from '../../../src/core/errors.js';
import { aliveTestStep } from '../../../src/steps/alive/alive-test.js';
import { httpCheck, parseWsManagerUrl, wsManagerCheck } from '../../../src/steps/alive/network-checks.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { deployment, pod, startFakeKubeApi, type FakeKubeApi } from '../../fixtures/install/fake-kube-api.js';
import { makeSelfSignedCert, type TestCert } from '../../fixtures/install/self-signed.js';
import { makeContext } from '../../fixtures/install/step-context.js';

const hasOpenssl = requireBinary('openssl', 'self-signed certificates for the TLS alive checks and the fake API server');

describe.skipIf(!hasOpenssl)('alive test on loopback', () => {
  let root: string;
  let cert: TestCert;
  let api: FakeKubeApi;
  let apiDir: string;
  let httpServer: http.Server;
  let httpsServer: https.Server;
  let tlsServer: tls.Server;
  let httpStatus = 503;
  const port = (s: { address(): AddressInfo | string | null }): number => (s.address() as AddressInfo).port;
  const listen = (s: http.Server | https.Server | tls.Server): Promise<void> => new Promise((r) => s.listen(0, '127.0.0.1', () => r()));

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'wsd-alive-'));
    cert = await makeSelfSignedCert(root);
    ({ api, dir: apiDir } = await startFakeKubeApi());
    httpServer = http.createServer((_req, res) => res.writeHead(httpStatus).end());
    httpsServer = https.createServer({ cert: cert.cert, key: cert.key }, (_req, res) => res.writeHead(204).end());
    tlsServer = tls.createServer({ cert: cert.cert, key: cert.key }, (socket) => socket.end());
    await Promise.all([listen(httpServer), listen(httpsServer), listen(tlsServer)]);
  });
  afterAll(async () => {
    httpServer.closeAllConnections();
    httpsServer.closeAllConnections();
    await Promise.all([api.stop(), ...[httpServer, httpsServer, tlsServer].map((s) => new Promise((r) => s.close(r)))]);
    rmSync(root, { recursive: true, force: true });
    rmSync(apiDir, { recursive: true, force: true });
  });

  it('checks HTTP status and HTTPS with a self-signed CA', async () => {
    const plain = httpCheck({ url: `http://127.0.0.1:${port(httpServer)}/ready`, expectedStatus: 200 });
    expect(await plain.probe(5_000)).toEqual({ ok: false, state: 'got status 503, want 200' });
    const secure = `https://localhost:${port(httpsServer)}/`;
    expect(await httpCheck({ url: secure, expectedStatus: 204, caFile: cert.certFile }).probe(5_000)).toEqual({ ok: true, state: 'status 204' });
    const untrusted = await httpCheck({ url: secure, expectedStatus: 204 }).probe(5_000);
    expect(untrusted.ok).toBe(false);
    expect(untrusted.state).toMatch(/self-signed certificate/);
  });

  it('checks TCP and TLS reachability of ws-manager', async () => {
    const url = `dns:///localhost:${port(tlsServer)}`;
    expect(parseWsManagerUrl(url, true)).toEqual({ host: 'localhost', port: port(tlsServer) });
    expect(await wsManagerCheck({ url, tls: true, caFile: cert.certFile }).probe(5_000)).toMatchObject({ ok: true, state: expect.stringContaining('TLS handshake') });
    expect(await wsManagerCheck({ url, tls: false }).probe(5_000)).toMatchObject({ ok: true });
    const refused = await wsManagerCheck({ url: 'dns:///127.0.0.1:1', tls: true }).probe(5_000);
    expect(refused).toMatchObject({ ok: false, state: expect.stringContaining('ECONNREFUSED') });
  });

  it('passes once the namespace has rolled out, the endpoints answer and the command exits 0', async () => {
    api.put(deployment('ws-manager', 'default', 0));
    httpStatus = 503;
    let lists = 0;
    api.beforeRequest = (req, fake) => {
      if (req.path.endsWith('/deployments') && ++lists === 3) {
        fake.put(deployment('ws-manager', 'default', 1));
        httpStatus = 200;
      }
    };
    const kubeconfig = api.writeKubeconfig(apiDir, 'token-alive');
    const config = {
      aliveTest: {
        timeoutSeconds: 10,
        pollIntervalSeconds: 0.05,
        // The command proves it gets the cluster's kubeconfig and names.
        command: { argv: [process.execPath, '-e', `process.exit(process.env.KUBECONFIG === ${JSON.stringify(kubeconfig)} && process.env.WSD_CLUSTER_SHORT_NAME === 'eu17' && process.env.EXTRA === 'x' ? 0 : 3)`], env: { EXTRA: 'x' } },
        http: [{ url: `http://127.0.0.1:${port(httpServer)}/ready` }],
        wsManager: { url: `dns:///localhost:${port(tlsServer)}`, caFile: cert.certFile },
      },
    };
    const { ctx } = makeContext({ root, config, kubeconfig });
    const outputs = (await aliveTestStep.run(ctx)) as { checks: Array<{ name: string; rounds: number }> };
    expect(outputs.checks.map((c) => c.name.split(' ')[0])).toEqual(['command', 'rollout', 'http', 'ws-manager']);
    expect(outputs.checks.find((c) => c.name === 'rollout default')?.rounds).toBeGreaterThanOrEqual(3);
    expect(api.requests.every((r) => r.token === 'token-alive')).toBe(true);
    api.beforeRequest = undefined;
  });

  it('fails naming the stuck workload with its pod reason and the failing command', async () => {
    api.put(deployment('ws-manager', 'default', 0));
    api.put(pod('ws-manager-1', 'default', 'ws-manager', 'ImagePullBackOff'));
    const kubeconfig = api.writeKubeconfig(apiDir, 'token-alive');
    const config = {
      aliveTest: { timeoutSeconds: 0.5, pollIntervalSeconds: 0.1, command: { argv: [process.execPath, '-e', 'console.error("ws-manager not serving"); process.exit(2)'] } },
    };
    const { ctx } = makeContext({ root, config, kubeconfig });
    const error = await aliveTestStep.run(ctx).catch((e: unknown) => e);
    expect(isWsdError(error) && error.code).toBe('AliveTestFailed');
    const message = (error as Error).message;
    expect(message).toContain('rollout default: deployment ws-manager: 0/1 ready, reason ImagePullBackOff (Back-off pulling image)');
    expect(message).toContain(`command ${process.execPath}: exit code 2: ws-manager not serving`);
  });
});
