/**
 * A run killed mid-way (SIGKILL, a lost CI pod) leaves `running` in its journal. Wherever it was cut
 * off (a cluster step, releases installing together, a retried attempt, the traffic shift), `status`
 * (text and JSON) and the HTML report agree: the deployment is interrupted and no step of it is
 * called running, since nothing runs it; the report's bars end at the last record, not at the time
 * the report is made. A deployment whose run still holds the lock stays running everywhere.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/state/file-store.js';
import type { JournalRecord } from '../../src/state/model.js';
import { runCli } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'wsd-killed-outputs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const KEY = { project: 'p', environment: 'development' };
const EU = 'gp-dev-ws-eu101-eu-west1';
const US = 'gp-dev-ws-us101-us-west1';
const STEPS = ['create-cluster', 'install-gitpod', 'install-jaeger', 'register-cluster'] as const;

type Body = Record<string, unknown> & { type: JournalRecord['type'] };
const started = (cluster: string, step: string, attempt = 1): Body => ({ type: 'step.started', cluster, step, attempt });
const succeeded = (cluster: string, step: string): Body => ({ type: 'step.succeeded', cluster, step, outputs: {}, durationMs: 5 });

/** Where the run was when it was killed: the records after `deployment.created`. */
const CUT_OFF: Record<string, Body[]> = {
  'creating one cluster': [started(EU, 'create-cluster')],
  'releases installing together': [started(EU, 'create-cluster'), succeeded(EU, 'create-cluster'), started(EU, 'install-gitpod'), started(EU, 'install-jaeger'), started(US, 'create-cluster')],
  'a retried attempt': [started(US, 'create-cluster'), started(US, 'create-cluster', 2)],
  'the traffic shift': [...STEPS.flatMap((s) => [started(EU, s), succeeded(EU, s), started(US, s), succeeded(US, s)]), started('*', 'traffic-shift')],
};

async function deployment(store: FileStateStore, id: string, bodies: Body[]): Promise<void> {
  const j = await store.create(id);
  await j.append({
    type: 'deployment.created',
    id,
    inputs: { configFile: '/c.yaml', configHash: 'h', ...KEY },
    clusterId: 101,
    clusters: [EU, US].map((name, index) => ({ index, name, shortName: name.split('-')[3] as string, id: 101, region: 'europe-west1', prefix: 'eu', governedBy: 'meta', type: 'sandbox' })),
    steps: [[...STEPS], [...STEPS]],
    deploymentSteps: ['traffic-shift'],
  } as Parameters<typeof j.append>[0]);
  for (const b of bodies) await j.append(b as Parameters<typeof j.append>[0]);
}

interface Seen {
  state: string;
  steps: string[];
  reportState: string;
  reportSteps: string[];
  text: string;
}

async function outputs(dir: string, id: string): Promise<Seen> {
  const json = await runCli(['status', id, '--output', 'json', '--state-dir', dir]);
  expect(json.code, json.stderr).toBe(0);
  const doc = JSON.parse(json.stdout) as { state: string; steps: Array<{ state: string }>; clusters: Array<{ steps: Array<{ state: string }> }> };
  const text = await runCli(['status', id, '--state-dir', dir]);
  expect(text.code, text.stderr).toBe(0);
  const file = join(dir, `${id}.html`);
  const report = await runCli(['report', id, '--state-dir', dir, '--output', file]);
  expect(report.code, report.stderr).toBe(0);
  const html = readFileSync(file, 'utf8');
  const steps = html.slice(html.indexOf('<h2>Steps</h2>'));
  return {
    state: doc.state,
    steps: [...doc.clusters.flatMap((c) => c.steps.map((s) => s.state)), ...doc.steps.map((s) => s.state)],
    reportState: /data-state="([^"]+)"/.exec(html)?.[1] ?? '?',
    // The steps table: its state column.
    reportSteps: [...steps.matchAll(/<tr><td>[^<]*<\/td><td>[^<]*<\/td><td>([a-z ]+)<\/td>/g)].map((m) => m[1] as string),
    text: text.stdout,
  };
}

describe('a killed run, wherever it was cut off', () => {
  for (const [where, bodies] of Object.entries(CUT_OFF)) {
    it(`is interrupted in status, status --output json and the report, with no step running (${where})`, async () => {
      const dir = mkdtempSync(join(root, 'killed-'));
      const store = new FileStateStore(dir);
      const id = '20260101-000000-aaaa';
      await deployment(store, id, bodies);
      const running = bodies.filter((b) => b.type === 'step.started').length - bodies.filter((b) => b.type === 'step.succeeded').length;

      const seen = await outputs(dir, id);
      expect(seen.state).toBe('interrupted');
      expect(seen.reportState).toBe('interrupted');
      expect(seen.steps).not.toContain('running');
      expect(seen.reportSteps).toHaveLength(seen.steps.length);
      expect(seen.reportSteps).not.toContain('running');
      expect(seen.text).not.toMatch(/^(gp-\S+|\(all clusters\))\s+\S+\s+running\s/m); // no table row in state running
      // The steps that were in flight, and only those, are the interrupted ones (a retry is one step).
      expect(seen.steps.filter((s) => s === 'interrupted').length).toBeLessThanOrEqual(running);
      expect(seen.steps.filter((s) => s === 'interrupted').length).toBeGreaterThan(0);
      expect(seen.reportSteps).toEqual(seen.steps);

      // The same journal with its run alive (it holds the environment lock): running, as the journal says.
      const lock = await store.lock(KEY, { deploymentId: id, command: 'deploy' });
      try {
        const live = await outputs(dir, id);
        expect(live.state).toBe('running');
        expect(live.reportState).toBe('running');
        expect(live.steps).toContain('running');
        expect(live.reportSteps).toEqual(live.steps);
      } finally {
        await lock.release();
      }
    });
  }
});
