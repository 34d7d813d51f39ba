/**
 * A local OTLP/HTTP trace receiver on 127.0.0.1, written from the OTLP
 * specification's JSON encoding (ExportTraceServiceRequest: resourceSpans >
 * scopeSpans > spans; ids as hex strings; attributes as key + AnyValue), not
 * from the exporter. Answers 200 with an empty ExportTraceServiceResponse.
 * Every request body is kept raw too, so a test can look for a secret in it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AttrValue = string | number | boolean | AttrValue[] | undefined;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startNs: bigint;
  endNs: bigint;
  status?: { code?: number; message?: string };
  attributes: Record<string, AttrValue>;
  events: Array<{ name: string; attributes: Record<string, AttrValue> }>;
  service?: AttrValue;
}

interface AnyValue { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } }
interface KeyValue { key: string; value: AnyValue }

function decodeValue(v: AnyValue): AttrValue {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(decodeValue);
  return undefined;
}

const decodeAttributes = (list: KeyValue[] | undefined): Record<string, AttrValue> => Object.fromEntries((list ?? []).map((kv) => [kv.key, decodeValue(kv.value)]));

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  raw: string[];
  paths: string[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const raw: string[] = [];
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      raw.push(body);
      paths.push(req.url ?? '');
      if (req.method !== 'POST' || !new URL(req.url ?? '/', 'http://receiver').pathname.endsWith('/v1/traces') || !/json/.test(req.headers['content-type'] ?? '')) {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }
      const request = JSON.parse(body) as { resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }; scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }> };
      for (const rs of request.resourceSpans ?? []) {
        const service = decodeAttributes(rs.resource?.attributes)['service.name'];
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: String(s.traceId),
              spanId: String(s.spanId),
              ...(s.parentSpanId ? { parentSpanId: String(s.parentSpanId) } : {}),
              name: String(s.name),
              startNs: BigInt(String(s.startTimeUnixNano)),
              endNs: BigInt(String(s.endTimeUnixNano)),
              status: s.status as ReceivedSpan['status'],
              attributes: decodeAttributes(s.attributes as KeyValue[]),
              events: ((s.events as Array<{ name: string; attributes?: KeyValue[] }>) ?? []).map((e) => ({ name: e.name, attributes: decodeAttributes(e.attributes) })),
              service,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    raw,
    paths,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
