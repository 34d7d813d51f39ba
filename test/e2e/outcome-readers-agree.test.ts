/**
 * Every reader says how a deployment ended in the same words: `status` (head line), `status --output json`
 * (`outcome`), `status --all` (STATE, and `outcome` in JSON) and the HTML report (its head), for journals of
 * each outcome written to a real file store. A superseded deployment is over everywhere: no reader tells the
 * operator to `resume` it (its interruption's message said so) or that `resume` runs its excluded steps.
 * And every reader suggests the same commands (the `ws-deployment …` ones, completed with the flags that reach
 * the state), in each state built here (held at a gate, paused, its rollback paused, failed, rolled back, a
 * first generation failed, partial, killed, superseded, running at a gate, with `shift` commands queued): what a
 * script reads in the JSON is what an operator reads in the text and the report. A damaged journal is refused by
 * each in the same words.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import { runCli } from '../helpers/cli.js';
import { commandsIn } from '../helpers/suggested-commands.js';

const root = mkdtempSync(join(tmpdir(), 'wsd-outcome-readers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
// The config the deployments ran with exists: the commands that read one (retire) are commands, not words.
const config = join(root, 'c.yaml');
writeFileSync(config, 'version: v1\n');

type Append = Parameters<Awaited<ReturnType<FileStateStore['create']>>['append']>[0];
const EU = 'gp-dev-ws-eu101-eu-west1';
const ok = (cluster: string, step: string): Append[] => [
  { type: 'step.started', cluster, step, attempt: 1 },
  { type: 'step.succeeded', cluster, step, outputs: {}, durationMs: 5 },
] as Append[];
const installed = [...ok(EU, 'create-cluster'), ...ok(EU, 'register-cluster')];
const failedShift = (code: string, checkpoint: Record<string, unknown>): Append[] => [
  { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 },
  { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: checkpoint },
  { type: 'step.failed', cluster: '*', step: 'traffic-shift', error: { code, message: 'the shift stopped' } },
] as Append[];

/** Each case: its records after `deployment.created`, and the words its head must say. Oldest first. */
const CASES: Array<{ id: string; env: string; records: Append[]; words: string; outcome: string; live?: true; queued?: 'pause' }> = [
  {
    id: '20260101-000001-aaaa',
    env: 'held',
    records: [...installed, ...failedShift('PreCheckRefused', { progress: { phase: 'steps', stepIndex: 0, paused: true, gate: 'beforeIncrease' }, schedule: { steps: [10, 50, 100], manualGates: ['beforeIncrease'] } }), { type: 'deployment.finished', state: 'failed', error: { code: 'PreCheckRefused', message: '* traffic-shift: the shift holds at step 1/3' } }],
    words: 'held at the manual gate beforeIncrease',
    outcome: 'held',
  },
  {
    id: '20260101-000002-aaaa',
    env: 'retire',
    records: [
      ...installed,
      ...ok('*', 'traffic-shift'),
      { type: 'step.started', cluster: '*', step: 'retire-old-clusters', attempt: 1 },
      { type: 'step.failed', cluster: '*', step: 'retire-old-clusters', error: { code: 'ToolFailed', message: 'terraform destroy failed' } },
      { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'deployment retire-old-clusters: terraform destroy failed' } },
    ],
    words: 'failed after promotion (retiring the old clusters)',
    outcome: 'retire-failed',
  },
  // Interrupted, then a newer deployment of its environment promoted: superseded.
  {
    id: '20260101-000003-aaaa',
    env: 'superseded',
    records: [
      { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 },
      { type: 'step.interrupted', cluster: EU, step: 'create-cluster' },
      { type: 'deployment.finished', state: 'interrupted', error: { code: 'Interrupted', message: 'deployment 20260101-000003-aaaa was interrupted; continue it with `ws-deployment resume 20260101-000003-aaaa`' } },
    ],
    words: 'interrupted, superseded by 20260101-000004-aaaa',
    outcome: 'superseded',
  },
  { id: '20260101-000004-aaaa', env: 'superseded', records: [...installed, ...ok('*', 'traffic-shift'), ...ok('*', 'retire-old-clusters'), { type: 'deployment.finished', state: 'succeeded' }], words: 'succeeded', outcome: 'succeeded' },
  {
    id: '20260101-000005-aaaa',
    env: 'failed',
    records: [
      { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 },
      { type: 'step.failed', cluster: EU, step: 'create-cluster', error: { code: 'ToolFailed', message: 'terraform apply failed' }, durationMs: 5 },
      { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'create-cluster failed' } },
    ],
    words: 'failed',
    outcome: 'failed',
  },
  {
    id: '20260101-000006-aaaa',
    env: 'rolled-back',
    records: [
      ...installed,
      ...failedShift('GateFailed', { progress: { phase: 'rolled-back', stepIndex: 0, reason: 'errors', rolledBackFrom: 'step 1/2 (25 %)' }, concluded: 'its traffic shift rolled back: errors' }),
      { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'rolled back' } },
    ],
    words: 'rolled back',
    outcome: 'rolled-back',
  },
  {
    id: '20260101-000007-aaaa',
    env: 'partial',
    records: [...installed, { type: 'step.excluded', cluster: '*', step: 'traffic-shift', by: '--skip' }, { type: 'step.excluded', cluster: '*', step: 'retire-old-clusters', by: '--skip' }, { type: 'deployment.finished', state: 'partial' }] as Append[],
    words: 'partial',
    outcome: 'partial',
  },
  // A `running` journal whose process is gone (killed): interrupted, to every reader.
  { id: '20260101-000008-aaaa', env: 'killed', records: [...installed, { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 }] as Append[], words: 'interrupted', outcome: 'interrupted' },
  // Paused by an operator's `shift pause`, then the CI run stopped there.
  {
    id: '20260101-000009-aaaa',
    env: 'paused',
    records: [...installed, ...failedShift('PreCheckRefused', { progress: { phase: 'steps', stepIndex: 0, paused: true, pausedBy: 'operator' }, schedule: { steps: [10, 50, 100] } }), { type: 'deployment.finished', state: 'failed', error: { code: 'PreCheckRefused', message: '* traffic-shift: the shift is paused' } }],
    words: 'refused',
    outcome: 'refused',
  },
  // Running, its process alive (the test holds its lock for it), waiting at a manual gate.
  {
    id: '20260101-000010-aaaa',
    env: 'waiting',
    live: true,
    records: [...installed, { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 }, { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'steps', stepIndex: 0, paused: true, gate: 'beforeIncrease' }, schedule: { steps: [10, 50, 100], manualGates: ['beforeIncrease'] } } }] as Append[],
    words: 'running',
    outcome: 'running',
  },
  // A `shift pause` queued: never applied once it rolled back; applied by the resume of a killed one.
  {
    id: '20260101-000011-aaaa',
    env: 'rolled-back-queued',
    queued: 'pause',
    records: [
      ...installed,
      ...failedShift('GateFailed', { progress: { phase: 'rolled-back', stepIndex: 0, reason: 'errors', rolledBackFrom: 'step 1/2 (25 %)' }, concluded: 'its traffic shift rolled back: errors' }),
      { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'rolled back' } },
    ],
    words: 'rolled back',
    outcome: 'rolled-back',
  },
  { id: '20260101-000012-aaaa', env: 'killed-queued', queued: 'pause', records: [...installed, { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 }] as Append[], words: 'interrupted', outcome: 'interrupted' },
  // Steps left out, finished as `succeeded` (as a journal written before `partial` existed says): `resume` refuses it.
  { id: '20260101-000014-aaaa', env: 'succeeded-excluded', records: [...ok(EU, 'create-cluster'), { type: 'step.excluded', cluster: EU, step: 'register-cluster', by: '--only' }, { type: 'step.excluded', cluster: '*', step: 'traffic-shift', by: '--only' }, { type: 'deployment.finished', state: 'succeeded' }] as Append[], words: 'succeeded', outcome: 'succeeded' },
  {
    id: '20260101-000015-aaaa',
    env: 'first-generation',
    records: [
      ...installed,
      ...failedShift('GateFailed', { progress: { phase: 'failed', stepIndex: 0, reason: 'errors' }, concluded: 'its first generation failed its gates' }),
      { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'the first generation failed its gates' } },
    ],
    words: 'first generation failed its gates; nothing to roll back to, so its clusters still take every new workspace start',
    outcome: 'first-generation-failed',
  },
  // Its rollback paused half-way, and the run stopped there: `resume` finishes the rollback.
  {
    id: '20260101-000013-aaaa',
    env: 'rollback-paused',
    records: [...installed, ...failedShift('PreCheckRefused', { progress: { phase: 'steps', stepIndex: 1, paused: true, rollingBack: { reason: 'errors' } }, schedule: { steps: [10, 50, 100] } }), { type: 'deployment.finished', state: 'failed', error: { code: 'PreCheckRefused', message: '* traffic-shift: the rollback is paused' } }],
    words: 'refused',
    outcome: 'refused',
  },
];

