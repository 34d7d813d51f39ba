import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { externalTerraformDir, runExternalGenerator } from '../../../src/tools/terraform/external-generator.js';

// A real generator script (as an ops repository would have): parses the flags and
// writes the cluster's terraform where ws-deployment expects it.
const GOOD_SCRIPT = `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
const flags = {};
for (let i = 0; i < args.length; i += 2) flags[args[i]] = args[i + 1];
const dir = path.join(process.cwd(), 'deploy', 'ws-clusters', 'ws-' + flags['-n'], 'terraform');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'flags.json'), JSON.stringify({ args, flags }));
`;

const LAZY_SCRIPT = `#!${process.execPath}\nprocess.stdout.write('did nothing\\n');\n`;

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'wsd-extgen-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function script(name: string, content: string): Promise<string> {
  const path = join(cwd, name);
  await writeFile(path, content);
  await chmod(path, 0o755);
  return path;
}

const FACTS = {
  bucket: 'gitpod-tf-state',
  region: 'europe-west1',
  name: 'gp-prod-ws-eu17-eu-west1',
  type: 'gke',
  project: 'gitpod-prod-123',
  network: 'workspace-net',
  dnsZone: 'gitpod.io',
};

describe('runExternalGenerator', () => {
  it('passes the documented flags and returns the absolute terraform dir', async () => {
    await script('generate.js', GOOD_SCRIPT);
    const dir = await runExternalGenerator({ script: 'generate.js', cwd, ...FACTS });
    expect(dir).toBe(externalTerraformDir(cwd, FACTS.name));
    expect(dir).toBe(join(cwd, 'deploy/ws-clusters/ws-gp-prod-ws-eu17-eu-west1/terraform'));
    const { args } = JSON.parse(await readFile(join(dir, 'flags.json'), 'utf8'));
    expect(args).toEqual([
      '-b', 'gitpod-tf-state', '-l', 'europe-west1', '-n', 'gp-prod-ws-eu17-eu-west1', '-t', 'gke',
      '-g', 'gitpod-prod-123', '-w', 'workspace-net', '-d', 'gitpod.io',
    ]);
  });

  it('fails clearly when the script leaves no terraform dir', async () => {
    const path = await script('lazy.js', LAZY_SCRIPT);
    await expect(runExternalGenerator({ script: path, cwd, ...FACTS })).rejects.toMatchObject({
      code: 'ToolFailed',
      message: expect.stringContaining('left no directory'),
    });
  });

  it('refuses values that the script would read as flags', async () => {
    await script('generate.js', GOOD_SCRIPT);
    await expect(runExternalGenerator({ script: 'generate.js', cwd, ...FACTS, network: '-x' })).rejects.toMatchObject({ code: 'ConfigInvalid' });
  });

  it('reports a failing script as ToolFailed', async () => {
    await script('broken.js', `#!${process.execPath}\nprocess.stderr.write('bucket missing\\n'); process.exit(3);\n`);
    await expect(runExternalGenerator({ script: 'broken.js', cwd, ...FACTS })).rejects.toMatchObject({ code: 'ToolFailed', exitCode: 3 });
  });
});
