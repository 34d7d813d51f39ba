/**
 * `retire --cluster eu100` with a config whose environment was renamed (development → staging) in one state dir:
 * the journal that created eu100 is there, under development. The retirement found no creator and went on: it
 * cordoned, drained and deregistered eu100 (which may serve the other environment), then said "not created by
 * ws-deployment … destroy it yourself". Now it stops before anything changes, naming the deployment and environment
 * that created it and the fix.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('retire after the environment was renamed', { timeout: 120_000 }, () => {
  const ws = sandboxWorkspace();
  afterAll(() => ws.cleanup());
  const renamed = join(ws.dir, 'examples', 'renamed.yaml');
  writeFileSync(renamed, readFileSync(ws.config, 'utf8').replace(/^environment: development$/m, 'environment: staging'));
  const registry = () => JSON.parse(readFileSync(join(ws.stateDir, 'sandbox', 'registry', 'dev-meta-eu01.json'), 'utf8')) as { clusters: Array<{ name: string; state: string }> };

  it('names the deployment and environment that created the cluster, and changes nothing', async () => {
    const dev = await runCli(['deploy', '--config', ws.config, '--state-dir', ws.stateDir, '--only', 'create-cluster']);
    expect(dev.code, dev.stderr).toBe(0);
    const devId = /^deployment (\S+):/.exec(dev.stdout)?.[1];
    const tls = join(ws.dir, 'tls');
    mkdirSync(tls);
    for (const file of ['ca.crt', 'tls.crt', 'tls.key']) writeFileSync(join(tls, file), `test ${file}\n`);
    // eu100 registered, and another cluster taking new starts so its retirement leaves the meta cluster served.
    for (const name of ['eu100', 'eu999']) {
      const r = await runCli(['clusters', '--config', ws.config, '--state-dir', ws.stateDir, 'register', '--name', name, '--url', `dns:///ws-${name}.example:8080`, '--tls-path', tls]);
      expect(r.code, r.stderr).toBe(0);
    }
    const refused = await runCli(['retire', '--config', renamed, '--state-dir', ws.stateDir, '--cluster', 'eu100', '--yes', '--destroy']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(
      `cluster eu100 was created by deployment ${devId} of environment development in ${ws.stateDir} (gp-dev-ws-eu100-eu-west1), not by one of this config's environment staging; short names carry no environment, so it is not retired as this environment's. If the environment was renamed from development, run this with a config naming environment development: its journal has the cluster's terraform module and backend; nothing was changed`,
    );
    expect(registry().clusters.find((c) => c.name === 'eu100')?.state).toBe('AVAILABLE');
    expect(existsSync(join(ws.stateDir, 'terraform-state', 'gp-dev-ws-eu100-eu-west1.tfstate'))).toBe(true);

    // With the config of the environment that created it, the journal is this one's: its deployment is found (here
    // still unfinished, so that is what stands in the way).
    const own = await runCli(['retire', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster', 'eu100', '--yes', '--destroy']);
    expect(own.code).toBe(3);
    expect(own.stderr).toContain(`cluster eu100 is part of unfinished deployment ${devId} (as new cluster)`);
  });
});
