/** The OTLP endpoint: checked before a run, and read the way OTEL_EXPORTER_OTLP_ENDPOINT is (a base URL). */
import { describe, expect, it } from 'vitest';
import { otlpEndpointProblem } from '../../../src/cli/options.js';
import { tracesUrl } from '../../../src/trace/otlp-tracer.js';

describe('OTLP endpoint', () => {
  it('takes http(s) URLs only, naming the source and an example', () => {
    expect(otlpEndpointProblem('http://127.0.0.1:4318')).toBeUndefined();
    expect(otlpEndpointProblem('https://otel.example.com/base')).toBeUndefined();
    expect(otlpEndpointProblem('localhost:4318', 'OTEL_EXPORTER_OTLP_ENDPOINT')).toBe('OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL of an OTLP/HTTP collector such as http://localhost:4318, got "localhost:4318"');
    expect(otlpEndpointProblem('grpc://x:4317')).toMatch(/^--otlp-endpoint must be an http\(s\) URL/);
  });

  it('appends /v1/traces to a base URL, once', () => {
    expect(tracesUrl('http://h:4318')).toBe('http://h:4318/v1/traces');
    expect(tracesUrl('http://h:4318/')).toBe('http://h:4318/v1/traces');
    expect(tracesUrl('http://h:4318/otlp/v1/traces')).toBe('http://h:4318/otlp/v1/traces');
  });

  it('appends /v1/traces to the path and keeps the query string (a token), never after it', () => {
    expect(tracesUrl('http://h/?token=X')).toBe('http://h/v1/traces?token=X');
    expect(tracesUrl('http://h:4318/otlp/?token=X&tenant=a')).toBe('http://h:4318/otlp/v1/traces?token=X&tenant=a');
    expect(tracesUrl('http://h:4318/otlp/v1/traces?token=X')).toBe('http://h:4318/otlp/v1/traces?token=X');
  });
});
