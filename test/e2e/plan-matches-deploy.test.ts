/**
 * `plan` shows exactly what `deploy` runs: every terraform and helm argv of a sandbox
 * deploy, recorded by wrappers around the real binaries, is in the plan made just
 * before it, and every command the plan lists ran — for a first generation and for
 * a second one that retires (and `terraform destroy`s) the first.
 *
 * The plan once hard-coded terraform's argv apart from the code that runs it and
 * drifted (no `-lock-timeout`, a relative plan file, `output` without `-no-color`):
 * this compares with what ran, not with the code's own idea of it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findOnPath, resolveHelmBinary } from '../../src/tools/helm-binary.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

interface Recorded {
  tool: string;
  argv: string[];
}

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
      `appendFileSync(${JSON.stringify(record)}, JSON.stringify({ tool: ${JSON.stringify(name)}, argv: process.argv.slice(2) }) + '\\n');`,
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
  const bin = join(ws.dir, 'wrappers');
  const record = join(ws.dir, 'calls.ndjson');
  mkdirSync(bin);
  const terraform = findOnPath('terraform');
  if (!terraform) throw new Error('terraform is not on PATH');
  wrapper(bin, 'terraform', terraform, record);
  const helm = wrapper(bin, 'helm', resolveHelmBinary().path, record);
  const env = { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, WSD_HELM: helm };
  const common = ['--config', ws.config, '--state-dir', ws.stateDir];

  /** Plans, deploys, and returns both sides as argv lines (the helm version probe left out: it changes nothing). */
  async function planThenDeploy(): Promise<{ plan: string[]; ran: string[]; doc: PlanDoc }> {
    const plan = await runCli(['plan', ...common, '--output', 'json'], { env });
    expect(plan.code, plan.stderr).toBe(0);
    writeFileSync(record, '');
    const deploy = await runCli(['deploy', ...common], { env });
    expect(deploy.code, deploy.stderr).toBe(0);
    const calls = existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Recorded) : [];
    const ran = calls.filter((c) => !(c.tool === 'helm' && c.argv[0] === 'version')).map((c) => line([c.tool, ...c.argv]));
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
});
