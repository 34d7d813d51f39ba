/**
 * A state lock held by another terraform run, with the real binary: the error names the holder and a
 * way out that works for that backend. The local and pg backends hold their lock only as long as the
 * holder's process (a kernel file lock, a database session): `terraform force-unlock` cannot release
 * it ("LocalState not locked"), so the only fix is to wait for or stop that run. Our failed attempt
 * leaves no lock of its own: once the holder stops, the next plan runs.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { writeRootModule, type BackendConfig } from '../../../src/tools/terraform/generator.js';
import { Terraform } from '../../../src/tools/terraform/terraform.js';
import { hasPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { sandboxInput, tempDir } from './sandbox-fixture.js';

const hasTerraform = requireBinary('terraform', 'terraform integration tests');

/** Holds the state with a slow apply from one working dir, then plans from another on the same state. */
async function lockedPlan(root: string, backend: BackendConfig, options: { pgConnStr?: string } = {}): Promise<{ error: unknown; release: () => Promise<void>; next: Terraform }> {
  const holderDir = join(root, 'holder');
  const otherDir = join(root, 'other');
  await writeRootModule(holderDir, sandboxInput(backend, { sandbox_apply_seconds: 120 }));
  await writeRootModule(otherDir, sandboxInput(backend));
  const sink = new MemorySink();
  const redactor = new Redactor();
  const holder = new Terraform({ workDir: holderDir, sink, killGraceMs: 60_000, pgConnStr: options.pgConnStr, redactor });
  const other = new Terraform({ workDir: otherDir, lockTimeout: '1s', pgConnStr: options.pgConnStr, redactor });
  await holder.init();
  await other.init();
  await holder.plan('cluster.plan');
  const controller = new AbortController();
  const applying = holder.apply('cluster.plan', { signal: controller.signal }).catch((e: unknown) => e);
  const deadline = Date.now() + 60_000;
  while (!sink.events.some((e) => e.message.includes('slow[0]: Creating')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const error = await other.plan('cluster.plan').then(() => 'no error', (e: unknown) => e);
  return {
    error,
    next: other,
    release: async () => {
      controller.abort();
      await applying;
    },
  };
}

describe.skipIf(!hasTerraform)('a state lock held by another terraform run', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    root = await tempDir('wsd-tf-lock-');
  });
  afterAll(() => root.cleanup());

  it('local backend: names the holder, says to wait for or stop it, never force-unlock', async () => {
    const { error, release, next } = await lockedPlan(root.dir, { type: 'local', path: join(root.dir, 'state', 'cluster.tfstate') });
    try {
      expect(error).toMatchObject({ code: 'ToolFailed', details: { transientPattern: 'state-lock' } });
      const message = (error as Error).message;
      expect(message).toMatch(/the state is locked by \S+@\S+ for apply since /);
      expect(message).toMatch(/held only while that terraform process runs.*wait for it to finish or stop it/);
      expect(message).not.toMatch(/force-unlock [0-9a-f-]{36}/); // the ID is no use: it cannot release this lock
      expect(message).toContain('`terraform force-unlock` cannot release it');
    } finally {
      await release();
    }
    // Nothing of ours was left locked: the next plan takes the lock at once.
    expect(await next.plan('cluster.plan')).toMatchObject({ hasChanges: true });
  });
});

const hasPg = hasTerraform && hasPostgres('pg state backend tests');

describe.skipIf(!hasPg)('a pg state lock held by another terraform run', () => {
  let db: TestPostgres;
  let root: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    db = await startPostgres();
    root = await tempDir('wsd-tf-pglock-');
  });
  afterAll(async () => {
    await db?.stop();
    await root?.cleanup();
  });

  it('names no holder (terraform reports our own lock info) and no force-unlock', async () => {
    const { error, release, next } = await lockedPlan(root.dir, { type: 'pg', schemaName: 'ws_lock' }, { pgConnStr: db.url });
    try {
      expect(error).toMatchObject({ code: 'ToolFailed', details: { transientPattern: 'state-lock' } });
      const message = (error as Error).message;
      expect(message).not.toMatch(/locked by .* for plan/); // that lock info is this plan's own
      expect(message).toMatch(/held only while that terraform process runs.*wait for it to finish or stop it/);
      expect(message).not.toMatch(/force-unlock [0-9a-f-]{36}/);
    } finally {
      await release();
    }
    expect(await next.plan('cluster.plan')).toMatchObject({ hasChanges: true });
  });
});

describe.skipIf(!hasTerraform)('a local lock file terraform cannot write', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    root = await tempDir('wsd-tf-lockfile-');
  });
  afterAll(() => root.cleanup());

  // Found with a full disk (a tmpfs state dir): "write …lock.info: no space left on device" was said as "another
  // terraform run holds the state lock … wait for it". A folder where the lock file goes gives terraform the same
  // "could not write lock info" here, without filling a disk.
  it('says nobody holds the lock and what to fix, not "wait for the other run"', async () => {
    const statePath = join(root.dir, 'state', 'cluster.tfstate');
    const workDir = join(root.dir, 'work');
    await writeRootModule(workDir, sandboxInput({ type: 'local', path: statePath }));
    const tf = new Terraform({ workDir });
    await tf.init();
    const lockFile = join(root.dir, 'state', '.cluster.tfstate.lock.info');
    await mkdir(lockFile, { recursive: true });
    const error = await tf.plan('cluster.plan').then(() => 'no error', (e: unknown) => e);
    const message = (error as Error).message;
    expect(message).toContain(`terraform could not write its lock file ${lockFile} (is a directory), so nobody holds the state lock; make ${lockFile} a file terraform can write`);
    expect(message).not.toMatch(/another terraform run|wait for it/);
    await rm(lockFile, { recursive: true });
    expect(await tf.plan('cluster.plan')).toMatchObject({ hasChanges: true });
  });
});
