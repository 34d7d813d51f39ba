/**
 * `deploy --only/--skip` through the real CLI: a run that leaves steps out ends
 * `partial` (exit 0) everywhere a reader looks (summary, status text and JSON,
 * status --all, the deployment-finished webhook), and `resume ID` runs exactly
 * the steps left out, each once, honouring what the journal says is done. The
 * traffic shift and the retirement are held back behind an excluded
 * registration: they never promote a cluster that is not registered.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shellQuote } from '../../src/core/next-command.js';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

interface Rec {
  type: string;
  cluster?: string;
  step?: string;
  state?: string;
}

interface StatusJson {
  id: string;
  state: string;
  excluded?: { count: number; command: string };
  steps: Array<{ name: string; state: string; excluded?: string; waitsFor?: string[] }>;
  clusters: Array<{ steps: Array<{ name: string; state: string; excluded?: string }> }>;
}

function workspace(): { common: string[]; journal(id: string): Rec[]; ws: ReturnType<typeof sandboxWorkspace> } {
  const ws = sandboxWorkspace();
  return {
    ws,
    common: ['--config', ws.config, '--state-dir', ws.stateDir],
    journal: (id) =>
      readFileSync(join(ws.stateDir, id, 'journal.ndjson'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Rec),
  };
}

/** `cluster/step` of every step.started record after the `from`th record. */
function started(records: Rec[], from = 0): string[] {
  return records.slice(from).filter((r) => r.type === 'step.started').map((r) => `${r.cluster}/${r.step}`);
}

async function statusJson(common: string[], id: string): Promise<StatusJson> {
  const run = await runCli(['status', id, ...common, '--output', 'json']);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as StatusJson;
}

function idOf(stdout: string): string {
  const id = /^deployment (\S+): /m.exec(stdout)?.[1];
  expect(id).toBeDefined();
  return id as string;
}

