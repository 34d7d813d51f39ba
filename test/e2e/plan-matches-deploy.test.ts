/**
 * `plan` shows exactly what `deploy` runs: every terraform and helm argv of a sandbox
 * deploy, recorded by wrappers around the real binaries, is in the plan made just
 * before it, and every command the plan lists ran — for a first generation and for
 * a second one that retires (and `terraform destroy`s) the first.
 *
 * The plan once hard-coded terraform's argv apart from the code that runs it and
 * drifted (no `-lock-timeout`, a relative plan file, `output` without `-no-color`):
 * this compares with what ran, not with the code's own idea of it.
 *
 * With an unfinished deployment of the environment, `plan` says `deploy` would be refused (naming it, its
 * state and the commands) and `deploy` is refused exactly so.
 *
 * The config carries a secret terraform variable and a secret helm value: neither
 * may show in the plan, in any argv that ran, or anywhere in the state dir
 * (journal, logs, generated and rendered files), yet each reaches its tool
 * (terraform's environment, helm's 0600 values file; the wrappers check both).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findOnPath, resolveHelmBinary } from '../../src/tools/helm-binary.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';
import { QUICK_GATE, shortenShift } from '../helpers/sandbox-config.js';

interface Recorded {
  tool: string;
  argv: string[];
  /** terraform: TF_VAR_sandbox_secret held the secret; helm: the secret values files (mode, holds the secret). */
  tfVar: boolean;
  files: Array<{ mode: string; holds: boolean }>;
}

const TF_SECRET = 'tf-secret-${not-a-template} value';
const HELM_SECRET = 'helm-db-pa55,word=x';

interface PlanDoc {
  clusters: Array<{ steps: Array<{ actions: Array<{ argv?: string[] }> }> }>;
  deploymentSteps: Array<{ name: string; actions: Array<{ argv?: string[] }> }>;
}

