/**
 * The sandbox cluster's `ws-manager-client-tls` secret, as files: a real
 * self-signed certificate made by openssl (as cert-manager would issue one in
 * a real cluster), so Register carries real PEM material.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StepContext } from '../steps/step.js';
import { runTool } from '../tools/exec.js';

export function sandboxTlsDir(clusterDir: string): string {
  return join(clusterDir, 'ws-manager-client-tls');
}

/** Creates ca.crt/tls.crt/tls.key once (0600); later calls reuse them. */
export async function ensureSandboxTls(ctx: Pick<StepContext, 'clusterDir' | 'signal' | 'logFile' | 'redactor' | 'cluster'>): Promise<string> {
  const dir = sandboxTlsDir(ctx.clusterDir);
  if (existsSync(join(dir, 'tls.key')) && existsSync(join(dir, 'ca.crt'))) return dir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await runTool({
    argv: ['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30', '-subj', `/CN=ws-manager.${ctx.cluster.shortName}`, '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')],
    env: { OPENSSL_CONF: '/dev/null' },
    signal: ctx.signal,
    logFile: ctx.logFile,
    redactor: ctx.redactor,
    timeoutMs: 30_000,
  });
  chmodSync(join(dir, 'tls.key'), 0o600);
  // Self-signed: the certificate is its own CA.
  copyFileSync(join(dir, 'tls.crt'), join(dir, 'ca.crt'));
  return dir;
}
