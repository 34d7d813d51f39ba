/**
 * `plan`'s verdict about the environment's earlier runs is what `deploy` then does, for every state an earlier
 * deployment can be left in: each case makes that state with the real engine (fake steps, a real file store),
 * asks {@link startRefusal} as `plan` does, then runs `startDeployment` and compares, with and without
 * --allow-unfinished. Refused: the same code and message, naming the deployment; not refused: deploy starts.
 */
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { WsdError } from '../../../src/core/errors.js';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { resumeDeployment, startDeployment, type EngineDeps, type EngineOptions } from '../../../src/engine/deployment.js';
import type { PlanDocument } from '../../../src/plan/build-plan.js';
import { renderPlan } from '../../../src/report/plan-text.js';
import { damageWords, journalDamageFix } from '../../../src/state/journal-damage.js';
import { startRefusal } from '../../../src/engine/start-verdict.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { liveState } from '../../../src/state/liveness.js';
import { deploymentOutcome } from '../../../src/report/outcome.js';
import { CONCLUDED, type DeploymentStep, type Step, type StepContext } from '../../../src/steps/step.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-verdict-'));
  dirs.push(dir);
  const file = join(dir, 'c.yaml');
  const text = `version: v1
environment: development
project: { id: verdict-test, network: n, dnsZone: example.test }
metaClusters: [{ name: meta-eu01, region: europe-west1 }]
workspaceClusters:
  - { region: europe-west1, prefix: eu, governedBy: meta-eu01, type: sandbox }
`;
  writeFileSync(file, text);
  return { loaded: parseConfig(text, file), dir, store: new FileStateStore(join(dir, 'state')) };
}

type Run = (ctx: StepContext) => Promise<Record<string, unknown>>;
const step = (name: 'create-cluster' | 'alive-test', run: Run = async () => ({}), extra: Partial<Step> = {}): Step => ({ name, applies: () => true, describe: () => [], run, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 }, ...extra });
const shift = (run: () => Promise<Record<string, unknown>> = async () => ({ outcome: 'promoted' })): DeploymentStep => ({ name: 'traffic-shift', scope: 'deployment', applies: () => true, describe: () => [], run });

function deps(store: FileStateStore, steps: Step[], deploymentSteps: DeploymentStep[] = [], controller = new AbortController()): EngineDeps {
  return { store, sink: new MemorySink(), signal: controller.signal, redactor: new Redactor(), steps, deploymentSteps, probe: async () => ({ exists: false }), sleep: async () => undefined };
}
const opts: EngineOptions = { dryRun: false, overwrite: false, yes: false, verbose: false, failFast: false };
let nextId = 100;
const fresh = (o: Partial<EngineOptions> = {}): EngineOptions => ({ ...opts, clusterId: nextId++, ...o });
const boom = async (): Promise<never> => {
  throw new WsdError('ToolFailed', 'boom');
};

type Env = ReturnType<typeof setup>;
/** Each state an earlier deployment can be in, made by the engine, and whether it must stop a new deploy. */
const STATES: Record<string, { make(env: Env): Promise<unknown>; blocks: boolean }> = {
  failed: { make: ({ loaded, store }) => startDeployment(loaded, fresh(), deps(store, [step('create-cluster', boom)])), blocks: true },
  interrupted: {
    make: ({ loaded, store }) => {
      const c = new AbortController();
      return startDeployment(loaded, fresh(), deps(store, [step('create-cluster', async () => (c.abort(), boom()))], [], c));
    },
    blocks: true,
  },
  partial: { make: ({ loaded, store }) => startDeployment(loaded, fresh({ only: ['create-cluster'] }), deps(store, [step('create-cluster'), step('alive-test')])), blocks: true },
  // Killed (SIGKILL, a lost CI pod): the journal still says running and no process holds the lock.
  'running, its process gone': {
    async make({ loaded, store }) {
      await startDeployment(loaded, fresh(), deps(store, [step('create-cluster')]));
      const id = readdirSync(store.root).find((f) => /^\d{8}-/.test(f)) as string;
      const journal = join(store.root, id, 'journal.ndjson');
      // Cut the end off: a run that never recorded its end.
      const { readFileSync } = await import('node:fs');
      const lines = readFileSync(journal, 'utf8').trim().split('\n');
      writeFileSync(journal, `${lines.slice(0, -1).join('\n')}\n`);
      rmSync(join(store.root, id, 'snapshot.json'), { force: true });
    },
    blocks: true,
  },
  // A CI run whose shift stopped at a manual gate no one could answer: exit 3, not a failure.
  'held at a manual gate': {
    make: ({ loaded, store }) =>
      startDeployment(
        loaded,
        fresh(),
        deps(store, [step('create-cluster')], [
          {
            ...shift(),
            run: async (ctx) => {
              await ctx.checkpoint({ progress: { phase: 'steps', stepIndex: 1, paused: true, gate: 'beforePromotion' } });
              throw new WsdError('PreCheckRefused', 'the shift holds at gate beforePromotion');
            },
          } satisfies DeploymentStep,
        ]),
      ),
    blocks: true,
  },
  succeeded: { make: ({ loaded, store }) => startDeployment(loaded, fresh(), deps(store, [step('create-cluster')])), blocks: false },
  'refused before any step ran': { make: ({ loaded, store }) => startDeployment(loaded, fresh(), deps(store, [step('create-cluster', async () => ({}), { check: async () => ({ action: 'refuse', reason: 'exists' }) })])), blocks: false },
  'concluded (rolled back)': {
    make: ({ loaded, store }) =>
      startDeployment(
        loaded,
        fresh(),
        deps(store, [
          step('create-cluster', async (ctx) => {
            await ctx.checkpoint({ [CONCLUDED]: 'its traffic shift rolled back: x' });
            throw new WsdError('GateFailed', 'rolled back');
          }),
        ]),
      ),
    blocks: false,
  },
  // A failed one, then a newer one (started beside it) whose shift promoted: the failed one is over.
  superseded: {
    async make({ loaded, store }) {
      await startDeployment(loaded, fresh(), deps(store, [step('create-cluster', boom)]));
      await new Promise((r) => setTimeout(r, 1100)); // ids sort by the second they were made
      await startDeployment(loaded, fresh({ allowUnfinished: true }), deps(store, [step('create-cluster')], [shift()]));
    },
    blocks: false,
  },
  'a journal damaged mid-file': {
    async make({ loaded, store }) {
      await startDeployment(loaded, fresh(), deps(store, [step('create-cluster', boom), step('alive-test')]));
      const id = readdirSync(store.root).find((f) => /^\d{8}-/.test(f)) as string;
      const journal = join(store.root, id, 'journal.ndjson');
      const { readFileSync } = await import('node:fs');
      const lines = readFileSync(journal, 'utf8').trim().split('\n');
      writeFileSync(journal, `${lines[0]}\n{not json\n${lines.slice(1).join('\n')}\n`);
      rmSync(join(store.root, id, 'snapshot.json'), { force: true });
      appendFileSync(journal, '');
    },
    blocks: true,
  },
};

