/**
 * `shift pause` on a live run says what the hold will do there: a run at a terminal waits for the answer; one no
 * one can answer (CI, no terminal) stops held with exit 3. The run records which it is in its environment lock
 * (the engine, from EngineOptions.unattended); where the lock does not say (older locks, PostgreSQL), both are said.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sendShiftControl } from '../../../src/cli/commands/shift.js';
import { parseConfig } from '../../../src/config/load.js';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { startDeployment } from '../../../src/engine/deployment.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import type { LockHolder } from '../../../src/state/store.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const ID = '20260101-000000-abcd';
const KEY = { project: 'p', environment: 'dev' };

async function liveShift(unattended: boolean | undefined): Promise<{ store: FileStateStore; release(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-pause-'));
  dirs.push(dir);
  const store = new FileStateStore(join(dir, 'state'));
  const journal = await store.create(ID);
  await journal.append({ type: 'deployment.created', id: ID, inputs: { configFile: 'c.yaml', configHash: 'h', ...KEY }, clusterId: 7, clusters: [{ index: 0, name: 'gp-dev-ws-eu07', shortName: 'eu07', id: 7, region: 'eu', prefix: 'gp', governedBy: 'm', type: 'sandbox' }], steps: [['create-cluster']], deploymentSteps: ['traffic-shift'] });
  await journal.append({ type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 });
  await journal.append({ type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'steps', stepIndex: 0, paused: false } } });
  // This process is the run: it holds the lock, as deploy does.
  const lock = await store.lock(KEY, { deploymentId: ID, command: 'deploy', ...(unattended === undefined ? {} : { unattended }) });
  return { store, release: () => lock.release() };
}

const WAITS = /waits there for `ws-deployment shift resume 20260101-000000-abcd`/;
const STOPS = /stops there, held, with exit 3 rather than wait: answer it with `ws-deployment shift resume 20260101-000000-abcd` .*then `ws-deployment resume 20260101-000000-abcd`/;

describe('shift pause on a live run', () => {
  for (const [kind, unattended, says, never] of [
    ['an unattended run (CI, no terminal)', true, [STOPS], [WAITS]],
    ['a run at a terminal', false, [WAITS], [STOPS]],
    ['a run whose lock does not say', undefined, [WAITS, STOPS], []],
  ] as const) {
    it(`${kind}: the reply says what the hold does there`, async () => {
      const run = await liveShift(unattended);
      try {
        const { text } = await sendShiftControl(run.store, 'pause', ID);
        expect(text).toMatch(/^pause sent to deployment \S+; its process takes it within a second: the shift holds at step 1/);
        for (const s of says) expect(text).toMatch(s);
        for (const n of never) expect(text).not.toMatch(n);
      } finally {
        await run.release();
      }
    });
  }

  it('the engine records in the lock whether its run is unattended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsd-pause-'));
    dirs.push(dir);
    const store = new FileStateStore(join(dir, 'state'));
    const text = `version: v1
environment: development
project: { id: pause-test, network: n, dnsZone: example.test }
metaClusters: [{ name: meta-eu01, region: europe-west1 }]
workspaceClusters:
  - { region: europe-west1, prefix: eu, governedBy: meta-eu01, type: sandbox }
`;
    const loaded = parseConfig(text, join(dir, 'c.yaml'));
    for (const unattended of [true, false]) {
      let seen: LockHolder | undefined;
      const step = { name: 'create-cluster' as const, applies: () => true, describe: () => [], retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 }, run: async () => ((seen = await store.lockHolder({ project: 'pause-test', environment: 'development' })), {}) };
      const deps = { store, sink: new MemorySink(), signal: new AbortController().signal, redactor: new Redactor(), steps: [step], probe: async () => ({ exists: false }), sleep: async () => undefined };
      await startDeployment(loaded, { dryRun: false, overwrite: false, yes: false, verbose: false, failFast: false, allowUnfinished: true, unattended }, deps);
      expect(seen?.unattended).toBe(unattended);
    }
  });
});
