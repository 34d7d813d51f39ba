/**
 * A state dir copied (`cp -a`) while a run holds its environment lock carries the
 * lock file along, naming a process that is alive but works in the original. In
 * the copy that lock does not mean the deployment runs there: `status` shows it interrupted and
 * says where the lock came from. While that process lives, a resume in the copy is refused with
 * that reason (both would act on the same clusters); once it is over, the copy's lock is taken over.
 * (The copy used to read as `running`, and resume refused naming only the pid.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockFileName } from '../../src/state/file-lock.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { runCli } from '../helpers/cli.js';

const KEY = { project: 'p', environment: 'development' };

/** A pid no process has: a child that has exited and been reaped. */
function deadPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
}
const ID = '20260101-000000-abcd';

describe('a state dir copied while its deployment runs', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'wsd-copy-lock-')));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is not running in the copy (status says the lock was copied from the original), and the copy can be locked; the original stays held', async () => {
    const original = join(root, 'state');
    const store = new FileStateStore(original);
    const journal = await store.create(ID);
    await journal.append({ type: 'deployment.created', id: ID, inputs: { configFile: '/c.yaml', configHash: 'h', ...KEY }, clusterId: 101, clusters: [], steps: [] });
    // This test process is the live run holding the original's lock.
    const lock = await store.lock(KEY, { deploymentId: ID, command: 'deploy' });
    try {
      const copy = join(root, 'copy');
      execFileSync('cp', ['-a', original, copy]);

      const inOriginal = await runCli(['status', '--state-dir', original, '--output', 'json']);
      expect(inOriginal.code, inOriginal.stderr).toBe(0);
      expect((JSON.parse(inOriginal.stdout) as { state: string }).state).toBe('running');

      const inCopy = await runCli(['status', '--state-dir', copy]);
      expect(inCopy.code, inCopy.stderr).toBe(0);
      expect(inCopy.stdout).toMatch(/interrupted/);
      expect(inCopy.stdout).toContain(`copied from ${join(original, 'locks')} while pid ${process.pid}`);
      expect(inCopy.stdout).toContain('not running here');
      const listed = await runCli(['status', '--all', '--state-dir', copy, '--output', 'json']);
      expect((JSON.parse(listed.stdout) as Array<{ state: string }>).map((d) => d.state)).toEqual(['interrupted']);

      // What resume does first: take the lock. While the original's run lives, the copy refuses too:
      // both would act on the same clusters. The refusal says it is a copy and of what.
      const copyStore = new FileStateStore(copy);
      const refused = await copyStore.lock(KEY, { deploymentId: ID, command: 'resume' }).then(
        () => undefined,
        (error: unknown) => error as { code: string; message: string },
      );
      expect(refused?.code).toBe('LockHeld');
      expect(refused?.message).toContain(`this state dir is a copy: its lock was copied from ${join(original, 'locks')}`);
      expect(refused?.message).toContain(`--state-dir ${original}`);
      await expect(new FileStateStore(original).lock(KEY, { deploymentId: ID, command: 'resume' })).rejects.toMatchObject({ code: 'LockHeld' });
    } finally {
      await lock.release();
    }
    // Once the original's run is over, the copy's lock (still naming it) is taken over like a stale one.
    // Released in the original only: the copy keeps its copied lock file, now naming a finished holder.
    const copyLock = join(root, 'copy', 'locks', lockFileName(KEY));
    const copied = JSON.parse(readFileSync(copyLock, 'utf8')) as Record<string, unknown>;
    writeFileSync(copyLock, JSON.stringify({ ...copied, pid: deadPid() }));
    const taken = await new FileStateStore(join(root, 'copy')).lock(KEY, { deploymentId: ID, command: 'resume' });
    expect(taken.holder.dir?.path).toBe(join(root, 'copy', 'locks'));
    await taken.release();
  }, 120_000);

  it('plan in the copy says what deploy there does while the original run lives: refused (LockHeld), the copy named, nothing started', async () => {
    // A config's project is a GCP project id.
    const PKEY = { project: 'plan-copy-test', environment: 'development' };
    const original = join(root, 'plan');
    const store = new FileStateStore(original);
    const journal = await store.create(ID);
    await journal.append({ type: 'deployment.created', id: ID, inputs: { configFile: '/c.yaml', configHash: 'h', ...PKEY }, clusterId: 101, clusters: [], steps: [] });
    const config = join(root, 'plan.yaml');
    writeFileSync(
      config,
      `version: v1
environment: ${PKEY.environment}
project: { id: ${PKEY.project}, network: n, dnsZone: example.test }
metaClusters: [{ name: meta-eu01, region: europe-west1 }]
workspaceClusters:
  - { region: europe-west1, prefix: eu, governedBy: meta-eu01, type: sandbox }
`,
    );
    const lock = await store.lock(PKEY, { deploymentId: ID, command: 'deploy' });
    try {
      const copy = join(root, 'plan-copy');
      execFileSync('cp', ['-a', original, copy]);
      const plan = await runCli(['plan', '--config', config, '--state-dir', copy, '--cluster-id', '102', '--output', 'json']);
      expect(plan.code, plan.stderr).toBe(0);
      const refusal = (JSON.parse(plan.stdout) as { refusal?: { code: string; message: string; deploymentId: string; commands: string[] } }).refusal;
      const deploy = await runCli(['deploy', '--config', config, '--state-dir', copy, '--cluster-id', '102']);
      expect(deploy.code).toBe(3);
      expect(refusal).toMatchObject({ code: 'LockHeld', deploymentId: ID });
      expect(refusal?.message).toContain(`this state dir is a copy: its lock was copied from ${join(original, 'locks')}`);
      // The same words deploy is refused with, and the command that watches the run where it lives.
      expect(deploy.stderr).toContain(refusal!.message);
      expect(refusal?.commands[0]).toContain(`--state-dir ${original}`);
      expect((await new FileStateStore(copy).list()).map((d) => d.id)).toEqual([ID]);
    } finally {
      await lock.release();
    }
  }, 120_000);

  it('reads a lock written without the folder it was taken in (older versions) as before: held while its process runs', async () => {
    const original = join(root, 'old');
    const store = new FileStateStore(original);
    const journal = await store.create(ID);
    await journal.append({ type: 'deployment.created', id: ID, inputs: { configFile: '/c.yaml', configHash: 'h', ...KEY }, clusterId: 101, clusters: [], steps: [] });
    const lock = await store.lock(KEY, { deploymentId: ID, command: 'deploy' });
    try {
      const file = join(original, 'locks', lockFileName(KEY));
      const { dir: _dir, ...old } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify(old));
      const copy = join(root, 'old-copy');
      execFileSync('cp', ['-a', original, copy]);
      const inCopy = await runCli(['status', '--state-dir', copy, '--output', 'json']);
      expect(inCopy.code, inCopy.stderr).toBe(0);
      expect((JSON.parse(inCopy.stdout) as { state: string }).state).toBe('running');
      await expect(new FileStateStore(copy).lock(KEY, { deploymentId: ID, command: 'resume' })).rejects.toMatchObject({ code: 'LockHeld' });
    } finally {
      await lock.release();
    }
  }, 120_000);
});
