/**
 * `status --output json` and `status --all --output json` are contracts for scripts: every key
 * they emit, in every state a deployment can be in (succeeded with steps left out, failed, rolled
 * back with a command queued too late, killed with a command queued, superseded, damaged), is named in the
 * README (as `key`), so a script author can find what each one means.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import { REPO, runCli } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'wsd-status-json-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const EU = 'gp-dev-ws-eu101-eu-west1';
type Append = Parameters<Awaited<ReturnType<FileStateStore['create']>>['append']>[0];

/** Records after `deployment.created`, and what else happens to the deployment. */
interface State {
  records: Append[];
  /** Its environment, when not `development`: a newer deployment there promoted supersedes the unfinished ones. */
  environment?: string;
  queued?: 'pause';
  damage?: true;
}

const shiftStarted: Append = { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 };
const STATES: Record<string, State> = {
  'succeeded, steps left out by --only': {
    records: [
      { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 },
      { type: 'step.succeeded', cluster: EU, step: 'create-cluster', outputs: {}, durationMs: 5 },
      { type: 'step.excluded', cluster: EU, step: 'register-cluster', by: '--only' },
      { type: 'step.excluded', cluster: '*', step: 'traffic-shift', by: '--only' },
      { type: 'event', level: 'info', code: 'notify.delivered', message: 'deployment-finished delivered to http://h/***', data: {} },
      { type: 'deployment.finished', state: 'succeeded' },
    ],
  },
  'failed in a step': {
    records: [
      { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 },
      { type: 'step.failed', cluster: EU, step: 'create-cluster', error: { code: 'ToolFailed', message: 'terraform apply failed' }, durationMs: 5 },
      { type: 'event', level: 'warn', code: 'notify.failed', message: 'deployment-finished to http://h/*** failed', data: {} },
      { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'create-cluster failed' } },
    ],
  },
  'rolled back, a command queued after it ended': {
    queued: 'pause',
    records: [
      { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 },
      { type: 'step.skipped', cluster: EU, step: 'create-cluster', evidence: 'exists' },
      { type: 'step.skipped', cluster: EU, step: 'register-cluster', evidence: 'registered' },
      shiftStarted,
      { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'rolled-back', stepIndex: 0, reason: 'errors', rolledBackFrom: 'step 1/2 (25 %)' }, concluded: 'its traffic shift rolled back: errors' } },
      { type: 'step.failed', cluster: '*', step: 'traffic-shift', error: { code: 'GateFailed', message: 'rolled back' } },
      { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'rolled back' } },
    ],
  },
  'killed in the shift, a command queued': {
    queued: 'pause',
    records: [{ type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 }, { type: 'step.succeeded', cluster: EU, step: 'create-cluster', outputs: {}, durationMs: 5 }, shiftStarted],
  },
  // Interrupted, then a newer deployment of its environment promoted (the next state): superseded.
  superseded: { environment: 'other', records: [{ type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 }, { type: 'step.interrupted', cluster: EU, step: 'create-cluster' }, { type: 'deployment.finished', state: 'interrupted', error: { code: 'Interrupted', message: 'interrupted' } }] },
  'the newer one that promoted': {
    environment: 'other',
    records: [shiftStarted, { type: 'step.succeeded', cluster: '*', step: 'traffic-shift', outputs: {}, durationMs: 5 }, { type: 'deployment.finished', state: 'succeeded' }],
  },
  damaged: { damage: true, records: [{ type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 }, { type: 'step.interrupted', cluster: EU, step: 'create-cluster' }] },
};

async function make(store: FileStateStore, id: string, state: State): Promise<void> {
  const j = await store.create(id);
  await j.append({
    type: 'deployment.created',
    id,
    inputs: { configFile: '/c.yaml', configHash: 'h', project: 'p', environment: state.environment ?? 'development' },
    clusterId: 101,
    clusters: [{ index: 0, name: EU, shortName: 'eu101', id: 101, region: 'europe-west1', prefix: 'eu', governedBy: 'meta', type: 'sandbox' }],
    steps: [['create-cluster', 'register-cluster']],
    deploymentSteps: ['traffic-shift', 'retire-old-clusters'],
  });
  for (const r of state.records) await j.append(r);
  if (state.queued) await store.sendControl(id, state.queued);
  if (state.damage) {
    const file = join(j.dir, 'journal.ndjson');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = 'garbage{{';
    writeFileSync(file, lines.join('\n'));
  }
}

/** Every key path (`a`, `a.b`, `a[].b`) of a JSON value, without the values' own record keys (scores by cluster). */
function keyPaths(value: unknown, prefix: string, out: Set<string>): void {
  if (Array.isArray(value)) value.forEach((v) => keyPaths(v, `${prefix}[]`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${k}` : k;
      out.add(path);
      // Decisions are documented with the shift paragraph; their evidence is open-ended.
      if (!/^shift\.(decisions|lastFailing)/.test(path) && k !== 'releases') keyPaths(v, path, out);
    }
  }
}

describe('status JSON in every state', () => {
  it('names every key it emits in the README', async () => {
    const store = new FileStateStore(root);
    const ids = Object.keys(STATES).map((_, i) => `20260101-00000${i}-aaaa`);
    for (const [i, state] of Object.values(STATES).entries()) await make(store, ids[i] as string, state);

    const paths = new Set<string>();
    for (const [i, state] of Object.values(STATES).entries()) {
      if (state.damage) continue;
      const r = await runCli(['status', ids[i] as string, '--output', 'json', '--state-dir', root]);
      expect(r.code, r.stderr).toBe(0);
      keyPaths(JSON.parse(r.stdout), '', paths);
    }
    const all = await runCli(['status', '--all', '--output', 'json', '--state-dir', root]);
    expect(all.code, all.stderr).toBe(0);
    const listed = JSON.parse(all.stdout) as Array<{ state: string }>;
    expect(listed.map((d) => d.state).sort()).toEqual(['damaged', 'failed', 'failed', 'interrupted', 'interrupted', 'succeeded', 'succeeded']);
    keyPaths(listed, 'all', paths);

    // The states generated reach the keys that only some states have.
    for (const expected of ['error', 'pendingCommands', 'unappliedCommands', 'notifications', 'shift', 'clusters[].steps[].excluded', 'steps[].notRun', 'all[].rolledBack', 'all[].damaged.fix', 'superseded.created', 'all[].supersededBy']) {
      expect([...paths].some((p) => p === expected || p.endsWith(`.${expected}`) || p.endsWith(`]${expected}`)), expected).toBe(true);
    }
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const undocumented = [...new Set([...paths].map((p) => p.split(/\.|\[\]\.?/).filter(Boolean).at(-1) as string))].filter((k) => !readme.includes(`\`${k}\``));
    expect(undocumented).toEqual([]);
  });
});
