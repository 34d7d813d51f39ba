/**
 * grpc-js's own diagnostics must not reach stderr raw (it would break
 * --json-log): they arrive as process warnings, which each command routes to
 * its output format. Provoked for real: a second server on a taken port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alwaysReachable, startSimulator } from '../../../src/registry/simulator/index.js';

describe('grpc-js diagnostics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-grpc-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('arrive as GrpcLog process warnings', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const first = await startSimulator({ stateFile: join(dir, 'a.json'), reachability: alwaysReachable });
    try {
      const port = Number(first.address.split(':')[1]);
      await expect(startSimulator({ stateFile: join(dir, 'b.json'), reachability: alwaysReachable, port })).rejects.toMatchObject({ code: 'RegistryError' });
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => [w.name, w.message])).toContainEqual(['GrpcLog', expect.stringMatching(/No address added out of total 1 resolved/)]);
    } finally {
      process.off('warning', onWarning);
      await first.stop();
    }
  });
});
