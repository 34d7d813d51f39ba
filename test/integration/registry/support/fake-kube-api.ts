/**
 * A local server speaking the subset of the Kubernetes API the registry code
 * uses: pod list by label selector, secret get, and the pod `portforward`
 * subresource over a websocket with the `v4.channel.k8s.io` protocol (channel
 * byte + payload; the first frame of each channel carries the port, little
 * endian, as the kubelet sends it). The websocket side is a small RFC 6455
 * implementation so nothing outside this repository's dependencies is needed.
 * Requests must carry the kubeconfig's bearer token, like a real API server.
 * Label selectors take the full grammar (test/helpers/label-selector.ts).
 * Contract tests: fake-kube-api-contract.test.ts.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { connect, type Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { matchesSelector, parseSelector, SelectorError } from '../../../helpers/label-selector.js';

export interface FakePod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ready: boolean;
  /** Where the pod's port really is (e.g. a simulator on 127.0.0.1). */
  forwardTo?: { host: string; port: number };
}

export interface FakeSecret {
  name: string;
  namespace: string;
  data: Record<string, string>;
}

export interface FakeKubeApi {
  url: string;
  token: string;
  pods: FakePod[];
  secrets: FakeSecret[];
  /** Every request line, for assertions (`GET /api/v1/...`). */
  requests: string[];
  /** Open portforward websockets right now. */
  openTunnels(): number;
  /** Writes a kubeconfig pointing here with context `name`. */
  writeKubeconfig(file: string, context?: string): Promise<void>;
  close(): Promise<void>;
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const header = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([header, payload]);
}

/** Parses masked client frames from a growing buffer; returns the rest. */
function parseFrames(buffer: Buffer, onFrame: (opcode: number, payload: Buffer) => void): Buffer {
  let buf = buffer;
  while (buf.length >= 2) {
    const opcode = (buf[0] ?? 0) & 0x0f;
    const masked = ((buf[1] ?? 0) & 0x80) !== 0;
    let len = (buf[1] ?? 0) & 0x7f;
    let offset = 2;
    if (len === 126) {
      if (buf.length < 4) break;
      len = buf.readUInt16BE(2);
      offset = 4;
    } else if (len === 127) {
      if (buf.length < 10) break;
      len = Number(buf.readBigUInt64BE(2));
      offset = 10;
    }
    const maskLen = masked ? 4 : 0;
    if (buf.length < offset + maskLen + len) break;
    const mask = buf.subarray(offset, offset + maskLen);
    const payload = Buffer.from(buf.subarray(offset + maskLen, offset + maskLen + len));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
    onFrame(opcode, payload);
    buf = buf.subarray(offset + maskLen + len);
  }
  return buf;
}

function podJson(p: FakePod) {
  return {
    metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: p.ready ? 'True' : 'False' }] },
  };
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** Serves HTTPS with `tls` (client-node refuses plain HTTP without skipping verification). */
export async function startFakeKubeApi(tls: { cert: Buffer; key: Buffer; ca: Buffer }): Promise<FakeKubeApi> {
  const token = 'test-token-0123456789';
  const pods: FakePod[] = [];
  const secrets: FakeSecret[] = [];
  const requests: string[] = [];
  const tunnels = new Set<Socket>();

  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.headers.authorization !== `Bearer ${token}`) return sendJson(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    const url = new URL(req.url ?? '/', 'http://x');
    let m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      let selector;
      try {
        selector = parseSelector(url.searchParams.get('labelSelector') ?? '');
      } catch (error) {
        if (!(error instanceof SelectorError)) throw error;
        return sendJson(res, 400, status(400, 'BadRequest', `unable to parse requirement: ${error.message}`));
      }
      const items = pods.filter((p) => p.namespace === m?.[1] && matchesSelector(p.labels, selector)).map(podJson);
      return sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items });
    }
    m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const secret = secrets.find((s) => s.namespace === m?.[1] && s.name === m?.[2]);
      if (!secret) return sendJson(res, 404, status(404, 'NotFound', `secrets "${m[2]}" not found`));
      return sendJson(res, 200, { kind: 'Secret', apiVersion: 'v1', metadata: { name: secret.name, namespace: secret.namespace }, data: secret.data });
    }
    sendJson(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    requests.push(`UPGRADE ${req.url}`);
    const reject = (code: number, text: string) => {
      socket.end(`HTTP/1.1 ${code} ${text}\r\ncontent-length: 0\r\n\r\n`);
    };
    if (req.headers.authorization !== `Bearer ${token}`) return reject(401, 'Unauthorized');
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname);
    const pod = m && pods.find((p) => p.namespace === m[1] && p.name === m[2]);
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    const port = Number(url.searchParams.get('ports'));
    if (!pod) return reject(404, 'Not Found');
    if (!protocols.includes('v4.channel.k8s.io')) return reject(400, 'Bad Request');
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${WS_GUID}`).digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n`,
    );
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    socket.write(frame(2, Buffer.concat([Buffer.from([0]), portBytes])));
    socket.write(frame(2, Buffer.concat([Buffer.from([1]), portBytes])));

    const target = pod.forwardTo ? connect(pod.forwardTo) : undefined;
    const fail = (message: string) => {
      if (socket.destroyed) return;
      socket.write(frame(2, Buffer.concat([Buffer.from([1]), Buffer.from(message)])));
      socket.end(frame(8, Buffer.alloc(0)));
    };
    if (!target) return fail(`error forwarding port ${port} to pod ${pod.name}: connection refused`);
    target.on('data', (data: Buffer) => socket.write(frame(2, Buffer.concat([Buffer.from([0]), data]))));
    target.on('error', (error) => fail(`error forwarding port ${port} to pod ${pod.name}: ${error.message}`));
    target.on('close', () => {
      if (!socket.destroyed) socket.end(frame(8, Buffer.alloc(0)));
    });
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = parseFrames(Buffer.concat([pending, chunk]), (opcode, payload) => {
        if (opcode === 8) {
          target.end();
          if (!socket.destroyed) socket.end(frame(8, Buffer.alloc(0)));
        } else if (opcode === 9) socket.write(frame(10, payload));
        else if ((opcode === 2 || opcode === 0) && payload[0] === 0) target.write(payload.subarray(1));
      });
    });
    socket.on('error', () => target.destroy());
    socket.on('close', () => target.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    token,
    pods,
    secrets,
    requests,
    openTunnels: () => tunnels.size,
    writeKubeconfig: (file, context = 'fake') =>
      writeFile(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          `current-context: ${context}`,
          'clusters:',
          `- name: ${context}`,
          `  cluster: { server: "${url}", certificate-authority-data: "${tls.ca.toString('base64')}" }`,
          'users:',
          `- name: ${context}`,
          `  user: { token: "${token}" }`,
          'contexts:',
          `- name: ${context}`,
          `  context: { cluster: ${context}, user: ${context} }`,
          '',
        ].join('\n'),
        { mode: 0o600 },
      ),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of tunnels) t.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
