/**
 * `validate` knows what `plan` would refuse from the config alone: for generated
 * configs, when parsing (validation) passes, building the plan with the real steps
 * and `--cluster-id` (no allocation, no observed state) raises no ConfigInvalid.
 * The generator varies exactly the settings plan reads: cluster types, create,
 * the Terraform module/generator/backend, the bucket, meta cluster types and
 * bridge access, the analysis provider. In-process; WSD_PLAN_PROPERTY_RUNS
 * raises the run count (default 1000).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../../src/config/issues.js';
import { parseConfig } from '../../../src/config/load.js';
import { WsdError } from '../../../src/core/errors.js';
import { Redactor } from '../../../src/core/redact.js';
import { buildPlan } from '../../../src/plan/build-plan.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { allSteps } from '../../../src/steps/all-steps.js';
import { deploymentSteps } from '../../../src/steps/traffic/deployment-steps.js';
import { configDir, type ConfigDir } from '../config/helpers.js';

const RUNS = Math.max(1000, Number(process.env.WSD_PLAN_PROPERTY_RUNS ?? 1000) || 1000);

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

const clusterType = fc.constantFrom('gke', 'k3s', 'sandbox', undefined);
const metaType = fc.constantFrom('gke', 'sandbox', undefined);

const cluster = fc.record({ type: clusterType, create: fc.constantFrom(true, false, undefined), region: fc.constantFrom('europe-west1', 'us-west1') });
const meta = fc.record({ type: metaType, bridge: fc.boolean() });

const terraform = fc.record({
  module: fc.constantFrom('none', 'registry', 'local', 'git'),
  generator: fc.constantFrom('none', 'builtin', 'external'),
  backend: fc.constantFrom('none', 'gcs', 'local', 'pg'),
  section: fc.boolean(),
});

const configShape = fc.record({
  environment: fc.constantFrom('production', 'staging', 'development'),
  bucket: fc.boolean(),
  metas: fc.array(meta, { minLength: 1, maxLength: 2 }),
  clusters: fc.array(cluster, { minLength: 1, maxLength: 3 }),
  terraform,
  provider: fc.constantFrom('none', 'simulator', 'prometheus'),
});

type Shape = typeof configShape extends fc.Arbitrary<infer T> ? T : never;

const MODULES: Record<string, string> = {
  registry: 'gitpod-io/ws-cluster/google',
  local: './modules/ws-cluster',
  git: '"git::https://github.com/gitpod-io/gitpod-ops.git//deploy/workspace-cluster?ref=v1.4.0"',
};

function yamlFor(shape: Shape): string {
  const lines = [
    'version: v1',
    `environment: ${shape.environment}`,
    `project: { id: gitpod-191109, network: gitpod-prod, dnsZone: gitpod.io${shape.bucket ? ', bucket: gitpod-prod-tf-state' : ''} }`,
    'metaClusters:',
  ];
  shape.metas.forEach((m, i) => {
    const fields = [`name: meta-eu0${i + 1}`, 'region: europe-west1'];
    if (m.type) fields.push(`type: ${m.type}`);
    if (m.bridge) fields.push('bridge: { address: "127.0.0.1:8080" }');
    lines.push(`  - { ${fields.join(', ')} }`);
  });
  lines.push('workspaceClusters:');
  shape.clusters.forEach((c, i) => {
    const fields = [`region: ${c.region}`, `prefix: ${['eu', 'us', 'as'][i]}`, 'governedBy: meta-eu01'];
    if (c.type) fields.push(`type: ${c.type}`);
    if (c.create !== undefined) fields.push(`create: ${c.create}`);
    lines.push(`  - { ${fields.join(', ')} }`);
  });
  const t = shape.terraform;
  if (t.section) {
    lines.push('terraform:');
    if (t.module !== 'none') lines.push(`  module: { source: ${MODULES[t.module]} }`);
    if (t.generator === 'builtin') lines.push('  generator: { mode: builtin }');
    if (t.generator === 'external') lines.push('  generator: { mode: external, script: ./gen.sh, cwd: ./modules }');
    if (t.backend !== 'none') lines.push(`  backend: { type: ${t.backend} }`);
  }
  if (shape.provider !== 'none') {
    const provider = shape.provider === 'simulator' ? '{ type: simulator }' : '{ type: prometheus, url: "http://127.0.0.1:9090" }';
    lines.push(
      'trafficShift:',
      '  steps: [50, 100]',
      '  analysis:',
      `    provider: ${provider}`,
      '    metrics:',
      '      - { name: failures, query: "sum(rate(failures_total{cluster=\\"{{shortName}}\\"}[{{interval}}]))", threshold: { max: 0.1 } }',
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('validate passing implies plan --cluster-id raises no config error', () => {
  it(`holds for ${RUNS} generated configs, and the generator reaches both outcomes`, async () => {
    const store = new FileStateStore(ctx.dir);
    const outcomes = { valid: 0, invalid: 0 };
    await fc.assert(
      fc.asyncProperty(configShape, async (shape) => {
        const text = yamlFor(shape);
        let loaded;
        try {
          loaded = parseConfig(text, ctx.file);
        } catch (error) {
          // Anything else than a positioned ConfigInvalid from validate is a defect of its own.
          expect(error).toBeInstanceOf(ConfigInvalidError);
          outcomes.invalid++;
          return;
        }
        outcomes.valid++;
        try {
          await buildPlan({
            loaded,
            steps: allSteps(),
            deploymentSteps: deploymentSteps({ store, nonInteractive: true }),
            options: { dryRun: false, overwrite: false, yes: true, verbose: false },
            clusterId: 17,
            probe: () => Promise.reject(new Error('plan with --cluster-id must not probe')),
            redactor: new Redactor(),
            sharedDir: ctx.dir,
          });
        } catch (error) {
          if (error instanceof WsdError && error.code === 'ConfigInvalid') {
            throw new Error(`validate accepted this config but plan refused it: ${error.message}\n--- config ---\n${text}`);
          }
          throw error;
        }
      }),
      { numRuns: RUNS },
    );
    // Not vacuous: both sides of the implication are exercised a fair share of the time.
    expect(outcomes.valid).toBeGreaterThan(RUNS / 20);
    expect(outcomes.invalid).toBeGreaterThan(RUNS / 20);
  }, 120_000);
});
