/** Reference bridges, clients on them and the in-process `clusters` CLI, for the reference-* tests. */
import { Command } from 'commander';
import { clustersCommand } from '../../../../src/cli/commands/clusters.js';
import { MemorySink } from '../../../../src/core/events.js';
import { RegistryClient } from '../../../../src/registry/client.js';
import { registrationSchema } from '../../../../src/registry/config.js';
import { connectToMeta } from '../../../../src/registry/connect.js';
import type { RegisterClusterInput } from '../../../../src/registry/register-cluster.js';
import { fileTlsReader } from '../../../../src/registry/tls-source.js';
import { ReferenceBridge, type ReferenceVersion } from '../../../helpers/reference-bridge/reference-bridge.js';

export const FAST = { retry: { attempts: 3, initialDelayMs: 5, maxDelayMs: 10 }, deadlineMs: 5_000 };

/** The register step's input for eu17 on the reference bridge `address` (meta-eu), with --overwrite, its TLS files in `tlsDir`. */
export function overwriteInput(address: string, tlsDir: string, extra: Partial<RegisterClusterInput> = {}): RegisterClusterInput {
  return {
    cluster: { name: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' },
    domain: 'gitpod.example',
    metaClusters: [{ name: 'meta-eu', bridge: { address } }],
    governedBy: 'meta-eu',
    registration: registrationSchema.parse({}),
    tls: fileTlsReader(tlsDir),
    overwrite: true,
    connect: (meta) => connectToMeta(meta, FAST),
    ...extra,
  };
}

/** Starts bridges and opens clients; `cleanup()` (afterEach) closes and stops them all. */
export function referenceFixture() {
  const bridges: ReferenceBridge[] = [];
  const clients: RegistryClient[] = [];
  return {
    async bridge(version: ReferenceVersion = 'current', answers: 'documented' | 'deployed' = 'documented'): Promise<ReferenceBridge> {
      const b = new ReferenceBridge(version, answers);
      await b.start();
      bridges.push(b);
      return b;
    },
    async client(b: ReferenceBridge, sink = new MemorySink(), over: Partial<Parameters<typeof RegistryClient.connect>[0]> = {}): Promise<RegistryClient> {
      const c = await RegistryClient.connect({ address: b.address, meta: 'meta-eu', sink, ...FAST, ...over });
      clients.push(c);
      return c;
    },
    async cleanup(): Promise<void> {
      for (const c of clients.splice(0)) c.close();
      await Promise.all(bridges.splice(0).map((b) => b.stop()));
    },
  };
}

/**
 * Runs `ws-deployment [--config F] clusters …` in-process; stdout, warnings and the error captured. `ask`: a person
 * at a terminal answers each question so (else nobody can be asked, as under CI).
 */
export async function clustersCli(args: string[], ask?: (question: string) => Promise<string>): Promise<{ out: string; warn: string; error?: Error }> {
  const result = { out: '', warn: '', error: undefined as Error | undefined };
  const root = new Command('ws-deployment').exitOverride().option('-c, --config <file>').option('-y, --yes', 'approve', false);
  root.addCommand(
    clustersCommand({
      stdout: (t) => void (result.out += t),
      warn: (t) => void (result.warn += t),
      interactive: () => ask !== undefined,
      ask: ask ?? (async () => ''),
      readStdin: async () => '',
    }),
  );
  root.commands.forEach(function deep(c: Command) {
    c.exitOverride();
    c.commands.forEach(deep);
  });
  await root.parseAsync(['node', 'ws-deployment', ...args]).catch((e: Error) => void (result.error = e));
  return result;
}
