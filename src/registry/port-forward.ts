/**
 * A port-forward to ws-manager-bridge: the bridge's ClusterService listens on
 * localhost inside its pod, so we reach it the way `kubectl port-forward` does —
 * a websocket per TCP connection to the pod's `portforward` subresource.
 *
 * Always an ephemeral local port on 127.0.0.1 (gpctl's fixed 30303 made two runs
 * on one machine collide), always closed by the caller.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import type * as K8s from '@kubernetes/client-node';
import { WsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { kubeModule } from '../tools/kube/kube-module.js';
import { kubeError } from '../tools/kube/kube-config.js';

interface PortForwardOptions {
  kubeConfig: K8s.KubeConfig;
  namespace: string;
  /** Label selector, e.g. `component=ws-manager-bridge`. */
  selector: string;
  remotePort: number;
  /** For messages: the meta cluster's name. */
  meta: string;
  sink?: EventSink;
}

interface PortForward {
  /** `127.0.0.1:<ephemeral port>`. */
  address: string;
  pod: string;
  /** Stops listening and closes every open tunnel. */
  close(): Promise<void>;
}

/** The minimal websocket surface we use (isomorphic-ws in Node is `ws`). */
interface TunnelSocket {
  on(event: 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  close(): void;
}

function isReady(pod: K8s.V1Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Finds a ready bridge pod; the name is what the portforward subresource needs. */
async function findReadyPod(options: Omit<PortForwardOptions, 'remotePort' | 'sink'>): Promise<string> {
  const k8s = await kubeModule();
  const api = options.kubeConfig.makeApiClient(k8s.CoreV1Api);
  let pods: K8s.V1Pod[];
  try {
    pods = (await api.listNamespacedPod({ namespace: options.namespace, labelSelector: options.selector })).items;
  } catch (error) {
    throw kubeError(error, `listing pods "${options.selector}" in namespace ${options.namespace} of ${options.meta}`);
  }
  const ready = pods.filter(isReady).map((p) => p.metadata?.name).filter((n): n is string => !!n).sort();
  if (ready[0]) return ready[0];
  throw new WsdError(
    'RegistryUnavailable',
    `no ready pod with label ${options.selector} in namespace ${options.namespace} of ${options.meta} (${pods.length} found, none ready); ` +
      `check that ws-manager-bridge runs there, or set "namespace" for this meta cluster`,
    { transient: true, details: { meta: options.meta, namespace: options.namespace, podsFound: pods.length } },
  );
}

/** Opens the forward: resolves once the local port listens. */
export async function openPortForward(options: PortForwardOptions): Promise<PortForward> {
  const k8s = await kubeModule();
  const pod = await findReadyPod(options);
  const forwarder = new k8s.PortForward(options.kubeConfig, true);
  const sockets = new Set<Socket>();
  const tunnels = new Set<TunnelSocket>();

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // The error channel carries the kubelet's complaint (e.g. nothing listens on the port).
    const errors = new Writable({
      write(chunk: Buffer, _enc, done) {
        // The first frame of the error channel only carries the port number (stripped to nothing).
        if (chunk.length === 0) return done();
        options.sink?.emit({
          level: 'warn',
          code: 'registry.port-forward.error',
          message: `port-forward to ${pod}:${options.remotePort} of ${options.meta}: ${chunk.toString('utf8').trim()}`,
        });
        socket.destroy();
        done();
      },
    });
    forwarder
      .portForward(options.namespace, pod, [options.remotePort], socket, errors, socket)
      .then((ws) => {
        const tunnel = ws as unknown as TunnelSocket;
        tunnels.add(tunnel);
        tunnel.on('close', () => {
          tunnels.delete(tunnel);
          socket.destroy();
        });
        tunnel.on('error', () => socket.destroy());
        socket.on('close', () => tunnel.close());
        if (socket.destroyed) tunnel.close();
      })
      .catch((error: unknown) => {
        options.sink?.emit({
          level: 'warn',
          code: 'registry.port-forward.error',
          message: `port-forward to ${pod}:${options.remotePort} of ${options.meta} failed: ${(error as Error)?.message ?? String(error)}`,
        });
        socket.destroy();
      });
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  options.sink?.emit({
    level: 'debug',
    code: 'registry.port-forward.open',
    message: `forwarding 127.0.0.1:${port} to ${options.namespace}/${pod}:${options.remotePort} of ${options.meta}`,
    data: { meta: options.meta, pod, localPort: port },
  });

  return {
    address: `127.0.0.1:${port}`,
    pod,
    close: () =>
      new Promise<void>((resolve) => {
        for (const tunnel of tunnels) tunnel.close();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
