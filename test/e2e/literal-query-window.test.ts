/**
 * A range window written into a gate's query (`rate(x[45s])`) that holds fewer than two scrapes of
 * `analysis.scrapeInterval` is refused by `validate` and `plan` at the query, with the gate, the window, the minimum
 * and the fix: on real Prometheus rate() answers nothing there, on every cluster, and the gate would err until the
 * shift halts (the pre-shift check against Prometheus' real interval stays, the real one may differ).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeBin, type FakeBin } from '../helpers/fake-bin.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

describe('a literal query window shorter than two scrapes', () => {
  const ws = sandboxWorkspace();
  const config = join(ws.dir, 'examples', 'literal-window.yaml');
  let gcloud: FakeBin;
  let line = 0;
  beforeAll(async () => {
    gcloud = await createFakeBin('gcloud', { responses: [] });
    const example = readFileSync(join(ws.dir, 'examples', 'production.yaml'), 'utf8');
    const metric = `      - { name: start-rate, query: 'sum(rate(gitpod_ws_manager_workspace_starts_total{cluster="{{shortName}}"}[45s]))', threshold: { min: 0.1 } }\n`;
    const text = example
      .replace('provider: { type: prometheus, url: "https://prometheus.gitpod.io" }\n', 'provider: { type: prometheus, url: "https://prometheus.gitpod.io" }\n    scrapeInterval: 30s\n')
      .replace('    metrics:\n', `    metrics:\n${metric}`);
    expect(text).toContain('scrapeInterval: 30s');
    expect(text).toContain('[45s]');
    line = text.split('\n').findIndex((l) => l.includes('name: start-rate,')) + 1;
    writeFileSync(config, text);
  });
  afterAll(async () => {
    await gcloud.cleanup();
    ws.cleanup();
  });

  it('validate and plan refuse it at the query, naming the gate, the window, the minimum and the fix', async () => {
    for (const command of ['validate', 'plan']) {
      const result = await runCli([command, '--config', config, '--state-dir', ws.stateDir], { env: { PATH: gcloud.pathEnv().PATH } });
      expect(result.code, `${command}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(
        `${config}:${line}:36: trafficShift.analysis.metrics[0].query: start-rate: the window [45s] written into its query (read by rate()) holds fewer than two scrapes of 30s (analysis.scrapeInterval), and rate() needs two samples in its window: Prometheus answers nothing for every cluster; write [{{interval}}] (the metric's lookback) instead, or a window of at least 1m (2m keeps one missed scrape harmless)`,
      );
      expect(result.stderr.split('\n').filter((l) => l.includes('literal-window.yaml:'))).toHaveLength(1);
    }
    expect(await gcloud.calls()).toEqual([]);
  });

  it('accepts the same gate with a window of two scrapes', async () => {
    writeFileSync(config, readFileSync(config, 'utf8').replace('[45s]', '[1m]'));
    const result = await runCli(['validate', '--config', config], { env: { PATH: gcloud.pathEnv().PATH } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
