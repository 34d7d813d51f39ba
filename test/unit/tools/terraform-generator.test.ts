import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLUSTER_OUTPUTS, generateRootModule, writeRootModule, type RootModuleInput } from '../../../src/tools/terraform/generator.js';

function input(overrides: Partial<RootModuleInput> = {}): RootModuleInput {
  return {
    moduleSource: '/opt/modules/gke-cluster',
    variables: {
      project: 'gitpod-prod-123',
      region: 'europe-west1',
      name: 'gp-prod-ws-eu17-eu-west1',
      short_name: 'eu17',
      network: 'workspace-net',
      dns_zone: 'gitpod.io',
      cluster_type: 'gke',
    },
    backend: { type: 'gcs', bucket: 'gitpod-tf-state', prefix: 'ws-clusters/gp-prod-ws-eu17-eu-west1' },
    ...overrides,
  };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('generateRootModule', () => {
  it('calls module "cluster" with the contract variables and re-exports every contract output', () => {
    const files = generateRootModule(input());
    expect(Object.keys(files).sort()).toEqual(['backend.tf.json', 'main.tf.json', 'outputs.tf.json']);
    const main = JSON.parse(files['main.tf.json']!);
    expect(main.module.cluster).toEqual({
      source: '/opt/modules/gke-cluster',
      project: 'gitpod-prod-123',
      region: 'europe-west1',
      name: 'gp-prod-ws-eu17-eu-west1',
      short_name: 'eu17',
      network: 'workspace-net',
      dns_zone: 'gitpod.io',
      cluster_type: 'gke',
    });
    const outputs = JSON.parse(files['outputs.tf.json']!).output;
    expect(Object.keys(outputs).sort()).toEqual([...CLUSTER_OUTPUTS].sort());
    expect(outputs.ws_manager_host).toEqual({ value: '${module.cluster.ws_manager_host}' });
    expect(outputs.ca_certificate).toEqual({ value: '${module.cluster.ca_certificate}', sensitive: true });
    expect(JSON.parse(files['backend.tf.json']!)).toEqual({
      terraform: { backend: { gcs: { bucket: 'gitpod-tf-state', prefix: 'ws-clusters/gp-prod-ws-eu17-eu-west1' } } },
    });
  });

  it('is deterministic: key order of the input does not change a byte', () => {
    const a = generateRootModule(input());
    const shuffled = input();
    shuffled.variables = Object.fromEntries(Object.entries(shuffled.variables).reverse()) as RootModuleInput['variables'];
    const b = generateRootModule(shuffled);
    expect(b).toEqual(a);
    expect(a['main.tf.json']!.endsWith('}\n')).toBe(true);
    // Sorted keys at every depth.
    const keys = Object.keys(JSON.parse(a['main.tf.json']!).module.cluster);
    expect(keys).toEqual([...keys].sort());
  });

  it('writes the pg backend with the schema only: the connection string never reaches a file', () => {
    const files = generateRootModule(input({ backend: { type: 'pg', schemaName: 'ws_eu17' } }));
    expect(JSON.parse(files['backend.tf.json']!)).toEqual({ terraform: { backend: { pg: { schema_name: 'ws_eu17' } } } });
    const sneaky = { type: 'pg', schemaName: 'ws_eu17', connStr: 'postgres://u:pw@h/db' } as unknown as RootModuleInput['backend'];
    expect(() => generateRootModule(input({ backend: sneaky }))).toThrow(/PG_CONN_STR/);
  });

  it('writes the local backend and a registry module with its version', () => {
    const files = generateRootModule(
      input({ moduleSource: 'gitpod-io/ws-cluster/google', moduleVersion: '~> 1.2', backend: { type: 'local', path: '/state/x.tfstate' } }),
    );
    expect(JSON.parse(files['main.tf.json']!).module.cluster.version).toBe('~> 1.2');
    expect(JSON.parse(files['backend.tf.json']!).terraform.backend.local.path).toBe('/state/x.tfstate');
  });

  it('passes extra variables through, escaping terraform template syntax so values stay literal', () => {
    const vars = { ...input().variables, machine_type: 'n2-standard-8', labels: { team: '${var.x}' }, node_count: 3, preemptible: false };
    const main = JSON.parse(generateRootModule(input({ variables: vars }))['main.tf.json']!);
    expect(main.module.cluster.machine_type).toBe('n2-standard-8');
    expect(main.module.cluster.labels).toEqual({ team: '$${var.x}' });
    expect(main.module.cluster.node_count).toBe(3);
    expect(main.module.cluster.preemptible).toBe(false);
  });

  it.each([
    ['name', 'GP-Prod'],
    ['name', 'gp-prod-ws-eu17-europe-west1-this-name-is-far-too-long'],
    ['project', 'My Project'],
    ['region', 'europe west1'],
    ['short_name', 'eu-17'],
    ['network', '-net'],
    ['dns_zone', 'gitpod io'],
    ['cluster_type', 'GKE;rm'],
  ])('refuses an invalid %s (%s) with ConfigInvalid naming it', (key, value) => {
    const vars = { ...input().variables, [key]: value };
    expect(() => generateRootModule(input({ variables: vars }))).toThrow(expect.objectContaining({ code: 'ConfigInvalid', message: expect.stringContaining(key) }));
  });

  it('refuses passthrough names that are not identifiers or are reserved module arguments', () => {
    for (const key of ['source', 'count', 'depends_on', 'Bad-Key', 'x y']) {
      const vars = { ...input().variables, [key]: 'v' };
      expect(() => generateRootModule(input({ variables: vars }))).toThrow(expect.objectContaining({ code: 'ConfigInvalid' }));
    }
  });

  it('refuses relative module sources, versions on non-registry sources, and bad backend names', () => {
    expect(() => generateRootModule(input({ moduleSource: './modules/x' }))).toThrow(/relative/);
    expect(() => generateRootModule(input({ moduleVersion: '1.0.0' }))).toThrow(/registry source/);
    expect(() => generateRootModule(input({ moduleSource: 'x"}' }))).toThrow(/characters/);
    expect(() => generateRootModule(input({ backend: { type: 'gcs', bucket: 'Bad_Bucket!', prefix: 'p' } }))).toThrow(/bucket/);
    expect(() => generateRootModule(input({ backend: { type: 'gcs', bucket: 'ok-bucket', prefix: '../up' } }))).toThrow(/prefix/);
    expect(() => generateRootModule(input({ backend: { type: 'local', path: 'relative.tfstate' } }))).toThrow(/absolute/);
    expect(() => generateRootModule(input({ backend: { type: 'pg', schemaName: 'drop table;' } }))).toThrow(/schema/);
  });

  it('accepts git and https module sources', () => {
    expect(() => generateRootModule(input({ moduleSource: 'git::https://github.com/gitpod-io/ops.git//ws-cluster?ref=v1' }))).not.toThrow();
    expect(() => generateRootModule(input({ moduleSource: 'https://example.com/modules/ws.zip' }))).not.toThrow();
  });
});

describe('writeRootModule', () => {
  it('writes the files (0600) and regenerates them byte-identically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wsd-gen-'));
    dirs.push(dir);
    const written = await writeRootModule(dir, input());
    expect(written.map((p) => p.slice(dir.length + 1)).sort()).toEqual(['backend.tf.json', 'main.tf.json', 'outputs.tf.json']);
    const first = await readFile(join(dir, 'main.tf.json'), 'utf8');
    await writeRootModule(dir, input());
    expect(await readFile(join(dir, 'main.tf.json'), 'utf8')).toBe(first);
    expect((await readdir(dir)).sort()).toEqual(['backend.tf.json', 'main.tf.json', 'outputs.tf.json']);
  });

  it('keeps the local backend\'s state folder private, even one that exists world-readable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wsd-gen-'));
    dirs.push(dir);
    const stateDir = join(dir, 'terraform-state');
    await mkdir(stateDir);
    await chmod(stateDir, 0o755);
    await writeRootModule(join(dir, 'work'), input({ backend: { type: 'local', path: join(stateDir, 'c.tfstate') } }));
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
  });

  it('refuses a directory holding foreign terraform files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wsd-gen-'));
    dirs.push(dir);
    await writeFile(join(dir, 'extra.tf'), 'resource "x" "y" {}');
    await expect(writeRootModule(dir, input())).rejects.toMatchObject({ code: 'ConfigInvalid', message: expect.stringContaining('extra.tf') });
  });
});
