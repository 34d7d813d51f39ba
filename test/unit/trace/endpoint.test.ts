/** The OTLP endpoint: checked before a run, and read the way OTEL_EXPORTER_OTLP_ENDPOINT is (a base URL). */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { otlpEndpointProblem } from '../../../src/cli/options.js';
import { tracesUrl } from '../../../src/trace/otlp-tracer.js';
import { runCli } from '../../helpers/cli.js';

const SANDBOX = fileURLToPath(new URL('../../../examples/sandbox.yaml', import.meta.url));

describe('OTLP endpoint', () => {
  it('takes http(s) URLs only, naming the source and an example', () => {
    expect(otlpEndpointProblem('http://127.0.0.1:4318')).toBeUndefined();
    expect(otlpEndpointProblem('https://otel.example.com/base')).toBeUndefined();
    expect(otlpEndpointProblem('localhost:4318', 'OTEL_EXPORTER_OTLP_ENDPOINT')).toBe(
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL of an OTLP/HTTP collector such as http://localhost:4318, got a value without http:// or https:// in front (not shown: it may hold a token)',
    );
    expect(otlpEndpointProblem('grpc://x:4317')).toMatch(/^--otlp-endpoint must be an http\(s\) URL .*, got a grpc:\/\/ URL /);
  });

  it('never repeats a refused endpoint, on the command line or from the environment (it may hold a token)', async () => {
    const tokens = ['SecretPathTok123', 'SecretPw_77', 'HoneySecret99'];
    const endpoints = ['otel.example.com/tenant/SecretPathTok123', 'user:SecretPw_77@otel.example.com:4318', 'grpc://otel:4317/?x-honeycomb-team=HoneySecret99'];
    for (const endpoint of endpoints) {
      // A valid config, so the environment's endpoint is checked (before anything runs: the state dir is never made).
      const common = ['deploy', '--config', SANDBOX, '--state-dir', join(tmpdir(), `wsd-endpoint-${process.pid}-never-made`)];
      const runs: Array<[() => ReturnType<typeof runCli>, RegExp]> = [
        [() => runCli([...common, '--otlp-endpoint', endpoint]), /--otlp-endpoint must be an http\(s\) URL/],
        // The variable alone is named (a bad flag never gets this far), with the way out.
        [() => runCli(common, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } }), /error: OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL .*; correct or unset it, or give --otlp-endpoint/],
      ];
      for (const [run, said] of runs) {
        const r = await run();
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(said);
        for (const token of tokens) expect(r.stdout + r.stderr).not.toContain(token);
      }
    }
  }, 60_000);

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
