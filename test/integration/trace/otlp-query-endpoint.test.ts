/**
 * `--otlp-endpoint http://h/?token=X`: the real exporter posts to `/v1/traces?token=X` (the path gets
 * `/v1/traces`, the query string is kept), so the collector receives the spans; the token shows in no
 * message (the redactor gets each query value from urlSecrets, as the run does).
 * Credentials in the URL go to the collector as basic auth and into no message (a token may be the user alone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urlSecrets } from '../../../src/cli/commands/observers.js';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import type { JournalRecord } from '../../../src/state/model.js';
import type { DeploymentJournal } from '../../../src/state/store.js';
import { OtlpTracer } from '../../../src/trace/otlp-tracer.js';
import { startOtlpReceiver, type OtlpReceiver } from '../../helpers/otlp-receiver.js';

const TOKEN = 'otlp-Q-T0KEN-5e4d3c2b1a';
const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());

describe('an OTLP endpoint with a query string', () => {
  it('exports to <path>/v1/traces?<query> and keeps the token out of every message', async () => {
    const endpoint = `${receiver.url}/?token=${TOKEN}`;
    const redactor = new Redactor().add(...urlSecrets(endpoint));
    const sink = new MemorySink();
    const tracer = new OtlpTracer({ endpoint, redactor, sink, exportTimeoutMs: 10_000 });
    const journal = { id: 'd1' } as DeploymentJournal;
    const records = [
      { seq: 1, time: at(0), type: 'deployment.created', id: 'd1', inputs: { configFile: 'f', configHash: 'h', project: 'p', environment: 'dev' }, clusterId: 201, clusters: [{ name: 'c2' }], steps: [['create-cluster']], deploymentSteps: [] },
      { seq: 2, time: at(1), type: 'deployment.finished', state: 'succeeded' },
    ] as unknown as JournalRecord[];
    for (const record of records) tracer.observe(record, journal);
    await tracer.shutdown(10_000);

    expect(receiver.paths.length).toBeGreaterThan(0);
    expect(receiver.paths.every((p) => p === `/v1/traces?token=${TOKEN}`)).toBe(true);
    expect(receiver.spans.map((s) => s.name)).toContain('deployment d1');
    const said = JSON.stringify(sink.events);
    expect(said).toContain('exporting the trace');
    expect(said).not.toContain(TOKEN);
  });

  it('sends credentials in the URL as basic auth and shows them in no message, a token as the user alone too', async () => {
    for (const [username, password] of [['otlp-U-T0KEN-9f8e7d6c', ''], ['ops', 'otlp-P@SS-w0rd/7a6b']] as const) {
      const endpoint = new URL(receiver.url);
      endpoint.username = username;
      endpoint.password = password;
      const redactor = new Redactor().add(...urlSecrets(endpoint.href));
      const sink = new MemorySink();
      const before = receiver.raw.length;
      const tracer = new OtlpTracer({ endpoint: endpoint.href, redactor, sink, exportTimeoutMs: 10_000 });
      const journal = { id: 'd2' } as DeploymentJournal;
      tracer.observe({ seq: 1, time: at(0), type: 'deployment.created', id: 'd2', inputs: { configFile: 'f', configHash: 'h', project: 'p', environment: 'dev' }, clusterId: 202, clusters: [{ name: 'c2' }], steps: [['create-cluster']], deploymentSteps: [] } as unknown as JournalRecord, journal);
      tracer.observe({ seq: 2, time: at(1), type: 'deployment.finished', state: 'succeeded' } as unknown as JournalRecord, journal);
      await tracer.shutdown(10_000);
      expect(receiver.raw.length).toBeGreaterThan(before);
      const said = JSON.stringify(sink.events);
      expect(said).toContain('exporting the trace');
      for (const secret of [username, password].filter((s: string) => s.length > 3)) {
        expect(said).not.toContain(secret);
        expect(said).not.toContain(encodeURIComponent(secret));
      }
    }
  });
});
