/**
 * `trafficShift.command`: an external job shifts the traffic. It runs through
 * runTool (argv, no shell) with the deployment's facts in its environment, is
 * journaled, and its failure fails the step. Also the plan's view of a shift.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/core/redact.js';
import { buildTargets } from '../../../src/plan/targets.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { createHarness, SIM_ANALYSIS, wideStep, type Harness } from './harness.js';
import { journalEvents } from './journal.js';

const script = (out: string, exit: number) =>
  `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ news: process.env.WSD_NEW_CLUSTERS, olds: process.env.WSD_OLD_CLUSTERS, metas: process.env.WSD_META_CLUSTERS, team: process.env.TEAM })); process.exit(${exit})`;

function commandShift(out: string, exit: number): string {
  return `  command:
    argv: [node, -e, ${JSON.stringify(script(out, exit))}]
    env: { TEAM: canary }
    timeout: 30s`;
}

describe('traffic shift by an external command', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('runs the command with the clusters in its environment and journals it', async () => {
    const out = join(tmpdir(), `wsd-shift-command-${process.pid}-${Date.now()}.json`);
    h = await createHarness(commandShift(out, 0));
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const snap = await h.deploy([createTrafficShiftStep()]);
    expect(snap.state, JSON.stringify(snap.error)).toBe('succeeded');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ news: 'eu2', olds: 'eu1', metas: 'dev-meta-eu01,dev-meta-us01', team: 'canary' });
    expect(wideStep(snap, 'traffic-shift')?.outputs).toMatchObject({ mode: 'command', outcome: 'promoted', exitCode: 0 });
    expect(journalEvents(h.store.root, snap.id).map((e) => e.code)).toEqual(expect.arrayContaining(['traffic.command.start', 'traffic.command.done']));
    rmSync(out, { force: true });
  });

  it('fails the step when the command fails', async () => {
    h = await createHarness(commandShift('/dev/null', 3));
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const snap = await h.deploy([createTrafficShiftStep()]);
    expect(wideStep(snap, 'traffic-shift')?.error).toMatchObject({ code: 'GateFailed' });
    expect(wideStep(snap, 'traffic-shift')?.error?.message).toMatch(/the traffic shift command node failed \(exit 3\)/);
  });
});

describe('plan of a shift', () => {
  it('shows per step the scores and shares, the time to promotion and the worst case to rollback', async () => {
    const h = await createHarness(`  steps: [10, 50, 100]\n  interval: 1m\n  gates: { beforePromotion: manual }\n${SIM_ANALYSIS}`);
    try {
      const config = h.loaded.config;
      const clusters = buildTargets(config, 18);
      const ctx = { deploymentId: 'd', environment: config.environment, config, clusters, deploymentDir: h.dir, sharedDir: h.dir, options: { dryRun: true, overwrite: false, yes: false, verbose: false }, redactor: new Redactor() };
      const step = createTrafficShiftStep();
      const lines = step.describe(ctx).map((a) => a.description);
      expect(lines.some((l) => /^step 1\/3 at \+0s: 10 % of new starts .*eu18=\d+ eu\*=\d+ → 10 % new/.test(l))).toBe(true);
      expect(lines.some((l) => /promotion \(old clusters cordoned\) after 3m/.test(l))).toBe(true);
      expect(lines.some((l) => /^worst case from a bad signal to rollback: /.test(l))).toBe(true);
      expect(lines.some((l) => /manual gates: beforePromotion/.test(l))).toBe(true);
      const perCluster = step.describeCluster?.(ctx, clusters[0]!) ?? [];
      expect(perCluster[0]?.description).toMatch(/^traffic shift: score \d+ \(10 %\) → \d+ \(50 %\) → 100 \(100 %\)/);
    } finally {
      await h.close();
    }
  });
});
