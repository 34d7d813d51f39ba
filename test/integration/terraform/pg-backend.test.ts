/**
 * The pg state backend against a real, throwaway PostgreSQL: the state lands in
 * the schema's `states` table, the connection string travels only through
 * PG_CONN_STR and never into files or logs.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { writeRootModule } from '../../../src/tools/terraform/generator.js';
import { Terraform } from '../../../src/tools/terraform/terraform.js';
import { hasPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { sandboxInput, tempDir } from './sandbox-fixture.js';

const enabled = requireBinary('terraform', 'terraform integration tests') && hasPostgres('pg state backend tests');

describe.skipIf(!enabled)('terraform with the pg backend', () => {
  let db: TestPostgres;
  let root: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    db = await startPostgres();
    root = await tempDir('wsd-tf-pg-');
  });
  afterAll(async () => {
    await db?.stop();
    await root?.cleanup();
  });

  it('stores the state in PostgreSQL and destroys it again', async () => {
    const workDir = join(root.dir, 'work');
    const sink = new MemorySink();
    const logFile = join(root.dir, 'create.log');
    await writeRootModule(workDir, sandboxInput({ type: 'pg', schemaName: 'ws_eu17' }));
    const tf = new Terraform({ workDir, pgConnStr: db.url, redactor: new Redactor(), sink, logFile });
    await tf.init();
    expect(await tf.plan('cluster.plan')).toMatchObject({ hasChanges: true });
    await tf.apply('cluster.plan');
    expect((await tf.output()).short_name?.value).toBe('eu17');

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = await client.query<{ name: string; data: string }>('select name, data from ws_eu17.states');
      expect(rows.rows).toHaveLength(1);
      expect(rows.rows[0]!.name).toBe('default');
      const state = JSON.parse(rows.rows[0]!.data) as { resources: Array<{ module?: string; type: string }> };
      expect(state.resources.map((r) => `${r.module}.${r.type}`)).toEqual([
        'module.cluster.terraform_data',
        'module.cluster.terraform_data',
      ]);
    } finally {
      await client.end();
    }

    // No local state, and the password is in no file we wrote and no event.
    const files = await readdir(workDir);
    expect(files.filter((f) => f.endsWith('.tfstate'))).toEqual([]);
    for (const name of ['backend.tf.json', 'main.tf.json']) expect(await readFile(join(workDir, name), 'utf8')).not.toContain(db.password);
    expect(await readFile(join(workDir, '.terraform', 'terraform.tfstate'), 'utf8')).not.toContain(db.password);
    expect(await readFile(logFile, 'utf8')).not.toContain(db.password);
    expect(JSON.stringify(sink.events)).not.toContain(db.password);

    await tf.destroy();
    expect(await tf.stateList()).toEqual([]);
  });

  it('fails with a clear, non-transient error when the credentials are wrong', async () => {
    const workDir = join(root.dir, 'badauth');
    await writeRootModule(workDir, sandboxInput({ type: 'pg', schemaName: 'ws_bad' }));
    const wrong = db.url.replace(`:${db.password}@`, ':wrong-password@');
    const tf = new Terraform({ workDir, pgConnStr: wrong, redactor: new Redactor() });
    const error = await tf.init().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ToolFailed', transient: false });
    expect((error as Error).message).toMatch(/password authentication failed/);
    expect((error as Error).message).not.toContain('wrong-password');
  });
});
