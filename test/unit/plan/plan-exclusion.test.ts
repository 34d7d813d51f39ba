/**
 * `plan --only/--skip`: the plan shows exactly the steps deploy would run with
 * the same flags (the engine's own exclusion set), marks the others as excluded
 * by which flag, and never asks excluded steps to describe themselves.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { startDeployment, type EngineOptions } from '../../../src/engine/deployment.js';
import { buildPlan, type PlanDocument } from '../../../src/plan/build-plan.js';
import { renderPlan } from '../../../src/report/plan-text.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import type { DeploymentStep, Step, StepName } from '../../../src/steps/step.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-plan-excl-'));
  dirs.push(dir);
  const file = join(dir, 'c.yaml');
  const text = `version: v1
environment: development
project: { id: plan-test, network: n, dnsZone: example.test }
metaClusters: [{ name: meta-eu01, region: europe-west1 }]
workspaceClusters:
  - { region: europe-west1, prefix: eu, governedBy: meta-eu01, type: sandbox }
`;
  writeFileSync(file, text);
  return { loaded: parseConfig(text, file), dir };
}

/** Fake steps that record what ran; describing an excluded step would throw (like install-gitpod without a manifest). */
function steps(ran: string[], described: string[]): { steps: Step[]; wide: DeploymentStep[] } {
  const cluster = (name: StepName, applies = true): Step => ({
    name,
    applies: () => applies,
    describe: () => (described.push(name), [{ kind: 'note', description: `${name} would run` }]),
    run: async () => (ran.push(name), {}),
  });
  const wide = (name: StepName): DeploymentStep => ({
    name,
    scope: 'deployment',
    applies: () => true,
    describe: () => (described.push(`*/${name}`), [{ kind: 'note', description: `${name} would run` }]),
    describeCluster: () => [{ kind: 'note', description: `${name} for this cluster` }],
    run: async () => (ran.push(`*/${name}`), {}),
  });
  return {
    steps: [cluster('create-cluster'), cluster('install-gitpod'), cluster('install-jaeger', false), cluster('alive-test')],
    wide: [wide('traffic-shift'), wide('retire-old-clusters')],
  };
}

const base: EngineOptions = { dryRun: false, overwrite: false, yes: false, verbose: false, failFast: false, clusterId: 120 };

async function plan(options: EngineOptions, described: string[] = []): Promise<PlanDocument> {
  const { loaded, dir } = setup();
  const s = steps([], described);
  return buildPlan({ loaded, steps: s.steps, deploymentSteps: s.wide, options, clusterId: 120, probe: async () => ({ exists: false }), redactor: new Redactor(), sharedDir: join(dir, 'state') });
}

/** What the engine really runs with these options (on the same fake steps). */
async function deployed(options: EngineOptions): Promise<string[]> {
  const { loaded, dir } = setup();
  const ran: string[] = [];
  const s = steps(ran, []);
  const store = new FileStateStore(join(dir, 'state'));
  await startDeployment(loaded, options, { store, sink: new MemorySink(), signal: new AbortController().signal, redactor: new Redactor(), steps: s.steps, deploymentSteps: s.wide, probe: async () => ({ exists: false }) });
  await store.close();
  return ran;
}

function wouldRun(doc: PlanDocument): string[] {
  return [...(doc.clusters[0]?.steps.filter((s) => s.applies && !['traffic-shift', 'retire-old-clusters'].includes(s.name)).map((s) => s.name) ?? []), ...doc.deploymentSteps.filter((s) => s.applies).map((s) => `*/${s.name}`)];
}

describe('plan with --only / --skip', () => {
  it.each<[string, Partial<EngineOptions>]>([
    ['no flags', {}],
    ['--only alive-test', { only: ['alive-test'] }],
    ['--skip create-cluster,traffic-shift', { skip: ['create-cluster', 'traffic-shift'] }],
    ['--only alive-test,traffic-shift --skip traffic-shift', { only: ['alive-test', 'traffic-shift'], skip: ['traffic-shift'] }],
    // The shift and the retirement are held back behind a step the clusters need; not behind one that does not apply.
    ['--skip install-gitpod', { skip: ['install-gitpod'] }],
    ['--skip install-jaeger', { skip: ['install-jaeger'] }],
  ])('lists exactly the steps deploy runs with %s', async (_label, flags) => {
    const options = { ...base, ...flags };
    expect(wouldRun(await plan(options))).toEqual(await deployed(options));
  });

  it('marks excluded steps with the flag that excluded them, without actions, and does not describe them (json shape)', async () => {
    const described: string[] = [];
    const doc = await plan({ ...base, only: ['alive-test', 'traffic-shift'], skip: ['traffic-shift'] }, described);
    expect(doc.clusters[0]?.steps).toEqual([
      { name: 'create-cluster', applies: false, excluded: '--only', actions: [], stage: 1, after: [], alongside: [] },
      { name: 'install-gitpod', applies: false, excluded: '--only', actions: [], stage: 2, after: ['create-cluster'], alongside: [] },
      { name: 'install-jaeger', applies: false, excluded: '--only', actions: [], stage: 3, after: ['install-gitpod'], alongside: [] },
      { name: 'alive-test', applies: true, actions: [{ kind: 'note', description: 'alive-test would run' }], stage: 4, after: ['install-jaeger'], alongside: [] },
      { name: 'traffic-shift', applies: false, excluded: '--skip', actions: [], stage: 5 },
      { name: 'retire-old-clusters', applies: false, excluded: '--only', actions: [], stage: 6 },
    ]);
    expect(doc.deploymentSteps).toEqual([
      { name: 'traffic-shift', applies: false, excluded: '--skip', actions: [] },
      { name: 'retire-old-clusters', applies: false, excluded: '--only', actions: [] },
    ]);
    expect(described).toEqual(['alive-test']);
    // The JSON form carries the same fields (`plan --output json` prints the document as is).
    expect(JSON.parse(JSON.stringify(doc.clusters[0]?.steps[0]))).toEqual({ name: 'create-cluster', applies: false, excluded: '--only', actions: [], stage: 1, after: [], alongside: [] });
  });

  it('keeps "not applicable" apart from excluded, and sets no excluded field without flags', async () => {
    const doc = await plan(base);
    expect(doc.clusters[0]?.steps.find((s) => s.name === 'install-jaeger')).toEqual({ name: 'install-jaeger', applies: false, actions: [], stage: 3, after: ['install-gitpod'], alongside: [] });
    expect(doc.clusters[0]?.steps.every((s) => !('excluded' in s))).toBe(true);
  });

  it('text: excluded steps say by which flag, held-back ones why, with no actions under them', async () => {
    const text = renderPlan(await plan({ ...base, skip: ['install-gitpod', 'retire-old-clusters'] }));
    expect(text).toContain(
      [
        '  1. create-cluster',
        '       note    create-cluster would run',
        '  2. install-gitpod (excluded by --skip)',
        '  3. install-jaeger (not applicable)',
        '  4. alive-test',
        '       note    alive-test would run',
        '  5. traffic-shift (held back behind a step left out; `resume` runs it after that one)',
        '  6. retire-old-clusters (excluded by --skip)',
        '',
        'deployment-wide: traffic-shift (held back behind a step left out; `resume` runs it after that one)',
        '',
        'deployment-wide: retire-old-clusters (excluded by --skip)',
        '',
      ].join('\n'),
    );
  });
});