describe.skipIf(!hasTerraform)('deploy --only/--skip ends partial; resume runs what was left out', () => {
  const spaces: Array<ReturnType<typeof sandboxWorkspace>> = [];
  let receiver: Receiver | undefined;
  afterAll(async () => {
    await receiver?.close();
    for (const ws of spaces) ws.cleanup();
  });

  it('--only create-cluster, then resume: every step done exactly once, none re-run', async () => {
    const { ws, common, journal } = workspace();
    spaces.push(ws);
    const first = await runCli(['deploy', ...common, '--cluster-id', '161', '--only', 'create-cluster']);
    expect(first.code).toBe(0);
    const id = idOf(first.stdout);
    expect(first.stdout).toMatch(new RegExp(`deployment ${id}: partial`));
    expect(first.stdout).toMatch(/gp-dev-ws-eu161-eu-west1\s+install-gitpod\s+excluded\s+0\s+excluded by --only/);
    expect(first.stdout).toMatch(/traffic-shift\s+excluded\s+0\s+excluded by --only/);
    // Suggested commands reach the run's state when copied (core/next-command.ts).
    expect(first.stdout).toContain(`run them with \`ws-deployment resume ${id} --state-dir ${shellQuote(ws.stateDir)}\``);
    const afterFirst = journal(id).length;
    expect(started(journal(id)).sort()).toEqual(['gp-dev-ws-eu161-eu-west1/create-cluster', 'gp-dev-ws-us161-us-west1/create-cluster']);

    // `resume --dry-run` has no dry run to give: refused before anything runs (it once continued the deployment for
    // real, the release steps rendering client-side instead of installing).
    const dry = await runCli(['resume', id, '--state-dir', ws.stateDir, '--dry-run']);
    expect([dry.code, dry.stderr]).toEqual([2, expect.stringContaining('error: --dry-run applies to deploy only: resume has no dry run and would change things for real, so nothing was done')]);
    expect(journal(id)).toHaveLength(afterFirst);

    const resumed = await runCli(['resume', id, '--state-dir', ws.stateDir]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`deployment ${id}: succeeded`));
    const records = journal(id);
    expect(started(records, afterFirst)).not.toContain('gp-dev-ws-eu161-eu-west1/create-cluster');
    // Every step of the deployment started exactly once over both runs.
    const all = started(records);
    expect(new Set(all).size).toBe(all.length);
    const doc = await statusJson(common, id);
    expect(doc.state).toBe('succeeded');
    expect(doc.excluded).toBeUndefined();
    for (const c of doc.clusters) for (const s of c.steps) expect(['succeeded', 'skipped']).toContain(s.state);
    expect(doc.steps.map((s) => [s.name, s.state])).toEqual([
      ['traffic-shift', 'succeeded'],
      ['retire-old-clusters', 'succeeded'],
    ]);
    expect(all).toContain('*/traffic-shift');

    // Over means over: a deployment that ran everything is not resumed again.
    const again = await runCli(['resume', id, '--state-dir', ws.stateDir]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('already succeeded');
  });

  it('a partial run superseded by a newer promoted deployment is over: resume refuses it, bare resume skips it, its clusters can be retired', async () => {
    const { ws, common, journal } = workspace();
    spaces.push(ws);
    const partial = await runCli(['deploy', ...common, '--cluster-id', '171', '--only', 'create-cluster']);
    expect(partial.code).toBe(0);
    const id = idOf(partial.stdout);
    // The newer generation, started beside it on purpose, promotes (its shift succeeds).
    const newer = await runCli(['deploy', ...common, '--cluster-id', '172', '--allow-unfinished']);
    expect(newer.code, newer.stderr).toBe(0);
    const newerId = idOf(newer.stdout);
    const before = journal(id).length;

    const bare = await runCli(['resume', ...common]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('no unfinished deployment of this environment to resume');
    const refused = await runCli(['resume', id, '--state-dir', ws.stateDir]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`deployment ${id} is superseded: the newer deployment ${newerId} of this environment moved its traffic onto its own clusters`);
    expect(refused.stderr).toContain('the clusters it created (eu171, us171)');
    // Refused before anything: the old run's journal did not grow, and the newer generation still stands.
    expect(journal(id)).toHaveLength(before);
    const doc = (await statusJson(common, id)) as StatusJson & { supersededBy?: string };
    expect(doc.supersededBy).toBe(newerId);
    expect(doc.excluded).toBeUndefined();
    const text = await runCli(['status', id, ...common]);
    expect(text.stdout).toContain(`superseded: the newer deployment ${newerId}`);
    const listed = JSON.parse((await runCli(['status', '--all', ...common, '--output', 'json'])).stdout) as Array<{ id: string; supersededBy?: string }>;
    expect(listed.find((d) => d.id === id)?.supersededBy).toBe(newerId);
    expect(listed.find((d) => d.id === newerId)?.supersededBy).toBeUndefined();
    expect((await statusJson(common, newerId)).state).toBe('succeeded');

    // What it created is no longer held by an open deployment: retire --cluster takes it.
    const retired = await runCli(['retire', '--cluster', 'eu171', '--yes', ...common]);
    expect(retired.code, retired.stderr).toBe(0);
    expect(retired.stdout).toContain('eu171');
    // And the next deploy does not wait on it.
    const next = await runCli(['deploy', ...common, '--cluster-id', '173', '--dry-run']);
    expect(next.stderr).not.toContain(id);
  });

  it('--skip install-jaeger: partial in the summary, status, status --all and the webhook; resume runs only install-jaeger', async () => {
    const { ws, common, journal } = workspace();
    spaces.push(ws);
    receiver = await startReceiver('ok');
    appendFileSync(ws.config, ['notifications:', '  webhooks:', `    - url: ${receiver.url}/hook`, ''].join('\n'));
    const first = await runCli(['deploy', ...common, '--cluster-id', '162', '--skip', 'install-jaeger']);
    expect(first.code).toBe(0);
    const id = idOf(first.stdout);
    expect(first.stdout).toMatch(new RegExp(`deployment ${id}: partial`));
    expect(first.stdout).toContain(`partial: 2 steps`);
    // Tracing is not needed to serve: the shift went ahead past it.
    expect(first.stdout).toMatch(/traffic-shift\s+succeeded/);

    const text = await runCli(['status', id, ...common]);
    expect(text.stdout).toMatch(new RegExp(`deployment ${id}: partial`));
    expect(text.stdout).toMatch(/gp-dev-ws-eu162-eu-west1\s+install-jaeger\s+excluded\s+0\s+excluded by --skip/);
    const resume = `ws-deployment resume ${id} --state-dir ${shellQuote(ws.stateDir)}`;
    expect(text.stdout).toContain(`\`${resume}\``);
    const doc = await statusJson(common, id);
    expect(doc.state).toBe('partial');
    expect(doc.excluded).toEqual({ count: 2, command: resume });
    const all = await runCli(['status', '--all', ...common]);
    expect(all.stdout).toMatch(new RegExp(`${id}\\s+partial \\(2 excluded\\)`));
    const allJson = JSON.parse((await runCli(['status', '--all', ...common, '--output', 'json'])).stdout) as Array<{ id: string; state: string; excluded?: number }>;
    expect(allJson.find((d) => d.id === id)).toMatchObject({ state: 'partial', excluded: 2 });

    const finished = receiver.received.map((r) => r.body as { kind: string; title: string; text: string; data: Record<string, unknown> }).filter((n) => n.kind === 'deployment-finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]?.title).toBe(`deployment ${id} partial`);
    expect(finished[0]?.data).toMatchObject({ state: 'partial', excluded: 2, command: resume });
    expect(finished[0]?.text).toContain(`\`${resume}\``);

    const html = join(ws.dir, 'report.html');
    expect((await runCli(['report', id, ...common, '--output', html])).code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('data-state="partial"');
    expect(page).toMatch(/<p class="partial" data-excluded="2">2 steps not run yet /);
    expect(page).toContain(`\`${resume}\`</p>`);

    const before = journal(id).length;
    const resumed = await runCli(['resume', id, '--state-dir', ws.stateDir]);
    expect(resumed.code).toBe(0);
    expect(started(journal(id), before).sort()).toEqual(['gp-dev-ws-eu162-eu-west1/install-jaeger', 'gp-dev-ws-us162-us-west1/install-jaeger']);
    expect((await statusJson(common, id)).state).toBe('succeeded');
    const last = receiver.received.map((r) => r.body as { kind: string; data: Record<string, unknown> }).filter((n) => n.kind === 'deployment-finished').at(-1);
    expect(last?.data).toEqual({ state: 'succeeded', outcome: 'succeeded' });
  });

  it('--skip register-cluster: the shift and the retirement are held back, nothing is promoted; resume --only narrows', async () => {
    const { ws, common, journal } = workspace();
    spaces.push(ws);
    const first = await runCli(['deploy', ...common, '--cluster-id', '163', '--skip', 'register-cluster']);
    expect(first.code).toBe(0);
    const id = idOf(first.stdout);
    expect(first.stdout).toMatch(new RegExp(`deployment ${id}: partial`));
    expect(first.stdout).toMatch(/traffic-shift\s+excluded\s+0\s+held back: waits for excluded gp-dev-ws-eu163-eu-west1\/register-cluster/);
    expect(started(journal(id))).not.toContain('*/traffic-shift');
    expect(started(journal(id))).not.toContain('*/retire-old-clusters');
    let doc = await statusJson(common, id);
    expect(doc.excluded?.count).toBe(4);
    expect(doc.steps.find((s) => s.name === 'traffic-shift')).toMatchObject({ state: 'pending', excluded: 'held', waitsFor: ['gp-dev-ws-eu163-eu-west1/register-cluster', 'gp-dev-ws-us163-us-west1/register-cluster'] });

    // A new deployment does not start beside one whose clusters wait for their registration and shift.
    const beside = await runCli(['deploy', ...common, '--cluster-id', '164']);
    expect(beside.code).toBe(3);
    expect(beside.stderr).toContain(`deployment ${id} of this environment did not finish (partial`);
    expect(beside.stderr).toContain(`ws-deployment resume ${id}`);

    // Narrowed: only the registration; the shift stays left out (now by --only).
    let before = journal(id).length;
    const narrow = await runCli(['resume', id, '--state-dir', ws.stateDir, '--only', 'register-cluster']);
    expect(narrow.code).toBe(0);
    expect(narrow.stdout).toMatch(new RegExp(`deployment ${id}: partial`));
    expect(started(journal(id), before).sort()).toEqual(['gp-dev-ws-eu163-eu-west1/register-cluster', 'gp-dev-ws-us163-us-west1/register-cluster']);
    doc = await statusJson(common, id);
    expect(doc.excluded?.count).toBe(2);
    expect(doc.steps.map((s) => [s.name, s.state, s.excluded])).toEqual([
      ['traffic-shift', 'pending', '--only'],
      ['retire-old-clusters', 'pending', '--only'],
    ]);

    before = journal(id).length;
    const rest = await runCli(['resume', id, '--state-dir', ws.stateDir]);
    expect(rest.code).toBe(0);
    expect(started(journal(id), before)).toEqual(['*/traffic-shift', '*/retire-old-clusters']);
    expect(rest.stdout).toMatch(/traffic-shift\s+succeeded\s+1\s+.*promoted/);
    expect((await statusJson(common, id)).state).toBe('succeeded');
  });
});
