/**
 * `resume ID --retry-shift` with the real engine and a real file store (fake steps): a shift that rolled back starts
 * again from its first step with nothing of the attempt before (fresh gates), journaled first with who and when, then
 * the deployment goes on as `resume` would (the retirement after the shift). Every refusal names why and the fix,
 * and changes nothing: the journal is as it was.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { WsdError } from '../../../src/core/errors.js';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { resumeDeployment, startDeployment, type EngineDeps, type EngineOptions } from '../../../src/engine/deployment.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { deploymentOutcome } from '../../../src/report/outcome.js';
import { renderSummary, statusDocument } from '../../../src/report/summary.js';
import { CONCLUDED, type DeploymentStep, type DeploymentStepContext, type Step } from '../../../src/steps/step.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-retry-'));
  dirs.push(dir);
  const file = join(dir, 'c.yaml');
  const text = `version: v1
environment: development
project: { id: retry-test, network: n, dnsZone: example.test }
metaClusters: [{ name: meta-eu01, region: europe-west1 }]
workspaceClusters:
  - { region: europe-west1, prefix: eu, governedBy: meta-eu01, type: sandbox }
`;
  writeFileSync(file, text);
  return { loaded: parseConfig(text, file), store: new FileStateStore(join(dir, 'state')) };
}

const ONCE = { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 };
const create: Step = { name: 'create-cluster', applies: () => true, describe: () => [], run: async () => ({}), retry: ONCE };

/** A shift that plays `runs` in turn (one per run of the step), and a retirement after it that counts its runs. */
function world(runs: Array<(ctx: DeploymentStepContext) => Promise<Record<string, unknown>>>, retryRefusal?: () => Promise<string | undefined>) {
  const seen: Array<Record<string, unknown> | undefined> = [];
  let retired = 0;
  const shift: DeploymentStep = {
    name: 'traffic-shift',
    scope: 'deployment',
    applies: () => true,
    describe: () => [],
    retry: ONCE,
    ...(retryRefusal ? { retryRefusal } : {}),
    run: async (ctx) => {
      seen.push(ctx.previous);
      const run = runs.shift();
      if (!run) throw new Error('the shift ran more often than the test planned');
      return run(ctx);
    },
  };
  const retire: DeploymentStep = { name: 'retire-old-clusters', scope: 'deployment', applies: () => true, describe: () => [], retry: ONCE, run: async () => ((retired += 1), {}) };
  return { shift, retire, seen, retired: () => retired };
}

const rollsBack = async (ctx: DeploymentStepContext): Promise<never> => {
  await ctx.checkpoint({ original: { 'meta-eu01': {} }, progress: { phase: 'rolled-back', stepIndex: 1, reason: 'meta cluster meta-eu01 failed: bridge down' }, [CONCLUDED]: 'its traffic shift rolled back: meta cluster meta-eu01 failed: bridge down' });
  throw new WsdError('GateFailed', 'traffic shift rolled back at step 2/3');
};
const promotes = async (ctx: DeploymentStepContext) => {
  await ctx.checkpoint({ progress: { phase: 'done', stepIndex: 2 } });
  return { outcome: 'promoted' };
};

function deps(store: FileStateStore, w: ReturnType<typeof world>): EngineDeps {
  return { store, sink: new MemorySink(), signal: new AbortController().signal, redactor: new Redactor(), steps: [create], deploymentSteps: [w.shift, w.retire], probe: async () => ({ exists: false }), sleep: async () => undefined };
}
const opts: EngineOptions = { dryRun: false, overwrite: false, yes: false, verbose: false, failFast: false, clusterId: 7 };

function journalText(store: FileStateStore, id: string): string {
  return readFileSync(join(store.root, id, 'journal.ndjson'), 'utf8');
}

