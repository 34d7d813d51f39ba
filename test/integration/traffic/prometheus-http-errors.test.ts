/**
 * Error classification of the Prometheus provider against a loopback HTTP server
 * that answers the way Prometheus and the proxies in front of it do (401 from an
 * auth proxy, 503 timeout bodies, HTML error pages, hanging connections), plus
 * the bearer token file: sent as a header, never in a message.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/core/redact.js';
import { MetricQueryError } from '../../../src/traffic/providers/provider.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';

type Reply = { status: number; body: string; delayMs?: number };

describe('prometheus provider over HTTP', () => {
  let server: Server;
  let url: string;
  let dir: string;
  let reply: Reply = { status: 200, body: '' };
  const seen: Array<{ path: string; auth?: string; body: string; org?: string }> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsd-prom-http-'));
    server = createServer(async (req: IncomingMessage, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      seen.push({ path: req.url ?? '', auth: req.headers.authorization, body, org: req.headers['x-scope-orgid'] as string | undefined });
      const r = reply;
      setTimeout(() => res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body), r.delayMs ?? 0);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prom`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  async function kindOf(provider: PrometheusProvider, r: Reply): Promise<MetricQueryError> {
    reply = r;
    try {
      await provider.instant('up');
    } catch (error) {
      if (error instanceof MetricQueryError) return error;
      throw error;
    }
    throw new Error('expected the query to fail');
  }

  it('parses vectors, matrices, scalars and special values, and posts the query under the base path', async () => {
    const p = new PrometheusProvider({ url, timeoutMs: 2_000, headers: { 'X-Scope-OrgID': 'team-a' } });
    reply = { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { c: 'a' }, value: [10, 'NaN'] }, { metric: {}, value: [10, '+Inf'] }] } }) };
    const v = await p.instant('up', { time: new Date(10_000) });
    expect(v[0]?.labels).toEqual({ c: 'a' });
    expect(v[0]?.points[0]?.[1]).toBeNaN();
    expect(v[1]?.points[0]).toEqual([10, Number.POSITIVE_INFINITY]);
    expect(seen.at(-1)).toMatchObject({ path: '/prom/api/v1/query', org: 'team-a' });
    expect(new URLSearchParams(seen.at(-1)?.body).get('time')).toBe('10');
    reply = { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, '1'], [2, '2.5']] }] } }) };
    const m = await p.range('up', { start: new Date(1_000), end: new Date(2_000), stepMs: 1_000 });
    expect(m[0]?.points).toEqual([[1, 1], [2, 2.5]]);
    expect(Object.fromEntries(new URLSearchParams(seen.at(-1)?.body))).toMatchObject({ start: '1', end: '2', step: '1', timeout: '2s' });
    reply = { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [3, '7'] } }) };
    expect((await p.instant('7'))[0]?.points).toEqual([[3, 7]]);
  });

  it('classifies auth, bad query, server, timeout and malformed answers', async () => {
    const p = new PrometheusProvider({ url, timeoutMs: 500 });
    expect((await kindOf(p, { status: 401, body: 'no' })).kind).toBe('auth');
    const bad = await kindOf(p, { status: 400, body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' }) });
    expect(bad.kind).toBe('bad-query');
    expect(bad.message).toMatch(/rejected the query \(HTTP 400: bad_data: parse error at char 5\); fix the query/);
    expect(bad.code).toBe('MetricsUnavailable');
    expect((await kindOf(p, { status: 503, body: JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out' }) })).kind).toBe('timeout');
    expect((await kindOf(p, { status: 502, body: '<html>bad gateway</html>' })).kind).toBe('server');
    expect((await kindOf(p, { status: 200, body: '<html>login</html>' })).kind).toBe('bad-response');
    // Valid PromQL of the wrong type is the query's fault, not the pipeline's.
    expect((await kindOf(p, { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'string', result: [1, 'x'] } }) })).kind).toBe('bad-query');
    const raw = await kindOf(p, { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, '4000'], [2, '4010']] }] } }) });
    expect(raw.kind).toBe('bad-query');
    expect(raw.message).toMatch(/answered a range vector \(matrix\) to the gate query up: it selects raw samples; wrap the selector/);
    expect((await kindOf(p, { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'streams', result: [] } }) })).kind).toBe('bad-response');
    const slow = await kindOf(p, { status: 200, body: '{}', delayMs: 2_000 });
    expect(slow.kind).toBe('timeout');
    expect(slow.transient).toBe(true);
  });

  it('reports our own abort as aborted, not as a metrics failure', async () => {
    const p = new PrometheusProvider({ url, timeoutMs: 5_000 });
    reply = { status: 200, body: '{}', delayMs: 1_000 };
    const abort = new AbortController();
    const pending = p.instant('up', { signal: abort.signal });
    abort.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('sends the bearer token from its file and never shows it', async () => {
    const token = 'tok-1234567890-secret';
    const file = join(dir, 'token');
    await writeFile(file, `${token}\n`);
    const redactor = new Redactor();
    const p = new PrometheusProvider({ url: url.replace('http://', 'http://user:pw@'), timeoutMs: 2_000, bearerTokenFile: file, redactor });
    expect(p.description).not.toMatch(/user|pw/);
    const error = await kindOf(p, { status: 403, body: token });
    expect(seen.at(-1)?.auth).toBe(`Bearer ${token}`);
    expect(error.message).not.toContain(token);
    expect(JSON.stringify(error.details)).not.toContain(token);
    expect(redactor.redact(`got ${token}`)).toBe('got [REDACTED]');
    const basic = new PrometheusProvider({ url: url.replace('http://', 'http://user:pw-secret@'), timeoutMs: 2_000 });
    reply = { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }) };
    expect(await basic.instant('up')).toEqual([]);
    expect(seen.at(-1)?.auth).toBe(`Basic ${Buffer.from('user:pw-secret').toString('base64')}`);
    expect(basic.description).toBe(`prometheus ${url}`);
    const missing = new PrometheusProvider({ url, timeoutMs: 2_000, bearerTokenFile: join(dir, 'nope') });
    const e = await kindOf(missing, { status: 200, body: '{}' });
    expect(e.kind).toBe('auth');
    expect(e.message).toMatch(/cannot read bearer token file .*nope \(ENOENT\)/);
  });

  it('keeps a key in the query string of the url out of its description and sends it', async () => {
    const redactor = new Redactor();
    const p = new PrometheusProvider({ url: `${url}/?key=gw-key-8a7b6c5d&tenant=team-a1`, timeoutMs: 2_000, redactor });
    expect(p.description).toBe(`prometheus ${url}/?***`);
    const error = await kindOf(p, { status: 401, body: '' });
    expect(error.message).not.toContain('gw-key-8a7b6c5d');
    expect(seen.at(-1)?.path).toBe('/prom/api/v1/query?key=gw-key-8a7b6c5d&tenant=team-a1');
    expect(redactor.redact('source prometheus http://h/?key=gw-key-8a7b6c5d')).not.toContain('gw-key-8a7b6c5d');
  });
});
