/**
 * docs/terraform-module.md, the root-module generator and the sandbox module
 * describe one contract; this test keeps the three from drifting. The doc's
 * tables are read as data, the sandbox module's `.tf` files by a block scan, and
 * real `terraform validate` judges the generated root module against the
 * sandbox module (no provider download: the module uses only `terraform_data`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JOURNALED_OUTPUTS } from '../../../src/steps/create-cluster/create-cluster.js';
import { rootModuleInput } from '../../../src/steps/create-cluster/terraform-setup.js';
import type { ClusterTarget, PlanContext } from '../../../src/steps/step.js';
import { CLUSTER_OUTPUTS, writeRootModule } from '../../../src/tools/terraform/generator.js';
import { SANDBOX_MODULE_DIR } from '../../../src/tools/terraform/sandbox-module.js';
import { requireBinary } from '../../helpers/require-binary.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DOC = readFileSync(join(ROOT, 'docs', 'terraform-module.md'), 'utf8');

/** The rows of the first markdown table under `## heading`, as cell lists (backticks stripped). */
function tableRows(heading: string): string[][] {
  const start = DOC.indexOf(`\n## ${heading}\n`);
  expect(start, `doc has a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const section = DOC.slice(start + heading.length + 5).split('\n## ')[0] ?? '';
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  // Header and separator first.
  return lines.slice(2).map((l) => l.split('|').slice(1, -1).map((cell) => cell.trim().replace(/`/g, '')));
}

interface TfBlock {
  name: string;
  body: string;
}

/** Top-level `kind "name" { … }` blocks of a .tf file (brace-matched; the sandbox files hold no braces in strings). */
function tfBlocks(file: string, kind: 'variable' | 'output'): TfBlock[] {
  const text = readFileSync(join(SANDBOX_MODULE_DIR, file), 'utf8')
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n');
  const blocks: TfBlock[] = [];
  const opener = new RegExp(`^${kind}\\s+"([A-Za-z0-9_]+)"\\s*\\{`, 'gm');
  for (const match of text.matchAll(opener)) {
    let depth = 1;
    let i = (match.index ?? 0) + match[0].length;
    const bodyStart = i;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
    }
    blocks.push({ name: match[1] ?? '', body: text.slice(bodyStart, i - 1) });
  }
  return blocks;
}

/** `key = …` at the block's own level (not inside a nested `validation { … }`). */
function hasTopLevelAttribute(body: string, key: string): boolean {
  let depth = 0;
  for (const line of body.split('\n')) {
    if (depth === 0 && new RegExp(`^\\s*${key}\\s*=`).test(line)) return true;
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
  }
  return false;
}

const docVariables = tableRows('Input variables').map((row) => row[0] ?? '');
const docOutputs = tableRows('Outputs').map((row) => ({ name: row[0] ?? '', sensitive: row[1] === 'yes' }));

const cluster: ClusterTarget = {
  index: 0,
  name: 'gp-prod-ws-eu17-eu-west1',
  shortName: 'eu17',
  id: 17,
  region: 'europe-west1',
  prefix: 'eu',
  governedBy: 'prod-meta-eu01',
  type: 'gke',
  create: true,
  valuesFiles: [],
};

function planContext(extraVariables: Record<string, string> = {}): Pick<PlanContext, 'config' | 'sharedDir'> {
  return {
    sharedDir: '/tmp/wsd-contract-unused',
    config: {
      project: { id: 'gitpod-191109', network: 'gitpod-prod', dnsZone: 'gitpod.io', bucket: 'gitpod-prod-tf-state' },
      terraform: { module: { source: SANDBOX_MODULE_DIR }, variables: extraVariables, backend: { type: 'local' } },
    } as unknown as PlanContext['config'],
  };
}

