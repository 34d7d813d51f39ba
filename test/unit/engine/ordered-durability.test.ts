/**
 * One durable write per hop: a step's `step.succeeded` and its dependent's
 * `step.started` share a group commit, yet no tool runs before the records of
 * the steps it builds on are durable. A store wrapper holds the durability of
 * create-cluster's success record until the test releases it. What the operator
 * is told follows the durable point: the success line (and NDJSON event, the same
 * sink event) of create-cluster, and the dependent's start line, appear only
 * after the release.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { Redactor } from '../../../src/core/redact.js';
import { startDeployment } from '../../../src/engine/deployment.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import type { JournalInput } from '../../../src/state/model.js';
import type { DeploymentJournal, StateStore } from '../../../src/state/store.js';
import type { Step, StepName } from '../../../src/steps/step.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-durable-'));
  dirs.push(dir);
  const file = join(dir, 'c.yaml');
  const text = `version: v1
environment: development
project: { id: durable-test, network: n, dnsZone: example.test }
metaClusters: [{ name: meta-eu01, region: europe-west1 }]
workspaceClusters:
  - { region: europe-west1, prefix: eu, governedBy: meta-eu01, type: sandbox }
`;
  writeFileSync(file, text);
  return { loaded: parseConfig(text, file), dir };
}

/** `applyOnAppend`: the snapshot shows a record at once (file store) or only once durable (PostgreSQL). */
function heldStore(inner: StateStore, held: (r: JournalInput) => boolean, release: Promise<void>, applyOnAppend: boolean): StateStore {
  const wrap = (j: DeploymentJournal): DeploymentJournal => {
    let visible = j.snapshot.bind(j);
    let lagging: ReturnType<DeploymentJournal['snapshot']> | undefined;
    return {
      id: j.id,
      dir: j.dir,
      snapshot: () => lagging ?? visible(),
      append: async (record) => {
        if (!held(record)) return j.append(record);
        if (!applyOnAppend) lagging = j.snapshot();
        const done = j.append(record);
        await release;
        lagging = undefined;
        visible = j.snapshot.bind(j);
        return done;
      },
    } as DeploymentJournal;
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'create') return async (id: string) => wrap(await target.create(id));
      if (prop === 'open') return async (id: string) => wrap(await target.open(id));
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function scenario(applyOnAppend: boolean) {
  const { loaded, dir } = setup();
  const events: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const step = (name: StepName, extra: Partial<Step> = {}): Step => ({
    name,
    applies: () => true,
    describe: () => [],
    run: async () => {
      events.push(`${name}:run`);
      return { from: name };
    },
    ...extra,
  });
  const releaseSoon = () =>
    setTimeout(() => {
      events.push('released');
      release();
    }, 50);
  const steps = [
    step('create-cluster', {
      run: async () => {
        events.push('create-cluster:run');
        // Here the dependent cannot check before the release: release a little later.
        if (!applyOnAppend) releaseSoon();
        return { from: 'create-cluster' };
      },
    }),
    step('alive-test', {
      check: async (ctx) => {
        events.push(`alive-test:check sees ${JSON.stringify(ctx.outputs['create-cluster'])}`);
        // Gives the engine every chance to run the tool early; it must not.
        if (applyOnAppend) releaseSoon();
        return { action: 'proceed' };
      },
    }),
  ];
  const store = heldStore(new FileStateStore(join(dir, 'state')), (r) => r.type === 'step.succeeded' && r.step === 'create-cluster', released, applyOnAppend);
  const snap = await startDeployment(loaded, { dryRun: false, overwrite: false, yes: false, verbose: false, failFast: false, clusterId: 140 }, {
    store,
    sink: { emit: (e) => (e.code === 'step.succeeded' || e.code === 'step.start' ? events.push(`${e.step}:${e.code} line`) : undefined) },
    signal: new AbortController().signal,
    redactor: new Redactor(),
    steps,
    probe: async () => ({ exists: false }),
  });
  return { snap, events };
}

describe('ordered durability of step records', () => {
  it('file store: the dependent checks before its predecessor is durable, but runs its tool only after', async () => {
    const { snap, events } = await scenario(true);
    expect(snap.state).toBe('succeeded');
    expect(events).toEqual([
      'create-cluster:step.start line',
      'create-cluster:run',
      'alive-test:check sees {"from":"create-cluster"}',
      'released',
      'create-cluster:step.succeeded line',
      'alive-test:step.start line',
      'alive-test:run',
      'alive-test:step.succeeded line',
    ]);
  });

  it('a store that applies records only once durable: the dependent waits before its check, so it sees the outputs', async () => {
    const { snap, events } = await scenario(false);
    expect(snap.state).toBe('succeeded');
    expect(events).toEqual([
      'create-cluster:step.start line',
      'create-cluster:run',
      'released',
      'create-cluster:step.succeeded line',
      'alive-test:check sees {"from":"create-cluster"}',
      'alive-test:step.start line',
      'alive-test:run',
      'alive-test:step.succeeded line',
    ]);
  });
});