describe('resume --retry-shift', () => {
  it('a shift that rolled back starts again from its first step (fresh), journaled first, then the deployment goes on to the retirement', async () => {
    const env = setup();
    const w = world([rollsBack, promotes]);
    const first = await startDeployment(env.loaded, opts, deps(env.store, w));
    expect(deploymentOutcome(first)).toMatchObject({ outcome: 'rolled-back', words: 'rolled back' });
    // The outcome offers the retry, and a plain resume names it too.
    expect(deploymentOutcome(first).next).toContain(`\`ws-deployment resume ${first.id} --retry-shift\``);
    await expect(resumeDeployment(env.loaded, first.id, opts, deps(env.store, w))).rejects.toThrow(`\`ws-deployment resume ${first.id} --retry-shift\``);

    const snap = await resumeDeployment(env.loaded, first.id, { ...opts, retryShift: true }, deps(env.store, w));
    expect(snap.state).toBe('succeeded');
    // The second run of the shift saw nothing of the first: no saved scores, progress, conclusion (fresh gates).
    expect(w.seen).toEqual([undefined, undefined]);
    expect(w.retired()).toBe(1);
    const records = journalText(env.store, first.id).trim().split('\n').map((l) => JSON.parse(l) as { type: string; by?: string; attempt?: number });
    const retried = records.findIndex((r) => r.type === 'shift.retried');
    const resumed = records.findIndex((r, i) => i > retried && r.type === 'deployment.resumed');
    expect(retried).toBeGreaterThan(0);
    expect(resumed).toBe(retried + 1);
    expect(records[retried]).toMatchObject({ attempt: 2, by: expect.stringMatching(/@.* \(resume --retry-shift\)$/) });
    // status, status --json: the attempt and the retry.
    expect(snap.shiftRetries).toEqual([expect.objectContaining({ attempt: 2, after: 'its traffic shift rolled back: meta cluster meta-eu01 failed: bridge down' })]);
    expect(statusDocument(snap).shift).toMatchObject({ attempt: 2, phase: 'done', retries: [{ attempt: 2 }] });
    expect(renderSummary(snap)).toMatch(/traffic shift \(attempt 2\): done\n {2}retried: attempt 2 by .* after its traffic shift rolled back: meta cluster meta-eu01 failed: bridge down/);
  });

  it('a retry that rolls back again says which attempt rolled back, and can be retried once more', async () => {
    const env = setup();
    const w = world([rollsBack, rollsBack, promotes]);
    const first = await startDeployment(env.loaded, opts, deps(env.store, w));
    const second = await resumeDeployment(env.loaded, first.id, { ...opts, retryShift: true }, deps(env.store, w));
    expect(deploymentOutcome(second)).toMatchObject({ outcome: 'rolled-back', words: 'rolled back (shift attempt 2)', next: expect.stringContaining('--retry-shift') });
    const third = await resumeDeployment(env.loaded, first.id, { ...opts, retryShift: true }, deps(env.store, w));
    expect(third.state).toBe('succeeded');
    expect(statusDocument(third).shift).toMatchObject({ attempt: 3 });
  });

  it('killed after the retry was journaled: a plain resume goes on with the retried shift (attempt 2), from its first step', async () => {
    const env = setup();
    const w = world([rollsBack]);
    const first = await startDeployment(env.loaded, opts, deps(env.store, w));
    // The retry's run dies inside the shift, as a SIGKILL would leave it: the retry record, a started shift, no end.
    const killed = new AbortController();
    const dying = world([
      async (ctx) => {
        await ctx.checkpoint({ progress: { phase: 'steps', stepIndex: 0 } });
        killed.abort();
        throw new WsdError('Interrupted', 'killed');
      },
    ]);
    const interrupted = await resumeDeployment(env.loaded, first.id, { ...opts, retryShift: true }, { ...deps(env.store, dying), signal: killed.signal });
    expect(interrupted.state).toBe('interrupted');
    expect(statusDocument(interrupted).shift).toMatchObject({ attempt: 2, phase: 'steps' });
    // A second --retry-shift is refused (the shift did not roll back); resume continues it.
    await expect(resumeDeployment(env.loaded, first.id, { ...opts, retryShift: true }, deps(env.store, world([])))).rejects.toThrow(/did not roll back its traffic shift .*continue this one with `ws-deployment resume /);
    const after = world([promotes]);
    const done = await resumeDeployment(env.loaded, first.id, opts, deps(env.store, after));
    expect(done.state).toBe('succeeded');
    expect(after.seen[0]).toMatchObject({ progress: { phase: 'steps', stepIndex: 0 } });
    expect(after.seen[0]).not.toHaveProperty(CONCLUDED);
    expect(after.retired()).toBe(1);
    expect(statusDocument(done).shift).toMatchObject({ attempt: 2 });
  });

  describe('refused, naming why and the fix, with nothing changed', () => {
    async function rolledBack(retryRefusal?: () => Promise<string | undefined>) {
      const env = setup();
      const w = world([rollsBack], retryRefusal);
      const snap = await startDeployment(env.loaded, opts, deps(env.store, w));
      return { env, w, id: snap.id };
    }
    async function refused(env: ReturnType<typeof setup>, id: string, w: ReturnType<typeof world>, message: RegExp, code = 'ResumeRefused') {
      const before = journalText(env.store, id);
      await expect(resumeDeployment(env.loaded, id, { ...opts, retryShift: true }, deps(env.store, w))).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
      expect(journalText(env.store, id)).toBe(before);
    }

    it('a deployment whose shift did not roll back (another step failed)', async () => {
      const env = setup();
      const w = world([]);
      const failing: Step = { ...create, run: async () => Promise.reject(new WsdError('ToolFailed', 'boom')) };
      const snap = await startDeployment(env.loaded, opts, { ...deps(env.store, w), steps: [failing] });
      await refused(env, snap.id, w, new RegExp(`^deployment ${snap.id} did not roll back its traffic shift \\(it is failed\\): .*continue this one with \`ws-deployment resume ${snap.id}\``));
    });

    it('a deployment held at a manual gate: what answers the gate, not a plain resume (in CI it stops there again)', async () => {
      const env = setup();
      const holds = async (ctx: DeploymentStepContext): Promise<never> => {
        await ctx.checkpoint({ progress: { phase: 'steps', stepIndex: 0, paused: true, gate: 'beforeIncrease' }, schedule: { steps: [10, 50, 100], manualGates: ['beforeIncrease'] } });
        throw new WsdError('PreCheckRefused', 'manual gate beforeIncrease at step 1/3: no one can answer it here');
      };
      const w = world([holds]);
      const snap = await startDeployment(env.loaded, opts, deps(env.store, w));
      const id = snap.id;
      await refused(env, id, w, new RegExp(`did not roll back its traffic shift .*held at the manual gate beforeIncrease .*\`ws-deployment shift resume ${id}\` approves it.*then \`ws-deployment resume ${id}\`\\. Nothing was changed$`));
    });

    it('a deployment that succeeded', async () => {
      const env = setup();
      const w = world([promotes]);
      const snap = await startDeployment(env.loaded, opts, deps(env.store, w));
      await refused(env, snap.id, w, new RegExp(`^deployment ${snap.id} succeeded: its traffic shift was promoted, so there is nothing to retry .*; to move the traffic to other clusters, deploy a new generation\\. Nothing was changed$`));
    });

    it('a rollback still incomplete: finish it first with resume', async () => {
      const env = setup();
      const w = world([
        async (ctx) => {
          await ctx.checkpoint({ progress: { phase: 'steps', stepIndex: 1, rollingBack: { reason: 'gate failed', incomplete: [{ meta: 'meta-eu01', error: 'unavailable', scores: {} }] } } });
          throw new WsdError('RegistryError', 'traffic shift rollback incomplete on meta-eu01');
        },
      ]);
      const snap = await startDeployment(env.loaded, opts, deps(env.store, w));
      await refused(env, snap.id, w, new RegExp(`still rolling back \\(not taken yet on meta-eu01\\).*finish the rollback first with \`ws-deployment resume ${snap.id}\`, then \`ws-deployment resume ${snap.id} --retry-shift\``));
    });

    it('new clusters a meta cluster no longer lists (the step says so)', async () => {
      const { env, w, id } = await rolledBack(async () => 'the new clusters are no longer there to shift to (eu7 is not registered with meta-eu01)');
      await refused(env, id, w, /eu7 is not registered with meta-eu01.*Nothing was changed$/);
    });

    // New clusters a standalone retire took: the real shift step's retryRefusal reads retire/NAME.json against the
    // meta clusters' Lists (test/integration/shift/retry-stale-retire-progress.test.ts).

    it('a run that holds the lock', async () => {
      const { env, w, id } = await rolledBack();
      const lock = await env.store.lock({ project: 'retry-test', environment: 'development' }, { deploymentId: '20260101-000000-beef', command: 'deploy' });
      try {
        await refused(env, id, w, /20260101-000000-beef/, 'LockHeld');
      } finally {
        await lock.release();
      }
    });
  });
});

describe('engine/shift-retry.ts', () => {
  it('exports only its own code: the resumable helpers are imported from state/resumable.ts, their home, not through it', async () => {
    const own = await import('../../../src/engine/shift-retry.js');
    const home = await import('../../../src/state/resumable.js');
    const borrowed = Object.keys(own).filter((name) => (home as Record<string, unknown>)[name] === (own as Record<string, unknown>)[name]);
    expect(borrowed).toEqual([]);
  });
});