describe('the documented Terraform module contract', () => {
  it('the doc lists inputs and outputs (a parsing slip must not make the comparisons vacuous)', () => {
    expect(docVariables.length).toBeGreaterThanOrEqual(5);
    expect(docOutputs.length).toBeGreaterThanOrEqual(5);
    for (const name of [...docVariables, ...docOutputs.map((o) => o.name)]) expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it('documents exactly the variables the generator passes', () => {
    const passed = Object.keys(rootModuleInput(planContext(), cluster).variables);
    expect([...docVariables].sort()).toEqual([...passed].sort());
  });

  it('documents exactly the outputs the root module re-exports, and every output a step reads', () => {
    expect(docOutputs.map((o) => o.name).sort()).toEqual([...CLUSTER_OUTPUTS].sort());
    for (const name of [...JOURNALED_OUTPUTS, 'endpoint', 'ca_certificate']) expect(docOutputs.map((o) => o.name)).toContain(name);
    // Sensitive outputs stay out of the journal.
    for (const { name, sensitive } of docOutputs) if (sensitive) expect(JOURNALED_OUTPUTS).not.toContain(name);
  });

  it('the sandbox module requires exactly the documented variables; its other inputs are optional sandbox_* knobs', () => {
    const variables = tfBlocks('variables.tf', 'variable');
    expect(variables.length).toBeGreaterThanOrEqual(docVariables.length);
    const required = variables.filter((v) => !hasTopLevelAttribute(v.body, 'default')).map((v) => v.name);
    expect(required.sort()).toEqual([...docVariables].sort());
    for (const v of variables) {
      if (!docVariables.includes(v.name)) expect(v.name).toMatch(/^sandbox_/);
      expect(hasTopLevelAttribute(v.body, 'type'), `${v.name} declares a type`).toBe(true);
    }
  });

  it('the sandbox module declares exactly the documented outputs, sensitive where documented', () => {
    const outputs = tfBlocks('outputs.tf', 'output').map((o) => ({ name: o.name, sensitive: /^\s*sensitive\s*=\s*true\s*$/m.test(o.body) }));
    expect(outputs.sort((a, b) => a.name.localeCompare(b.name))).toEqual([...docOutputs].sort((a, b) => a.name.localeCompare(b.name)));
  });
});

describe.skipIf(!requireBinary('terraform', 'the module contract is checked by terraform validate'))('terraform validate on the generated root module', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  /** Generates the root module for the sandbox module and runs `terraform init` + `validate -json` in it. */
  async function validate(extraVariables: Record<string, string> = {}): Promise<{ valid: boolean; diagnostics: Array<{ summary: string; detail?: string }> }> {
    const dir = await mkdtemp(join(tmpdir(), 'wsd-contract-'));
    dirs.push(dir);
    const work = join(dir, 'root');
    await writeRootModule(work, { ...rootModuleInput(planContext(extraVariables), cluster), backend: { type: 'local', path: join(dir, 'state.tfstate') } });
    const rc = join(dir, 'terraform.rc');
    await writeFile(rc, 'disable_checkpoint = true\n');
    const env = { PATH: process.env.PATH ?? '', HOME: dir, TF_CLI_CONFIG_FILE: rc, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1', TF_DATA_DIR: join(work, '.terraform') };
    execFileSync('terraform', ['init', '-backend=false', '-input=false', '-no-color'], { cwd: work, env, stdio: 'pipe', timeout: 120_000 });
    let out: string;
    try {
      out = execFileSync('terraform', ['validate', '-json', '-no-color'], { cwd: work, env, encoding: 'utf8', timeout: 120_000 });
    } catch (error) {
      // validate exits 1 on an invalid configuration; the JSON is still on stdout.
      out = String((error as { stdout?: unknown }).stdout ?? '');
    }
    return JSON.parse(out) as { valid: boolean; diagnostics: Array<{ summary: string; detail?: string }> };
  }

  it('accepts the contract variables and outputs as generated', async () => {
    const result = await validate();
    expect(result.diagnostics).toEqual([]);
    expect(result.valid).toBe(true);
  }, 180_000);

  it('refuses a variable the module does not declare (the check can fail)', async () => {
    const result = await validate({ machine_type: 'n2-standard-16' });
    expect(result.valid).toBe(false);
    expect(result.diagnostics.map((d) => `${d.summary}: ${d.detail ?? ''}`).join('\n')).toMatch(/(argument|block type) is named "machine_type"|Unsupported argument[\s\S]*machine_type/);
  }, 180_000);
});
