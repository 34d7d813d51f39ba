/**
 * `plan --only/--skip` through the real CLI: the plan shows what `deploy` with
 * the same flags would run; the other steps are marked excluded (text and json).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

describe('plan --only / --skip', () => {
  const ws = sandboxWorkspace();
  afterAll(() => ws.cleanup());
  const plan = (...flags: string[]) => runCli(['plan', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '150', ...flags]);

  it('text: --only alive-test leaves one step per cluster with actions, the others excluded by --only', async () => {
    const result = await plan('--only', 'alive-test');
    expect(result.code).toBe(0);
    const eu = result.stdout.split('\n\n').find((block) => block.startsWith('gp-dev-ws-eu150-eu-west1'));
    expect(eu?.split('\n').filter((line) => /^ {2}\d\./.test(line))).toEqual([
      '  1. create-cluster (excluded by --only)',
      '  2. install-gitpod (excluded by --only)  [runs together with install-jaeger, install-monitoring]',
      '  2. install-jaeger (excluded by --only)  [runs together with install-gitpod, install-monitoring]',
      '  2. install-monitoring (excluded by --only)  [runs together with install-gitpod, install-jaeger]',
      '  3. alive-test  [after install-gitpod, install-jaeger, install-monitoring]',
      '  4. register-cluster (excluded by --only)',
      '  5. traffic-shift (excluded by --only)',
      '  6. retire-old-clusters (excluded by --only)',
    ]);
    expect(eu).toMatch(/ {2}3\. alive-test {2}\[after install-gitpod, install-jaeger, install-monitoring\]\n {7}check {3}sandbox health/);
    expect(result.stdout).toContain('deployment-wide: traffic-shift (excluded by --only)');
  });

  it('json: --skip marks the skipped steps applies false with the flag, the rest unchanged', async () => {
    const result = await plan('--skip', 'create-cluster,traffic-shift', '--output', 'json');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { clusters: Array<{ steps: Array<{ name: string; applies: boolean; excluded?: string; actions: unknown[] }> }>; deploymentSteps: Array<{ name: string; applies: boolean; excluded?: string }> };
    for (const cluster of doc.clusters) {
      const byName = Object.fromEntries(cluster.steps.map((s) => [s.name, s]));
      expect(byName['create-cluster']).toEqual({ name: 'create-cluster', applies: false, excluded: '--skip', actions: [], stage: 1, after: [], alongside: [] });
      expect(byName['traffic-shift']).toEqual({ name: 'traffic-shift', applies: false, excluded: '--skip', actions: [], stage: 5 });
      expect(byName['install-gitpod']).toMatchObject({ applies: true });
      expect(byName['install-gitpod']?.excluded).toBeUndefined();
      expect(byName['install-gitpod']?.actions.length).toBeGreaterThan(0);
    }
    expect(doc.deploymentSteps.map((s) => [s.name, s.applies, s.excluded])).toEqual([
      ['traffic-shift', false, '--skip'],
      // Held back behind the skipped shift: deploy would not retire anything without it.
      ['retire-old-clusters', false, 'held'],
    ]);
  });
});