async function make(store: FileStateStore, c: (typeof CASES)[number]): Promise<void> {
  const j = await store.create(c.id);
  await j.append({
    type: 'deployment.created',
    id: c.id,
    inputs: { configFile: config, configHash: 'h', project: 'p', environment: c.env },
    clusterId: 101,
    clusters: [{ index: 0, name: EU, shortName: 'eu101', id: 101, region: 'europe-west1', prefix: 'eu', governedBy: 'meta', type: 'sandbox' }],
    steps: [['create-cluster', 'register-cluster']],
    deploymentSteps: ['traffic-shift', 'retire-old-clusters'],
  });
  for (const r of c.records) await j.append(r);
  if (c.queued) await store.sendControl(c.id, c.queued);
}

describe('every reader says the same outcome', { timeout: 120_000 }, () => {
  it('status, status --output json, status --all (text and JSON) and the report agree, per outcome', async () => {
    const store = new FileStateStore(root);
    for (const c of CASES) await make(store, c);
    const held = await Promise.all(CASES.filter((c) => c.live).map((c) => store.lock({ project: 'p', environment: c.env }, { deploymentId: c.id, command: 'deploy' })));
    onTestFinished(async () => {
      for (const lock of held) await lock.release();
    });
    const all = await runCli(['status', '--all', '--state-dir', root]);
    const allJson = JSON.parse((await runCli(['status', '--all', '--output', 'json', '--state-dir', root])).stdout) as Array<{ id: string; outcome?: string; supersededBy?: string }>;
    for (const c of CASES) {
      const text = await runCli(['status', c.id, '--state-dir', root]);
      expect(text.stdout.split('\n')[0], c.id).toBe(`deployment ${c.id}: ${c.words} (cluster id 101)`);
      const json = JSON.parse((await runCli(['status', c.id, '--output', 'json', '--state-dir', root])).stdout) as { outcome: string };
      expect(json.outcome, c.id).toBe(c.outcome);
      const row = all.stdout.split('\n').find((l) => l.startsWith(c.id)) ?? '';
      const listed = allJson.find((d) => d.id === c.id)!;
      if (c.outcome === 'superseded') {
        expect(row).toMatch(/ interrupted, superseded /);
        expect(listed.supersededBy).toBe('20260101-000004-aaaa');
      } else if (c.outcome === 'partial') {
        expect(row, c.id).toContain(' partial (2 excluded) ');
      } else {
        expect(row, c.id).toContain(` ${c.words} `);
        // `status --all --output json` has an outcome for a failed deployment only.
        if (!['succeeded', 'interrupted', 'running'].includes(c.outcome)) expect(listed.outcome, c.id).toBe(c.outcome);
      }
      const out = join(root, `${c.id}.html`);
      expect((await runCli(['report', c.id, '--output', out, '--state-dir', root])).code).toBe(0);
      const html = readFileSync(out, 'utf8');
      expect(/<p class="state [^"]*" data-state="[^"]*">([^<]*)<\/p>/.exec(html)?.[1], c.id).toBe(c.words);
      // Nothing tells the operator to resume what nothing resumes.
      if (c.outcome === 'superseded') {
        for (const said of [text.stdout, html]) expect(said).not.toMatch(/continue it with/);
        expect(html).toContain('superseded: the newer deployment 20260101-000004-aaaa moved this environment');
      }
      // The same commands, whatever the formatting (backticks, HTML escaping, JSON strings).
      const suggested = (output: string): string[] => [...new Set(commandsIn(output))].sort();
      const jsonSaid = (await runCli(['status', c.id, '--output', 'json', '--state-dir', root])).stdout;
      expect.soft(suggested(jsonSaid), `${c.id}: status --output json`).toEqual(suggested(text.stdout));
      expect.soft(suggested(html), `${c.id}: report`).toEqual(suggested(text.stdout));
      // Each state that leaves something to do names its command (a first generation that failed: a new deployment, in words).
      if (c.outcome !== 'succeeded' && c.outcome !== 'first-generation-failed') expect(suggested(text.stdout).length, c.id).toBeGreaterThan(0);
    }
  });
});