describe('plan says what deploy does about earlier runs', () => {
  for (const [state, { make, blocks }] of Object.entries(STATES)) {
    for (const allowUnfinished of [false, true]) {
      it(`an earlier deployment ${state}${allowUnfinished ? ', with --allow-unfinished' : ''}`, async () => {
        const env = setup();
        await make(env);
        const verdict = await startRefusal(env.loaded, { allowUnfinished }, { store: env.store });
        const ran = await startDeployment(env.loaded, fresh({ allowUnfinished }), deps(env.store, [step('create-cluster')])).then(
          (snap) => ({ started: snap.id }),
          (error: unknown) => ({ refused: error as WsdError }),
        );
        expect(verdict === undefined, JSON.stringify(verdict)).toBe('started' in ran);
        expect(verdict !== undefined).toBe(blocks && !allowUnfinished);
        if (!verdict || !('refused' in ran)) return;
        expect({ code: verdict.code, message: verdict.message }).toEqual({ code: ran.refused.code, message: ran.refused.message });
        expect(verdict.commands).toContain('ws-deployment deploy --allow-unfinished');
        if (verdict.deploymentId && ran.refused.details.file) {
          // Damaged mid-file: how it stands is past the damage. Plan says what `status` says (the file, what is wrong,
          // the fix) and suggests no `resume ID`: that refuses with the same damage.
          const damage = { file: String(ran.refused.details.file), line: Number(ran.refused.details.line) };
          expect(verdict.state).toBe(damageWords(damage));
          expect(verdict.damaged).toEqual({ ...damage, fix: journalDamageFix(damage.file, damage.line) });
          expect(verdict.commands).toEqual(['ws-deployment deploy --allow-unfinished']);
          await expect(resumeDeployment(env.loaded, verdict.deploymentId, fresh(), deps(env.store, [step('create-cluster')]))).rejects.toMatchObject({ code: 'StateCorrupt' });
          const listed = (await env.store.list()).find((d) => d.id === verdict.deploymentId);
          expect(listed?.damaged).toMatchObject({ file: damage.file, line: damage.line, fix: verdict.damaged?.fix });
          const text = renderPlan({ environment: 'development', project: 'verdict-test', clusterId: 1, clusterIdSource: 'next', clusters: [], deploymentSteps: [], refusal: verdict } as unknown as PlanDocument);
          expect(text).toContain(`deployment ${verdict.deploymentId}, whose journal is damaged`);
          expect(text).toContain(`${damageWords(damage)}; ${verdict.damaged?.fix}`);
          expect(text).not.toMatch(/\(\?\)|resume/);
          return;
        }
        if (verdict.deploymentId) {
          expect(ran.refused.message).toContain(verdict.deploymentId);
          // Held at a gate, the commands that answer it come first: an unattended resume alone would stop there again.
          const answers = state === 'held at a manual gate' ? ['resume', 'promote', 'abort'].map((a) => `ws-deployment shift ${a} ${verdict.deploymentId}`) : [];
          expect(verdict.commands.slice(0, answers.length + 1)).toEqual([...answers, `ws-deployment resume ${verdict.deploymentId}`]);
          for (const a of answers) expect(ran.refused.message).toContain(`\`${a}\``);
          // In the words `status` says it stands in (report/outcome.ts), with why where those words alone do not say it.
          const listed = await liveState(env.store, (await env.store.open(verdict.deploymentId, { readOnly: true })).snapshot());
          expect(verdict.state?.startsWith(deploymentOutcome(listed).words), `${verdict.state} / ${deploymentOutcome(listed).words}`).toBe(true);
        }
      });
    }
  }

  it('a run holding the lock: plan says deploy is refused, and deploy is (LockHeld, naming it)', async () => {
    const env = setup();
    const lock = await env.store.lock({ project: 'verdict-test', environment: 'development' }, { deploymentId: '20260101-000000-beef', command: 'deploy' });
    try {
      const verdict = await startRefusal(env.loaded, { allowUnfinished: true }, { store: env.store });
      await expect(startDeployment(env.loaded, fresh({ allowUnfinished: true }), deps(env.store, [step('create-cluster')]))).rejects.toMatchObject({ code: 'LockHeld', message: expect.stringContaining('20260101-000000-beef') });
      expect(verdict).toMatchObject({ code: 'LockHeld', deploymentId: '20260101-000000-beef' });
    } finally {
      await lock.release();
    }
  });
});