/** A recording wrapper: appends its argv to `record`, then runs `real` with the same argv, stdio and exit code. */
function wrapper(dir: string, name: string, real: string, record: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    [
      `#!${process.execPath}`,
      "const { appendFileSync } = require('node:fs');",
      "const { spawnSync } = require('node:child_process');",
      "const { statSync, readFileSync } = require('node:fs');",
      'const argv = process.argv.slice(2);',
      `const tfVar = process.env.TF_VAR_sandbox_secret === ${JSON.stringify(TF_SECRET)};`,
      `const files = argv.filter((a) => a.endsWith('.secret.json')).map((f) => ({ mode: (statSync(f).mode & 0o777).toString(8), holds: JSON.parse(readFileSync(f, 'utf8')).components.db.password === ${JSON.stringify(HELM_SECRET)} }));`,
      `appendFileSync(${JSON.stringify(record)}, JSON.stringify({ tool: ${JSON.stringify(name)}, argv, tfVar, files }) + '\\n');`,
      `const r = spawnSync(${JSON.stringify(real)}, process.argv.slice(2), { stdio: 'inherit' });`,
      'process.exit(r.status ?? 1);',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

/** One argv as a line, the deployment's own folder named as plan names it. */
function line(argv: readonly string[]): string {
  return argv.join(' ').replace(/\/\d{8}-\d{6}-[0-9a-f]{4}\//g, '/<deployment>/');
}

function planned(doc: PlanDoc): string[] {
  const actions = [...doc.clusters.flatMap((c) => c.steps), ...doc.deploymentSteps].flatMap((s) => s.actions);
  return actions.flatMap((a) => (a.argv && ['terraform', 'helm'].includes(a.argv[0] ?? '') ? [line(a.argv)] : []));
}

describe('plan shows the commands deploy runs', { timeout: 300_000 }, () => {
  const ws = sandboxWorkspace();
  afterAll(() => ws.cleanup());
  const sandbox = readFileSync(ws.config, 'utf8');
  const gitpodValues = '  valuesFiles: [./sandbox/values-common.yaml]\n';
  expect(sandbox).toContain(gitpodValues);
  writeFileSync(
    ws.config,
    `${sandbox.replace(gitpodValues, `${gitpodValues}  set: { components.db.password: ${JSON.stringify(HELM_SECRET)} }\n`)}terraform:\n  variables: { sandbox_secret: ${JSON.stringify(TF_SECRET)} }\n`,
  );
  // The second generation's shift waits out its interval, bake and staff stage and the gate's evidence, none of which
  // shows in an argv: at the example's waits it took a minute; the gate passes on its minSamples (QUICK_GATE).
  shortenShift(ws.config, { interval: '2s', bake: '2s', staff: '2s', confidence: QUICK_GATE });
  const bin = join(ws.dir, 'wrappers');
  const record = join(ws.dir, 'calls.ndjson');
  mkdirSync(bin);
  const terraform = findOnPath('terraform');
  if (!terraform) throw new Error('terraform is not on PATH');
  wrapper(bin, 'terraform', terraform, record);
  const helm = wrapper(bin, 'helm', resolveHelmBinary().path, record);
  const env = { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, WSD_HELM: helm };
  const common = ['--config', ws.config, '--state-dir', ws.stateDir];

  /** Files under the state dir that hold `text` (empty: none). */
  function grep(text: string): string {
    try {
      return execFileSync('grep', ['-rlF', '--', text, ws.stateDir], { encoding: 'utf8' });
    } catch (error) {
      if ((error as { status?: number }).status === 1) return '';
      throw error;
    }
  }

  /** Plans, deploys, and returns both sides as argv lines (the helm version probe left out: it changes nothing). */
  async function planThenDeploy(): Promise<{ plan: string[]; ran: string[]; doc: PlanDoc }> {
    const text = await runCli(['plan', ...common], { env });
    expect(text.code, text.stderr).toBe(0);
    const plan = await runCli(['plan', ...common, '--output', 'json'], { env });
    expect(plan.code, plan.stderr).toBe(0);
    for (const secret of [TF_SECRET, HELM_SECRET]) expect(`${text.stdout}${text.stderr}${plan.stdout}${plan.stderr}`).not.toContain(secret);
    writeFileSync(record, '');
    const deploy = await runCli(['deploy', ...common], { env });
    expect(deploy.code, deploy.stderr).toBe(0);
    const calls = existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Recorded) : [];
    const ran = calls.filter((c) => !(c.tool === 'helm' && c.argv[0] === 'version')).map((c) => line([c.tool, ...c.argv]));
    // Out of sight, yet there: no argv holds a secret; every terraform call had the variable, every helm render the file.
    for (const secret of [TF_SECRET, HELM_SECRET]) expect(`${ran.join('\n')}${deploy.stdout}${deploy.stderr}`).not.toContain(secret);
    expect(calls.filter((c) => c.tool === 'terraform').every((c) => c.tfVar)).toBe(true);
    const renders = calls.filter((c) => c.tool === 'helm' && c.argv[0] === 'template' && c.argv.includes('gitpod'));
    expect(renders.length).toBeGreaterThan(0);
    for (const c of renders) expect(c.files).toEqual([{ mode: '600', holds: true }]);
    // Nothing in the state dir (journal, logs, generated and rendered files, terraform state) holds either value…
    for (const secret of [TF_SECRET, HELM_SECRET]) expect(grep(secret)).toBe('');
    // …and the module got the terraform one: its digest is in a local state.
    expect(grep(createHash('sha256').update(TF_SECRET).digest('hex'))).toContain('.tfstate');
    const doc = JSON.parse(plan.stdout) as PlanDoc;
    return { plan: planned(doc), ran, doc };
  }

  it('first generation: the same commands, each as often as planned', async () => {
    const { plan, ran } = await planThenDeploy();
    expect(ran.some((l) => l.startsWith('terraform apply '))).toBe(true);
    expect(ran.some((l) => l.startsWith('helm template '))).toBe(true);
    // Nothing old to retire: the retire step's destroy is planned per old cluster and none exists.
    const destroy = plan.filter((l) => l.startsWith('terraform apply -destroy'));
    expect(destroy).toHaveLength(1);
    expect([...ran].sort()).toEqual(plan.filter((l) => !destroy.includes(l)).sort());
  });

  it('second generation: the same, and the retire destroy runs as planned for each old cluster', async () => {
    const { plan, ran } = await planThenDeploy();
    const destroy = plan.find((l) => l.startsWith('terraform apply -destroy'));
    expect(destroy).toBeDefined();
    // Two old clusters (eu, us): each is initialised in its regenerated module and destroyed.
    const init = plan.find((l) => l.startsWith('terraform init '));
    const expected = [...plan.filter((l) => l !== destroy), destroy, destroy, init, init].sort();
    expect([...ran].sort()).toEqual(expected);
  });

  it('an unfinished deployment: plan says deploy would be refused, naming it, its state and the commands; deploy is refused so', async () => {
    const partial = await runCli(['deploy', ...common, '--only', 'create-cluster'], { env });
    expect(partial.code, partial.stderr).toBe(0);
    const id = (JSON.parse((await runCli(['status', ...common, '--output', 'json'])).stdout) as { id: string; state: string }).id;
    const text = await runCli(['plan', ...common], { env });
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n');
    // First, right under the plan's head, and again as its last line.
    expect(lines[2]).toBe(`DEPLOY WOULD BE REFUSED (ResumeRefused, exit 3): deployment ${id} (partial: steps excluded by --only/--skip were not run)`);
    expect(lines.at(-1)).toBe(`${lines[2]}: the steps above would not run`);
    expect(text.stdout).toContain(`continue it: ws-deployment resume ${id} --state-dir ${ws.stateDir}`);
    expect(text.stdout).toMatch(/or start a new deployment beside it: ws-deployment deploy --allow-unfinished --state-dir \S+ --config \S+/);
    const json = JSON.parse((await runCli(['plan', ...common, '--output', 'json'], { env })).stdout) as { refusal?: { code: string; deploymentId: string; state: string; message: string; commands: string[] } };
    expect(json.refusal).toMatchObject({ code: 'ResumeRefused', deploymentId: id, state: expect.stringMatching(/^partial/) });
    expect(json.refusal?.commands.map((c) => c.split(' --')[0])).toEqual([`ws-deployment resume ${id}`, 'ws-deployment deploy']);
    // deploy does what plan said: refused (3) with the same words, nothing started.
    const before = readFileSync(join(ws.stateDir, id, 'journal.ndjson'), 'utf8');
    const deploy = await runCli(['deploy', ...common], { env });
    expect(deploy.code).toBe(3);
    expect(deploy.stderr).toContain(`deployment ${id} of this environment did not finish (partial: steps excluded by --only/--skip were not run)`);
    expect(JSON.parse((await runCli(['status', ...common, '--output', 'json'])).stdout)).toMatchObject({ id });
    expect(readFileSync(join(ws.stateDir, id, 'journal.ndjson'), 'utf8')).toBe(before);
    // And the plan of `deploy --allow-unfinished` has no refusal.
    const allowed = JSON.parse((await runCli(['plan', ...common, '--output', 'json', '--allow-unfinished'], { env })).stdout) as { refusal?: unknown };
    expect(allowed.refusal).toBeUndefined();
  });
});
