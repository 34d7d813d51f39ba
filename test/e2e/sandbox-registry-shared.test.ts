/**
 * The sandbox registry is embedded in every process that needs it, all on one
 * state file. Concurrent `clusters` commands (separate processes) must all
 * land: none may write back a stale registry over another one's change.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

const CLUSTERS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];

describe('the sandbox registry shared by concurrent processes', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir];
  afterAll(() => ws.cleanup());

  it('keeps every registration and update made by simultaneous commands', async () => {
    const tls = join(ws.dir, 'tls');
    mkdirSync(tls);
    // The simulator only keeps a fingerprint; any non-empty material is accepted, as by the bridge.
    for (const file of ['ca.crt', 'tls.crt', 'tls.key']) writeFileSync(join(tls, file), `test ${file}\n`);

    const registered = await Promise.all(
      CLUSTERS.map((name) => runCli(['clusters', ...common, 'register', '--name', name, '--url', `dns:///ws-${name}.example:8080`, '--tls-path', tls])),
    );
    expect(registered.map((r) => [r.code, r.stderr])).toEqual(CLUSTERS.map(() => [0, '']));

    const updated = await Promise.all(CLUSTERS.map((name, i) => runCli(['clusters', ...common, 'update', '--name', name, 'score', String(10 + i)])));
    expect(updated.map((r) => [r.code, r.stderr])).toEqual(CLUSTERS.map(() => [0, expect.any(String)]));

    const list = await runCli(['clusters', ...common, 'list', '--output', 'json']);
    const rows = (JSON.parse(list.stdout) as Array<{ name: string; score: number }>).map((c) => [c.name, c.score]).sort();
    expect(rows).toEqual(CLUSTERS.map((name, i) => [name, 10 + i]));
  });
});