describe('a damaged deployment', { timeout: 120_000 }, () => {
  it('status, status --output json and report refuse it in the same words, with the same fix', async () => {
    const dir = join(root, 'damaged');
    const failed = CASES.find((c) => c.outcome === 'failed')!;
    await make(new FileStateStore(dir), { ...failed, id: '20260102-000001-aaaa' });
    const journal = join(dir, '20260102-000001-aaaa', 'journal.ndjson');
    const lines = readFileSync(journal, 'utf8').split('\n');
    lines[1] = 'garbage{{';
    writeFileSync(journal, lines.join('\n'));
    rmSync(join(dir, '20260102-000001-aaaa', 'snapshot.json'), { force: true });
    const said = [
      await runCli(['status', '20260102-000001-aaaa', '--state-dir', dir]),
      await runCli(['status', '20260102-000001-aaaa', '--output', 'json', '--state-dir', dir]),
      await runCli(['report', '20260102-000001-aaaa', '--output', join(root, 'damaged.html'), '--state-dir', dir]),
    ];
    for (const r of said) expect(r.code, r.stderr).toBe(1);
    expect(said[0]!.stderr).toMatch(/line 2 is not valid JSON.*restore .* from a backup of the state dir/);
    expect(said.map((r) => r.stderr)).toEqual(said.map(() => said[0]!.stderr));
  });
});

