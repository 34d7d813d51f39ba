/**
 * A stage whose first measurement errors (Prometheus answers 503) or comes back partial (`warnings`) must
 * still count that interval's starts: the next good measurement reads the whole stretch since the stage's
 * first window began, not only the last interval. Against a real Prometheus (Debian's binary) scraping a
 * workspace exporter, behind a loopback proxy that spoils the answers of the first measurement only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { realClock } from '../../../src/traffic/clock.js';
import { trafficShiftSchema } from '../../../src/traffic/config.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { runShift } from '../../../src/traffic/shift-controller.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { FakeRegistry, MemoryJournal, QueueControl } from '../../unit/traffic/fake-shift-ports.js';
import { waitFor } from '../shift/harness.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { WorkspaceExporter } from './workspace-exporter.js';

const hasPrometheus = requireBinary('prometheus', 'the first window is counted against a real Prometheus');

const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const OLD = { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' };
const STARTS = 'gitpod_ws_manager_workspace_starts_total{cluster="{{shortName}}"}';
const FAILURES = 'gitpod_ws_manager_workspace_starts_failure_total{cluster="{{shortName}}"}';
const INTERVAL_S = 3;

type Spoil = 'error' | 'partial';

describe.skipIf(!hasPrometheus)('the first measurement of a stage fails: its interval is still counted (real prometheus)', () => {
  const exporter = new WorkspaceExporter();
  let prometheus: RunningPrometheus;
  let proxy: Server;
  let proxyUrl = '';
  /** How the proxy spoils the answers at the first evaluation time it sees; then it passes everything through. */
  let spoil: Spoil = 'error';
  let spoiledTime: string | undefined;

  beforeAll(async () => {
    exporter.set('eu17', { startsPerTick: 5, failureRatio: 0.02 });
    exporter.set('eu18', { startsPerTick: 5, failureRatio: 0.02 });
    prometheus = await startPrometheus([`127.0.0.1:${await exporter.start(100)}`], 20_000, 240_000);
    await waitFor('a few scrapes', async () => {
      const r = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('count_over_time(gitpod_ws_manager_workspace_starts_total[10s])')}`);
      const body = (await r.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result.length === 2 && body.data.result.every((s) => Number(s.value[1]) >= 4);
    }, 30_000);
    proxy = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const time = new URLSearchParams(body).get('time') ?? '';
      // A query without a time (the shift reading Prometheus' clock: evaluation-time.ts) belongs to no measurement.
      if (time !== '') spoiledTime ??= time;
      if (time === spoiledTime && spoil === 'error') {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'store unavailable' }));
        return;
      }
      const upstream = await fetch(`${prometheus.url}${req.url ?? ''}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      const answer = (await upstream.json()) as Record<string, unknown>;
      if (time === spoiledTime) answer.warnings = ['receive: store gateway eu-2 unavailable: partial response'];
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    proxy?.closeAllConnections();
    await new Promise((r) => proxy?.close(r));
    await prometheus?.stop();
    await exporter.stop();
  });

  it.each<[Spoil]>([['error'], ['partial']])('after a first measurement that is %s, the next reads the stage from its first window on', async (kind) => {
    spoil = kind;
    spoiledTime = undefined;
    const registry = new FakeRegistry();
    registry.add('meta-eu', { name: 'eu18', state: 'CORDONED', score: 0 }).add('meta-eu', { name: 'eu17', score: 100 });
    const journal = new MemoryJournal(registry.log);
    const config = trafficShiftSchema.parse({
      steps: [50, 100],
      interval: `${INTERVAL_S}s`,
      analysis: {
        provider: { type: 'prometheus', url: proxyUrl },
        metrics: [
          {
            name: 'start-failure-ratio',
            query: `sum(increase(${FAILURES}[{{interval}}])) / sum(increase(${STARTS}[{{interval}}]))`,
            samplesQuery: `sum(increase(${STARTS}[{{interval}}]))`,
            threshold: { max: 0.1 },
            minSamples: 5,
          },
        ],
        sampleDeadline: '30s',
      },
    });
    const provider = new PrometheusProvider({ url: proxyUrl, timeoutMs: 5_000 });
    const deps = { registry, metas: ['meta-eu'], provider, clock: realClock, journal, control: new QueueControl(), sink: new MemorySink(), pollMs: 100 };
    const result = await runShift(deps, { deploymentId: 'd1', config, newClusters: [NEW], oldClusters: [OLD] });
    expect(result.outcome).toBe('promoted');

    const [first, second] = journal.decisions;
    expect(first?.decisions[0]?.rule).toBe(kind === 'error' ? 'query-error' : 'query.partial');
    // The first good measurement reads from where the spoiled one began: about two intervals (the slots' timing jitters).
    const firstStart = Date.parse(first?.decisions[0]?.window?.start ?? '');
    expect(Date.parse(second?.decisions[0]?.window?.start ?? '')).toBe(firstStart);
    const secondEnd = Date.parse(second?.decisions[0]?.window?.end ?? '');
    expect(secondEnd - firstStart).toBeGreaterThan(1.5 * INTERVAL_S * 1000);
    // And counts its starts: well over what Prometheus reports for the last interval alone at that time.
    const lastInterval = await provider.instant(`sum(increase(${STARTS.replace('{{shortName}}', 'eu18')}[${INTERVAL_S}s]))`, { time: new Date(secondEnd) });
    const oneInterval = lastInterval[0]?.points[0]?.[1] ?? Number.NaN;
    const counted = second?.decisions[0]?.clusters?.find((c) => c.cluster === NEW.cluster)?.samples ?? 0;
    expect(oneInterval).toBeGreaterThan(0);
    expect(counted).toBeGreaterThan(1.5 * oneInterval);
  }, 120_000);
});
