/**
 * The `status --watch` loop on a pipe: it reads only new records each poll
 * (afterSeq), prints only lines that changed, and returns the deployment's exit
 * code (the CLI's mapping) once the journal says it ended.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { nextCommands } from '../../../src/core/next-command.js';
import { watchDeployment } from '../../../src/cli/status-watch.js';
import type { JournalRecord } from '../../../src/state/model.js';
import type { StateStore } from '../../../src/state/store.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { WsdError } from '../../../src/core/errors.js';

const ID = '20260101-120000-abcd';
const EU = 'gp-dev-ws-eu5-eu-west1';
const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();

function journal(): JournalRecord[] {
  let seq = 0;
  const rec = (s: number, r: Record<string, unknown>): JournalRecord => ({ seq: ++seq, time: at(s), ...r }) as JournalRecord;
  return [
    rec(0, { type: 'deployment.created', id: ID, inputs: { configFile: 'x', configHash: 'h', project: 'p', environment: 'dev' }, clusterId: 5, clusters: [{ index: 0, name: EU, shortName: 'eu5', id: 5, region: 'europe-west1', prefix: 'eu', governedBy: 'meta', type: 'sandbox' }], steps: [['create-cluster']] }),
    rec(1, { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 }),
    rec(2, { type: 'step.failed', cluster: EU, step: 'create-cluster', error: { code: 'ToolFailed', message: 'terraform apply failed' } }),
    rec(3, { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'create-cluster failed on eu5' } }),
  ];
}

describe('status --watch loop (not a terminal)', () => {
  it('prints changed lines only, reads records after the last one, and exits 1 for a failed deployment', async () => {
    const all = journal();
    const asked: number[] = [];
    let polls = 0;
    // One more record becomes visible per poll, as a running deployment appends them.
    const store = {
      readRecords: async (id: string, afterSeq = 0) => {
        expect(id).toBe(ID);
        asked.push(afterSeq);
        polls += 1;
        return all.filter((r) => r.seq > afterSeq && r.seq <= polls);
      },
      pendingControl: async () => [],
      list: async () => [],
    } as unknown as StateStore;
    let written = '';
    const out = { isTTY: false, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    const code = await watchDeployment(store, ID, { out, pollMs: 1 });
    expect(code).toBe(1);
    expect(asked).toEqual([0, 1, 2, 3]);
    expect(written.split('\n')).toEqual([
      `deployment ${ID}: running`,
      `  ${EU}  waiting`,
      `  ${EU}  create-cluster running`,
      `  ${EU}  create-cluster failed`,
      `deployment ${ID}: failed`,
      'deployment failed: create-cluster failed on eu5',
      // What `status` says next, with the command.
      `next: fix the cause, then \`ws-deployment resume ${ID}\``,
      'exit code 1',
      '',
    ]);
  });
});

describe('status --watch loop while the deployment is being created', () => {
  it('waits through a journal with no whole record yet instead of failing', async () => {
    const all = journal();
    let polls = 0;
    const store = {
      readRecords: async (_id: string, afterSeq = 0) => {
        polls += 1;
        if (polls === 1) throw new WsdError('StateCorrupt', `deployment ${ID} has no journal records`);
        return all.filter((r) => r.seq > afterSeq);
      },
      pendingControl: async () => [],
      list: async () => [],
    } as unknown as StateStore;
    let written = '';
    const out = { isTTY: false, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    expect(await watchDeployment(store, ID, { out, pollMs: 1 })).toBe(1);
    expect(written.split('\n').slice(0, 2)).toEqual(['waiting for the deployment to start…', `deployment ${ID}: failed`]);
  });
});

describe('status --watch of a deployment whose process is gone', () => {
  const running = () => journal().slice(0, 2);

  it('ends with 130 and the resume command once the journal is quiet and no process holds the lock', async () => {
    const store = { readRecords: async (_id: string, afterSeq = 0) => running().filter((r) => r.seq > afterSeq), pendingControl: async () => [], list: async () => [] } as unknown as StateStore;
    let written = '';
    const out = { isTTY: false, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    const asked: string[] = [];
    const code = await watchDeployment(store, ID, { out, pollMs: 1, isLive: async (snap) => (asked.push(snap.id), false) });
    expect(code).toBe(130);
    expect(asked).toEqual([ID]);
    expect(written).toContain(`deployment interrupted: the process running deployment ${ID} is gone; continue it with \`ws-deployment resume ${ID}\``);
    expect(written.endsWith('exit code 130\n')).toBe(true);
  });

  it('keeps watching while a process holds the lock, and shows the end it journals before letting go', async () => {
    const all = journal();
    let polls = 0;
    const store = {
      // Quiet for three polls, then the run journals its end (and only then releases the lock).
      readRecords: async (_id: string, afterSeq = 0) => (polls++, all.filter((r) => r.seq > afterSeq && (polls > 4 || r.seq <= 2))),
      pendingControl: async () => [],
      list: async () => [],
    } as unknown as StateStore;
    let written = '';
    const out = { isTTY: false, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    // The lock is gone from the fourth poll on: the end was journaled just before (the fifth read shows it).
    const code = await watchDeployment(store, ID, { out, pollMs: 1, isLive: async () => polls < 4 });
    expect(code).toBe(1);
    expect(written).not.toContain('interrupted');
    expect(written.endsWith('exit code 1\n')).toBe(true);
  });
});

describe('status --watch on a terminal without an alternate screen', () => {
  // No cursor control at all (dumb, unset, empty, VT52), or cursor control but no smcup (vt100, the Linux console).
  for (const term of ['dumb', undefined, '', 'vt52', 'vt100', 'linux']) {
    it(`prints plain changed lines, no escape codes (TERM=${term ?? 'unset'})`, async () => {
      const all = journal();
      let polls = 0;
      const store = { readRecords: async (_id: string, afterSeq = 0) => (polls++, all.filter((r) => r.seq > afterSeq && r.seq <= polls)), pendingControl: async () => [], list: async () => [] } as unknown as StateStore;
      let written = '';
      const out = { isTTY: true, columns: 80, rows: 24, on: () => out, off: () => out, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
      const before = process.env.TERM;
      if (term === undefined) delete process.env.TERM;
      else process.env.TERM = term;
      try {
        expect(await watchDeployment(store, ID, { out, pollMs: 1 })).toBe(1);
      } finally {
        if (before === undefined) delete process.env.TERM;
        else process.env.TERM = before;
      }
      expect(written).not.toContain('\u001b');
      expect(written.split('\n').filter((l) => l === `  ${EU}  create-cluster running`)).toHaveLength(1);
      expect(written.endsWith('exit code 1\n')).toBe(true);
    });
  }
});

describe('status --watch on a pipe, stopped with Ctrl-C', () => {
  it('leaves stdout to the view: the note that the deployment goes on is on stderr, 130', async () => {
    const records = journal().slice(0, 2);
    const store = { readRecords: async (_id: string, afterSeq = 0) => records.filter((r) => r.seq > afterSeq), pendingControl: async () => [], list: async () => [] } as unknown as StateStore;
    let written = '';
    let errors = '';
    const out = { isTTY: false, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    const err = { write: (s: string) => (errors += s) };
    const watching = watchDeployment(store, ID, { out, err, pollMs: 5 });
    // The first frame is out: the watch is waiting for the next poll.
    while (!written.includes('create-cluster running')) await new Promise((res) => setTimeout(res, 5));
    process.emit('SIGINT', 'SIGINT');
    expect(await watching).toBe(130);
    expect(written).toBe(`deployment ${ID}: running\n  ${EU}  create-cluster running\n`);
    expect(errors).toBe(`stopped watching (SIGINT); deployment ${ID} goes on: \`ws-deployment status --watch ${ID}\` follows it again\n`);
  });
});

describe('status --watch stopped while a read hangs (a slow PostgreSQL)', () => {
  it('the first signal waits for the read; a second exits at once with 130, the line said first', async () => {
    const records = journal().slice(0, 2);
    let reads = 0;
    let answer: () => void = () => undefined;
    // The first read answers; the second hangs until the test lets it go.
    const store = {
      readRecords: async (_id: string, afterSeq = 0) => {
        if (++reads > 1) await new Promise<void>((res) => (answer = res));
        return records.filter((r) => r.seq > afterSeq);
      },
      pendingControl: async () => [],
      list: async () => [],
    } as unknown as StateStore;
    let errors = '';
    const out = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
    const err = { write: (s: string) => (errors += s) };
    const exits: Array<string | number | null | undefined> = [];
    const exit = vi.spyOn(process, 'exit').mockImplementation(((code?: string | number | null) => void exits.push(code)) as typeof process.exit);
    try {
      const watching = watchDeployment(store, ID, { out, err, pollMs: 5 });
      for (const deadline = Date.now() + 30_000; reads < 2; ) {
        if (Date.now() > deadline) throw new Error('the watch never read a second time');
        await new Promise((res) => setTimeout(res, 5));
      }
      process.emit('SIGINT', 'SIGINT');
      expect(exits).toEqual([]);
      process.emit('SIGTERM', 'SIGTERM');
      expect(exits).toEqual([130]);
      expect(errors).toBe(`stopped watching (SIGINT); deployment ${ID} goes on: \`ws-deployment status --watch ${ID}\` follows it again\n`);
      answer();
      expect(await watching).toBe(130);
    } finally {
      exit.mockRestore();
    }
  });
});

describe('status --watch of a run killed before the watch started', () => {
  // Killed at each point of the journal: after the start, mid-step, after the step failed but before the end.
  for (const cut of [1, 2, 3]) {
    it(`never draws it as running, and ends with 130 at once (journal cut after record ${cut})`, async () => {
      const records = journal().slice(0, cut);
      const store = { readRecords: async (_id: string, afterSeq = 0) => records.filter((r) => r.seq > afterSeq), pendingControl: async () => [], list: async () => [] } as unknown as StateStore;
      let written = '';
      const out = { isTTY: false, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
      const code = await watchDeployment(store, ID, { out, pollMs: 1, isLive: async () => false });
      expect(code).toBe(130);
      expect(written.split('\n')[0]).toBe(`deployment ${ID}: interrupted`);
      expect(written).not.toMatch(/\brunning\b(?! deployment)/);
      expect(written).toContain(`deployment interrupted: the process running deployment ${ID} is gone; continue it with \`ws-deployment resume ${ID}\``);
      expect(written.endsWith('exit code 130\n')).toBe(true);
    });
  }

  it('names every step it cut off (releases installing together)', async () => {
    const [created] = journal();
    const records = [
      { ...created, steps: [['install-gitpod', 'install-jaeger']] },
      { seq: 2, time: at(1), type: 'step.started', cluster: EU, step: 'install-gitpod', attempt: 1 },
      { seq: 3, time: at(1), type: 'step.started', cluster: EU, step: 'install-jaeger', attempt: 1 },
    ] as JournalRecord[];
    const store = { readRecords: async (_id: string, afterSeq = 0) => records.filter((r) => r.seq > afterSeq), pendingControl: async () => [], list: async () => [] } as unknown as StateStore;
    let written = '';
    const out = { isTTY: false, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    expect(await watchDeployment(store, ID, { out, pollMs: 1, isLive: async () => false })).toBe(130);
    expect(written).toContain(`${EU}  install-gitpod interrupted, install-jaeger interrupted`);
  });
});

describe('status --watch: the commands it suggests read the config of the deployment watched', () => {
  /** A failed deployment whose error suggests a command that reads a config, journaled with `configFile`. */
  const store = (configFile: string): StateStore => {
    const records = journal().map((r) => (r.type === 'deployment.created' ? { ...r, inputs: { ...r.inputs, configFile } } : r.type === 'deployment.finished' ? { ...r, error: { code: 'DeploymentFailed', message: 'eu5 left behind: retire it with `ws-deployment retire --cluster eu5 --yes`' } } : r));
    return { readRecords: async (_id: string, afterSeq = 0) => records.filter((r) => r.seq > afterSeq), pendingControl: async () => [], list: async () => [] } as unknown as StateStore;
  };
  const watched = async (configFile: string): Promise<string> => {
    let written = '';
    const out = { isTTY: false, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    // The default config exists (another environment's, perhaps): a bare command would act with it.
    await watchDeployment(store(configFile), ID, { out, pollMs: 1, next: nextCommands({ stateDir: '/s', defaultConfig: true }) });
    return written;
  };

  it('names the journaled config while it exists, and says to add one where it is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsd-watch-config-'));
    try {
      const file = join(dir, 'staging config.yaml');
      writeFileSync(file, 'version: v1\n');
      expect(await watched(file)).toContain(`\`ws-deployment retire --cluster eu5 --yes --state-dir /s --config '${file}'\``);
      const gone = await watched(join(dir, 'gone.yaml'));
      expect(gone).toContain('ws-deployment retire --cluster eu5 --yes --state-dir /s (add --config <your config>)');
      expect(gone).not.toContain('`ws-deployment retire');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a config kept in the state dir, read from a real file store: its path there, not `<state-dir>/…`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsd-watch-state-'));
    try {
      const stateDir = join(dir, 'state');
      const file = join(stateDir, 'configs', 'staging.yaml');
      mkdirSync(join(stateDir, 'configs'), { recursive: true });
      writeFileSync(file, 'version: v1\n');
      const files = new FileStateStore(stateDir);
      const j = await files.create(ID);
      // The journal holds it as `<state-dir>/configs/staging.yaml` (state-paths.ts); the store's readers resolve it.
      for (const { seq: _s, time: _t, ...r } of await store(file).readRecords(ID)) await j.append(r as never);
      let written = '';
      const out = { isTTY: false, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
      await watchDeployment(files, ID, { out, pollMs: 1, next: nextCommands({ stateDir, defaultConfig: true }) });
      expect(written).toContain(`\`ws-deployment retire --cluster eu5 --yes --state-dir ${stateDir} --config ${file}\``);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
