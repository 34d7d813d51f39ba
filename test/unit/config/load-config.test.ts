import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../../src/config/issues.js';
import { loadConfig } from '../../../src/config/load.js';
import { BASE, configDir, edit, withModule, type ConfigDir } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/config/valid-full.yaml', import.meta.url));

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

async function loadError(file: string): Promise<ConfigInvalidError> {
  const error = await loadConfig(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigInvalidError);
  return error as ConfigInvalidError;
}

describe('loadConfig', () => {
  it('loads the full fixture: production, 2 meta clusters, 3 workspace clusters incl. k3s', async () => {
    const loaded = await loadConfig(FIXTURE);
    const text = await readFile(FIXTURE, 'utf8');
    const dir = path.dirname(FIXTURE);
    expect(loaded.file).toBe(FIXTURE);
    expect(loaded.dir).toBe(dir);
    expect(loaded.text).toBe(text);
    expect(loaded.hash).toBe(createHash('sha256').update(text).digest('hex'));
    expect(loaded.config.environment).toBe('production');
    expect(loaded.config.metaClusters.map((m) => m.name)).toEqual(['prod-meta-eu01', 'prod-meta-us02']);
    expect(loaded.config.workspaceClusters.map((c) => c.type)).toEqual(['gke', 'gke', 'k3s']);
    expect(loaded.config.project.gcpSACredFile).toBe(path.join(dir, 'sa-key.json'));
    expect(loaded.config.workspaceClusters[1]?.valuesFiles).toEqual([path.join(dir, 'values/common.yaml'), path.join(dir, 'values/us.yaml')]);
    expect(loaded.config.terraform.module.source).toBe(path.join(dir, 'modules/ws-cluster'));
  });

  it('says how to pass a config when the file does not exist', async () => {
    const missing = path.join(ctx.dir, 'nope.yaml');
    const error = await loadError(missing);
    expect(error.code).toBe('ConfigInvalid');
    expect(error.message).toBe(`config file ${missing} does not exist; pass --config FILE or set WS_DEPLOYMENT_CONFIG`);
  });

  it('refuses a folder, a FIFO (without waiting for a writer), an oversize file and invalid utf-8', async () => {
    expect((await loadError(ctx.dir)).message).toBe(`config file ${ctx.dir} is not a regular file; pass the path of a yaml file`);
    const fifo = path.join(ctx.dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    expect((await loadError(fifo)).message).toBe(`config file ${fifo} is not a regular file; pass the path of a yaml file`);
    const big = path.join(ctx.dir, 'big.yaml');
    await writeFile(big, Buffer.alloc(1024 * 1024 + 1, 0x23));
    expect((await loadError(big)).message).toBe(`config file ${big} is 1048577 bytes; the limit is 1048576 bytes (1 MiB)`);
    const latin1 = path.join(ctx.dir, 'latin1.yaml');
    await writeFile(latin1, Buffer.from('version: v1\nenvironment: caf\xe9\n', 'latin1'));
    expect((await loadError(latin1)).message).toBe(`config file ${latin1} is not valid utf-8; save it as utf-8 text`);
  });

  it('resolves relative paths against the config folder, not the working directory', async () => {
    const sub = path.join(ctx.dir, 'sub');
    await mkdir(sub, { recursive: true });
    const file = path.join(sub, 'ws.yaml');
    await writeFile(file, withModule(edit(BASE, '  bucket:', '  gcpSACredFile: ../sa-key.json\n  bucket:')));
    const loaded = await loadConfig(path.relative(process.cwd(), file));
    expect(loaded.file).toBe(file);
    expect(loaded.config.project.gcpSACredFile).toBe(path.join(ctx.dir, 'sa-key.json'));
  });

  it('positions issues in the file it read, with the absolute path', async () => {
    const file = path.join(ctx.dir, 'bad.yaml');
    await writeFile(file, withModule(edit(BASE, 'environment: production', 'environment: prod')));
    const error = await loadError(file);
    expect(error.issues).toEqual([
      { file, line: 2, col: 14, path: 'environment', message: 'the string "prod" is not allowed; use one of: production, staging, development' },
    ]);
    expect(error.message).toBe(`${file}:2:14: environment: the string "prod" is not allowed; use one of: production, staging, development`);
  });
});
