/**
 * The engine on fake steps and a real file store: journaling, retries,
 * refusals, resume semantics, fail-fast.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { WsdError } from '../../../src/core/errors.js';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { resumeDeployment, startDeployment, type EngineDeps, type EngineOptions } from '../../../src/engine/deployment.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { CONCLUDED, type Step, type StepContext, type StepName } from '../../../src/steps/step.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function config(prefixes = ['eu', 'us']) {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-engine-'));
  dirs.push(dir);
  const file = join(dir, 'c.yaml');
  const text = `version: v1
environment: development
project: { id: engine-test, network: n, dnsZone: example.test }
metaClusters: [{ name: meta-eu01, region: europe-west1 }]
workspaceClusters:
${prefixes.map((p, i) => `  - { region: ${i % 2 ? 'us-west1' : 'europe-west1'}, prefix: ${p}, governedBy: meta-eu01, type: sandbox }`).join('\n')}
`;
  writeFileSync(file, text);
  return { loaded: parseConfig(text, file), dir };
}

type Behaviour = (ctx: StepContext) => Promise<Record<string, unknown>>;
function fakeStep(name: StepName, behaviour: Behaviour = async () => ({ ok: true }), extra: Partial<Step> = {}): Step {
  return { name, applies: () => true, describe: () => [], run: behaviour, retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 1 }, ...extra };
}

function deps(dir: string, steps: Step[], controller = new AbortController()): EngineDeps & { sink: MemorySink } {
  return {
    store: new FileStateStore(join(dir, 'state')),
    sink: new MemorySink(),
    signal: controller.signal,
    redactor: new Redactor().add('canary-secret-value'),
    steps,
    probe: async () => ({ exists: false }),
    sleep: async () => undefined,
  };
}
const opts: EngineOptions = { dryRun: false, overwrite: false, yes: false, verbose: false, failFast: false, clusterId: 120 };

describe('deployment engine', () => {
  it('runs each cluster in order, journals outputs and redacts secrets in them', async () => {
    const { loaded, dir } = config();
    const order: string[] = [];
    const d = deps(dir, [
      fakeStep('create-cluster', async (ctx) => (order.push(`${ctx.cluster.shortName}:create`), { token: 'x canary-secret-value' })),
      fakeStep('alive-test', async (ctx) => {
        order.push(`${ctx.cluster.shortName}:alive`);
        expect(ctx.outputs['create-cluster']).toEqual({ token: 'x [REDACTED]' });
        return {};
      }),
    ]);
    const snap = await startDeployment(loaded, opts, d);
    expect(snap.state).toBe('succeeded');
    expect(order.indexOf('eu120:create')).toBeLessThan(order.indexOf('eu120:alive'));
    expect(snap.clusters.map((c) => c.name)).toEqual(['gp-dev-ws-eu120-eu-west1', 'gp-dev-ws-us120-us-west1']);
  });

  it('retries transient failures with each attempt journaled, never permanent ones', async () => {
    const { loaded, dir } = config(['eu']);
    let calls = 0;
    const d = deps(dir, [
      fakeStep('create-cluster', async () => {
        calls++;
        if (calls < 3) throw new WsdError('ToolFailed', 'googleapi: Error 503', { transient: true });
        return {};
      }),
      fakeStep('alive-test', async () => {
        throw new WsdError('AliveTestFailed', 'deployment ws-manager: 0/1 ready');
      }),
    ]);
    const snap = await startDeployment(loaded, opts, d);
    const steps = snap.clusters[0]?.steps;
    expect(steps?.[0]).toMatchObject({ state: 'succeeded', attempts: 3 });
    expect(steps?.[1]).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'AliveTestFailed' } });
    expect(d.sink.codes().filter((c) => c === 'step.retry')).toHaveLength(2);
    expect(snap.state).toBe('failed');
  });

  it('a refused pre-run check fails that cluster with PreCheckRefused; the other cluster goes on', async () => {
    const { loaded, dir } = config();
    const d = deps(dir, [
      fakeStep('create-cluster', async () => ({}), {
        check: async (ctx) => (ctx.cluster.prefix === 'eu' ? { action: 'refuse', reason: 'cluster exists' } : { action: 'proceed' }),
      }),
      fakeStep('alive-test'),
    ]);
    const snap = await startDeployment(loaded, opts, d);
    expect(snap.error).toMatchObject({ code: 'PreCheckRefused' });
    expect(snap.clusters[0]?.steps.map((s) => s.state)).toEqual(['failed', 'pending']);
    expect(snap.clusters[1]?.steps.map((s) => s.state)).toEqual(['succeeded', 'succeeded']);
  });

  it('fail-fast stops scheduling other clusters', async () => {
    const { loaded, dir } = config();
    const d = deps(dir, [
      fakeStep('create-cluster', async (ctx) => {
        if (ctx.cluster.prefix === 'eu') throw new WsdError('ToolFailed', 'boom');
        return {};
      }),
      fakeStep('alive-test'),
    ]);
    const snap = await startDeployment(loaded, { ...opts, failFast: true, concurrency: 1 }, d);
    expect(snap.clusters[1]?.steps.map((s) => s.state)).toEqual(['pending', 'pending']);
  });

  it('resume never re-runs done steps, hands back checkpoints, and refuses changed names', async () => {
    const { loaded, dir } = config(['eu']);
    let fail = true;
    const seen: unknown[] = [];
    const steps = [
      fakeStep('create-cluster'),
      fakeStep('register-cluster', async (ctx) => {
        seen.push(ctx.previous);
        await ctx.checkpoint({ registeredWith: ['meta-eu01'] });
        if (fail) throw new WsdError('RegistryUnavailable', 'meta-eu02 unreachable');
        return {};
      }),
    ];
    const d = deps(dir, steps);
    const first = await startDeployment(loaded, opts, d);
    expect(first.state).toBe('failed');
    const renamed = parseConfig(loaded.text.replace('prefix: eu', 'prefix: ew'), loaded.file);
    await expect(resumeDeployment(renamed, first.id, opts, deps(dir, steps))).rejects.toMatchObject({ code: 'ResumeRefused', message: expect.stringMatching(/changes cluster names/) });
    fail = false;
    const d2 = deps(dir, steps);
    const resumed = await resumeDeployment(loaded, first.id, opts, d2);
    expect(resumed.state).toBe('succeeded');
    expect(d2.sink.codes()).toContain('step.already-done');
    expect(seen).toEqual([undefined, { registeredWith: ['meta-eu01'] }]);

  });

  it('refuses to resume with the config of another project: that would take another lock than the deployment\'s', async () => {
    const { loaded, dir } = config(['eu']);
    const d = deps(dir, [fakeStep('create-cluster', async () => { throw new WsdError('ToolFailed', 'boom'); })]);
    const first = await startDeployment(loaded, opts, d);
    // Same cluster names (they do not hold the project), other project: its lock would not exclude a run of the first.
    const other = parseConfig(loaded.text.replace('id: engine-test', 'id: other-project'), loaded.file);
    const ran: string[] = [];
    const steps = [fakeStep('create-cluster', async () => { ran.push('create-cluster'); return {}; })];
    await expect(resumeDeployment(other, first.id, opts, deps(dir, steps))).rejects.toMatchObject({
      code: 'ResumeRefused',
      message: expect.stringMatching(/belongs to environment development of project engine-test, but the config .* is for environment development of project other-project/),
    });
    expect(ran).toEqual([]);
    expect((await d.store.open(first.id, { readOnly: true })).snapshot().state).toBe('failed');
  });

  it('refuses a new deploy while an earlier one of the environment is unfinished', async () => {
    const { loaded, dir } = config(['eu']);
    const d = deps(dir, [fakeStep('create-cluster', async () => { throw new WsdError('ToolFailed', 'boom'); })]);
    const first = await startDeployment(loaded, opts, d);
    await expect(startDeployment(loaded, opts, deps(dir, d.steps as Step[]))).rejects.toMatchObject({ code: 'ResumeRefused', message: expect.stringContaining(`resume ${first.id}`) });
    const forced = await startDeployment(loaded, { ...opts, allowUnfinished: true }, deps(dir, [fakeStep('create-cluster')]));
    expect(forced.state).toBe('succeeded');
  });

  it('a deployment concluded by its failure (a rolled-back shift) blocks nothing and cannot be resumed', async () => {
    const { loaded, dir } = config(['eu']);
    const concluding = fakeStep('create-cluster', async (ctx) => {
      await ctx.checkpoint({ [CONCLUDED]: 'its traffic shift rolled back: failure ratio 0.75 > 0.1' });
      throw new WsdError('GateFailed', 'rolled back');
    });
    const first = await startDeployment(loaded, opts, deps(dir, [concluding]));
    expect(first.state).toBe('failed');
    await expect(resumeDeployment(loaded, first.id, opts, deps(dir, [concluding]))).rejects.toMatchObject({
      code: 'ResumeRefused',
      message: expect.stringMatching(/is over: its traffic shift rolled back: failure ratio 0\.75 > 0\.1\. Nothing to resume: fix the cause and deploy a new generation/),
    });
    await expect(resumeDeployment(loaded, undefined, opts, deps(dir, [concluding]))).rejects.toMatchObject({ code: 'DeploymentNotFound' });
    const next = await startDeployment(loaded, { ...opts, clusterId: 121 }, deps(dir, [fakeStep('create-cluster')]));
    expect(next.state).toBe('succeeded');
  });

  it('an abort interrupts the running step and journals it', async () => {
    const { loaded, dir } = config(['eu']);
    const controller = new AbortController();
    const d = deps(dir, [
      fakeStep('create-cluster', async (ctx) => {
        controller.abort();
        throw new WsdError('Interrupted', `aborted ${ctx.signal.aborted}`);
      }),
      fakeStep('alive-test'),
    ], controller);
    const snap = await startDeployment(loaded, opts, d);
    expect(snap.state).toBe('interrupted');
    expect(snap.clusters[0]?.steps.map((s) => s.state)).toEqual(['interrupted', 'pending']);
  });
});