describe('a state dir copied while its deployment runs', { timeout: 120_000 }, () => {
  it('every reader of the copy says the run goes on in the original, and suggests the same commands', async () => {
    const original = join(root, 'original');
    const store = new FileStateStore(original);
    const killed = CASES.find((c) => c.id === '20260101-000008-aaaa')!;
    await make(store, killed);
    // This test process is the live run holding the original's lock.
    const lock = await store.lock({ project: 'p', environment: killed.env }, { deploymentId: killed.id, command: 'deploy' });
    onTestFinished(() => lock.release());
    const copy = join(root, 'copy');
    cpSync(original, copy, { recursive: true });
    const text = (await runCli(['status', killed.id, '--state-dir', copy])).stdout;
    const json = (await runCli(['status', killed.id, '--output', 'json', '--state-dir', copy])).stdout;
    const out = join(root, 'copy.html');
    expect((await runCli(['report', killed.id, '--output', out, '--state-dir', copy])).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    for (const said of [text, JSON.parse(json).error.message as string, html]) expect(said).toContain('this state dir is a copy: its lock was copied from');
    const suggested = (output: string): string[] => [...new Set(commandsIn(output))].sort();
    expect(suggested(text).length).toBeGreaterThan(0);
    expect(suggested(json)).toEqual(suggested(text));
    expect(suggested(html)).toEqual(suggested(text));
  });
});
