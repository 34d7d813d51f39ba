/**
 * A first generation is judged too: with `analysis.firstGenerationWatch`, the real CLI on the
 * sandbox gives a fresh deployment all new starts, runs its threshold gate for the watch, and a
 * failing cluster (`--inject-fault eu:0.8`) fails the deployment with exit 1, leaving the clusters
 * as they are (there is no previous generation to return to) and saying so: the summary, `status`
 * (text, JSON, the list) and the report never call it rolled back.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('first generation watch on the sandbox', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir];
  afterAll(() => ws.cleanup());
  writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace(/interval: 5s/, 'interval: 2s').replace(/sampleDeadline: 60s/, 'sampleDeadline: 60s\n    firstGenerationWatch: 20s'));

  it('fails a bad first generation with exit 1 and leaves its clusters taking starts', { timeout: 180_000 }, async () => {
    const first = await runCli(['deploy', ...common, '--cluster-id', '260', '--inject-fault', 'eu:0.8']);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stdout + first.stderr).toMatch(/first generation failed its gates during the watch: fail: start-failure-ratio failed on \S*eu260\S*/);
    // The evidence in words, once: the summary's explanation of the failing decision.
    expect((first.stdout + first.stderr).match(/start-failure-ratio on \S*eu260\S*: fail, \d+ of \d+ starts failed \(ratio [\d.]+ > max 0\.1/g)).toHaveLength(1);
    expect(first.stdout + first.stderr).toMatch(/left as they are/);
    const list = await runCli(['clusters', 'list', ...common, '--output', 'json']);
    const entries = JSON.parse(list.stdout) as Array<{ name: string; state: string; score: number }>;
    for (const name of ['eu260', 'us260']) expect(entries.find((e) => e.name === name)).toMatchObject({ state: 'AVAILABLE', score: 100 });
    // Nothing was rolled back, and no reader says so: each says the failing clusters still take every start.
    const words = 'first generation failed its gates; nothing to roll back to, so its clusters still take every new workspace start';
    expect(first.stdout + first.stderr).toContain(words);
    const all = await runCli(['status', '--all', ...common, '--output', 'json']);
    const [listed] = JSON.parse(all.stdout) as Array<Record<string, unknown>>;
    expect(listed).toMatchObject({ state: 'failed', outcome: 'first-generation-failed' });
    expect(listed).not.toHaveProperty('rolledBack');
    expect((await runCli(['status', '--all', ...common])).stdout).toContain(words);
    const id = String(listed?.['id']);
    const status = await runCli(['status', id, ...common]);
    expect(status.stdout).toContain(`deployment ${id}: ${words}`);
    expect(JSON.parse((await runCli(['status', id, ...common, '--output', 'json'])).stdout)).toMatchObject({ outcome: 'first-generation-failed' });
    const report = await runCli(['report', id, ...common, '--output', '-']);
    for (const text of [first.stdout + first.stderr, status.stdout, report.stdout]) expect(text).not.toMatch(/rolled back/i);
  });
});
