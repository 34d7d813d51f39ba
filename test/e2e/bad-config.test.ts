/**
 * Bad input: exit 2, every problem positioned, never a stack trace.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'wsd-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BAD = `version: v1
environment: prod
project:
  id: sandbox-project
  network: sandbox-net
  dnsZone: sandbox.test
metaClusters:
  - name: dev-meta-eu01
    region: europe-west1
workspaceClusters:
  - region: europe-west1
    prefix: eu
    governedBy: dev-meta-us01
    tpye: sandbox
`;

describe('bad configs', () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, BAD);

  it('validate reports every problem with file:line:col and exits 2', async () => {
    const result = await runCli(['validate', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:2:14: environment:`);
    expect(result.stderr).toContain(`${file}:13:17: workspaceClusters[0].governedBy: "dev-meta-us01" is not a meta cluster`);
    expect(result.stderr).toMatch(new RegExp(`${file}:14:5: workspaceClusters\\[0\\]\\.tpye: unknown key "tpye"; did you mean "type"\\?`));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('deploy and plan refuse the same config with exit 2 before doing anything', async () => {
    for (const command of ['deploy', 'plan']) {
      const result = await runCli([command, '--config', file, '--state-dir', join(dir, 'state')]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${file}:2:14`);
    }
  });

  it('a missing config file says how to pass one', async () => {
    const result = await runCli(['validate', '--config', join(dir, 'nope.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/does not exist; pass --config FILE or set WS_DEPLOYMENT_CONFIG/);
  });

  it('YAML syntax errors and unknown commands or flags exit 2', async () => {
    writeFileSync(join(dir, 'syntax.yaml'), 'version: v1\nproject: [unclosed\n');
    const syntax = await runCli(['validate', '--config', join(dir, 'syntax.yaml')]);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/syntax\.yaml:\d+:\d+:/);
    expect((await runCli(['bogus'])).code).toBe(2);
    expect((await runCli(['deploy', '--concurrency', 'many'])).code).toBe(2);
    expect((await runCli(['deploy', '--only', 'create-clusters'])).stderr).toMatch(/unknown step "create-clusters"/);
  });

  it('validate, plan and deploy refuse {{interval}} in a comparison query (overlapping windows) at the query, naming {{window}}', async () => {
    const example = readFileSync('examples/sandbox.yaml', 'utf8');
    const metric = "      - { name: p95-vs-old, query: 'failure_ratio({{shortName}}[{{interval}}])', comparison: { method: mann-whitney, resolution: 1s } }\n";
    const text = example.replace('    sampleDeadline: 60s\n', `${metric}    sampleDeadline: 60s\n`);
    expect(text).not.toBe(example);
    const line = text.split('\n').findIndex((l) => l.includes('p95-vs-old')) + 1;
    // Next to the example's referenced files, so this is the one problem.
    const overlapping = join(dir, 'examples', 'overlapping.yaml');
    cpSync('examples', join(dir, 'examples'), { recursive: true });
    writeFileSync(overlapping, text);
    for (const command of ['validate', 'plan', 'deploy']) {
      const result = await runCli([command, '--config', overlapping, '--state-dir', join(dir, 'state-overlapping')]);
      expect(result.code, `${command}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(`${overlapping}:${line}:36: trafficShift.analysis.metrics[1].query: p95-vs-old: {{interval}} in a mann-whitney comparison query`);
      expect(result.stderr).toContain('use {{window}} (or {{resolution}})');
      expect(result.stderr.split('\n').filter((l) => l.includes('overlapping.yaml:'))).toHaveLength(1);
    }
    expect(existsSync(join(dir, 'state-overlapping', 'journal.jsonl'))).toBe(false);
  });

  it('validate accepts the sandbox example and exits 0', async () => {
    const result = await runCli(['validate', '--config', 'examples/sandbox.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/valid \(2 workspace cluster/);
  });
});
