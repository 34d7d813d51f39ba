/**
 * Exports the deployment's trace (see `trace-mapping.ts`) over OTLP/HTTP (JSON)
 * with the official OpenTelemetry JS SDK. Loaded with `import()` only when an
 * endpoint is set, so a run without one pays nothing. Spans carry the journal's
 * times; every string attribute passes the run's redactor first. A collector
 * that is down costs one warning: export errors never reach the deployment.
 */
import { context, trace, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { EventSink } from '../core/events.js';
import type { Redactor } from '../core/redact.js';
import type { JournalRecord } from '../state/model.js';
import type { DeploymentJournal } from '../state/store.js';
import { TraceMapping, type Attributes, type SpanOp } from './trace-mapping.js';

interface OtlpTracerOptions {
  /** The collector's base URL (`/v1/traces` is appended) or the full traces URL. */
  endpoint: string;
  redactor: Redactor;
  sink: EventSink;
  /** Per export request. */
  exportTimeoutMs?: number;
}

/**
 * The traces URL for an endpoint given as OTEL_EXPORTER_OTLP_ENDPOINT is: a base URL whose PATH gets `/v1/traces`
 * (the spec's rule), its query string kept: `http://h/?token=X` → `http://h/v1/traces?token=X`, not
 * `http://h/?token=X/v1/traces`, where the collector sees another token and a 404 path and the trace is lost.
 */
export function tracesUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    // Not a URL (the option parser refuses those): appended as text, for the exporter to report.
    const trimmed = endpoint.replace(/\/+$/, '');
    return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`;
  }
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/v1/traces') ? path : `${path}/v1/traces`;
  url.hash = '';
  return url.href;
}

/**
 * A URL as messages show it: without `user:password@`. The exporter sends those as basic auth, and a token
 * is often the user alone (`https://TOKEN@host`), which no URL pattern can tell from a plain name.
 */
function withoutUserinfo(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return url;
  }
}

export class OtlpTracer {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly spans = new Map<string, Span>();
  private mapping?: TraceMapping;
  private announced = false;

  constructor(private readonly options: OtlpTracerOptions) {
    const exporter = new OTLPTraceExporter({ url: tracesUrl(options.endpoint), timeoutMillis: options.exportTimeoutMs ?? 5_000 });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'ws-deployment' }),
      spanProcessors: [new BatchSpanProcessor(exporter, { exportTimeoutMillis: options.exportTimeoutMs ?? 5_000 })],
    });
    this.tracer = this.provider.getTracer('ws-deployment');
  }

  /** The journal observer: must return at once (spans are batched and exported in the background). */
  observe(record: JournalRecord, journal: DeploymentJournal): void {
    try {
      this.mapping ??= new TraceMapping(journal.id);
      for (const op of this.mapping.map(record)) this.apply(op);
    } catch (error) {
      // A bug in tracing must never cost the deployment.
      this.options.sink.emit({ level: 'warn', code: 'trace.failed', message: `tracing stopped: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  private apply(op: SpanOp): void {
    const time = new Date(op.time);
    if (op.op === 'start') {
      const parent = op.parent ? this.spans.get(op.parent) : undefined;
      const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
      const span = this.tracer.startSpan(this.options.redactor.redact(op.name), { startTime: time, attributes: this.redacted(op.attributes), root: !parent }, ctx);
      this.spans.set(op.key, span);
      if (!parent && !this.announced) {
        this.announced = true;
        this.options.sink.emit({ level: 'info', code: 'trace.started', message: `exporting the trace ${span.spanContext().traceId} to ${this.options.redactor.redact(withoutUserinfo(tracesUrl(this.options.endpoint)))}`, data: { traceId: span.spanContext().traceId } });
      }
      return;
    }
    const span = this.spans.get(op.key);
    if (!span) return;
    if (op.op === 'event') {
      span.addEvent(op.name, this.redacted(op.attributes), time);
      return;
    }
    if (op.error) span.setStatus({ code: SpanStatusCode.ERROR, message: this.options.redactor.redact(op.error) });
    else span.setStatus({ code: SpanStatusCode.OK });
    span.end(time);
    this.spans.delete(op.key);
  }

  private redacted(attributes: Attributes): Attributes {
    const out: Attributes = {};
    for (const [key, value] of Object.entries(attributes)) {
      out[key] = typeof value === 'string' ? this.options.redactor.redact(value) : Array.isArray(value) ? (value.map((v) => (typeof v === 'string' ? this.options.redactor.redact(v) : v)) as AttributesArray) : value;
    }
    return out;
  }

  /**
   * Ends what is still open (a run cut short has no `deployment.finished`), then
   * exports what is left, waiting at most `timeoutMs`; a failure is a warning.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    const now = new Date();
    for (const span of [...this.spans.values()].reverse()) span.end(now);
    this.spans.clear();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    try {
      const outcome = await Promise.race([this.provider.forceFlush().then(() => 'flushed' as const), timeout]);
      if (outcome === 'timeout') this.warn(`the trace collector did not answer within ${Math.round(timeoutMs / 1000)} s; spans may be missing`);
    } catch (error) {
      this.warn(`could not export the trace: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
      // shutdown flushes again: bounded the same way, and its outcome no longer matters.
      void Promise.race([this.provider.shutdown().catch(() => undefined), timeout]);
    }
  }

  private warn(message: string): void {
    this.options.sink.emit({ level: 'warn', code: 'trace.export-failed', message: this.options.redactor.redact(message) });
  }
}

type AttributesArray = string[] | number[];
