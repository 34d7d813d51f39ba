/**
 * Test PKI made with the real openssl CLI: a CA, a server certificate for
 * 127.0.0.1/localhost and a client certificate, in a temp folder.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from '../../../../src/tools/exec.js';

export interface TestPki {
  dir: string;
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
  /** File paths, for options that take files. */
  files: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await runTool({ argv: ['openssl', ...args], cwd: dir, timeoutMs: 30_000 });
}

async function leaf(dir: string, name: string, cn: string, ext: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  await openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}

export async function makePki(dir: string): Promise<TestPki> {
  await openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=wsd-test-ca');
  await leaf(dir, 'server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await leaf(dir, 'client', 'ws-deployment', 'extendedKeyUsage=clientAuth\n');
  const files = {
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  };
  return {
    dir,
    files,
    ca: await readFile(files.ca),
    serverCert: await readFile(files.serverCert),
    serverKey: await readFile(files.serverKey),
    clientCert: await readFile(files.clientCert),
    clientKey: await readFile(files.clientKey),
  };
}
