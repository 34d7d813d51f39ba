/**
 * A registered secret is redacted in every form tools and our own outputs show it in (JSON-, HTML-, URL-,
 * base64-encoded, shell- and YAML-quoted), embedded in other text, by every output path: the redactor, the
 * NDJSON log, the journal's event records, the HTML report, webhook payloads and trace attributes. Forms are
 * made with the real encoders where there is one (JSON.stringify, the yaml library, URL, Buffer), not with
 * the redactor's own list; secrets carry `"\<>&'`, newlines and non-ASCII, and some contain others.
 */
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { redactedSink } from '../../../src/cli/runtime.js';
import { JsonRenderer } from '../../../src/cli/render/line-renderer.js';
import { MemorySink } from '../../../src/core/events.js';
import { bareCommands } from '../../../src/core/next-command.js';
import { REDACTED, Redactor } from '../../../src/core/redact.js';
import { journalingSink } from '../../../src/engine/journaled-events.js';
import { notificationsSchema } from '../../../src/notify/config.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { buildReportModel } from '../../../src/report/html/report-model.js';
import { renderReportHtml } from '../../../src/report/html/render-report.js';
import { esc } from '../../../src/report/html/svg.js';
import type { JournalRecord } from '../../../src/state/model.js';
import type { DeploymentJournal } from '../../../src/state/store.js';
import { OtlpTracer } from '../../../src/trace/otlp-tracer.js';
import { startOtlpReceiver, type OtlpReceiver } from '../../helpers/otlp-receiver.js';

const bytes = (s: string): number => Buffer.byteLength(s);
const jsonInner = (s: string): string => JSON.stringify(s).slice(1, -1);
const u = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
/** As Go's encoding/json writes a string (HTML-safe: <>& escaped, and U+2028/U+2029). */
const goJson = (s: string): string => jsonInner(s).replace(/[<>&\u2028\u2029]/g, u);

/** Each form as a line a tool or one of our outputs would print (its surrounding text included). */
function shownForms(secret: string): string[] {
  const userinfo = new URL('https://host.example/v1');
  userinfo.username = 'ops';
  userinfo.password = secret;
  const lines = [
    `Error: invalid value ${secret} for variable`,
    `{"diagnostic":{"summary":"bad value \\"${jsonInner(secret)}\\""}}`, // terraform -json (JavaScript's escaping)
    `{"message":"secret \\"${goJson(secret)}\\" is invalid"}`, // a Kubernetes API error (Go's encoding/json)
    `{"msg":"${jsonInner(secret).replace(/[\u0080-\uffff]/g, u)}"}`, // ASCII-only JSON (Python's json.dumps)
    `<td>${esc(secret)}</td>`,
    `GET ${userinfo.href} failed`,
    `GET https://host.example/api?token=x&key=${encodeURIComponent(secret)}&b=1`,
    `POST body q=${new URLSearchParams({ v: secret }).toString().slice(2)}&z=1`,
    `data:\n  password: ${Buffer.from(secret).toString('base64')}`,
    `exec: helm upgrade --set 'password=${secret.replace(/'/g, `'\\''`)}' release`,
  ];
  // YAML may fold a multi-line scalar across indented lines; the long lines of such a secret are registered each.
  const yamlDouble = stringify({ password: secret }, { defaultStringType: 'QUOTE_DOUBLE', lineWidth: 0 }).trim();
  if (!yamlDouble.includes('\n')) lines.push(`Error: YAML parse error on line 3: ${yamlDouble}`);
  // Shorter secrets have too few base64 characters of their own at an odd offset (documented in secret-forms.ts).
  if (bytes(secret) >= 8) lines.push(`Authorization: Basic ${Buffer.from(`ops:${secret}`).toString('base64')}`, `Authorization: Basic ${Buffer.from(`deploy:${secret}`).toString('base64')}`);
  // Single-quoted YAML folds a newline into an indented blank line; such a secret's long lines are registered each.
  if (!secret.includes('\n')) lines.push(`Error: line 3: ${stringify({ password: secret }, { defaultStringType: 'QUOTE_SINGLE', lineWidth: 0 }).trim()}`);
  return lines;
}

/** The texts a leak would show as: each encoded form alone (no surrounding text). */
function leakForms(secret: string): string[] {
  const url = new URL('https://h/');
  url.password = secret;
  return [
    secret,
    jsonInner(secret),
    goJson(secret),
    jsonInner(secret).replace(/[\u0080-\uffff]/g, u),
    esc(secret),
    url.password,
    encodeURIComponent(secret),
    new URLSearchParams({ v: secret }).toString().slice(2),
    Buffer.from(secret).toString('base64'),
    secret.replace(/'/g, `'\\''`),
    ...[stringify(secret, { defaultStringType: 'QUOTE_DOUBLE', lineWidth: 0 }).trim()].filter((q) => !q.includes('\n')).map((q) => q.slice(1, -1)),
    ...(secret.includes('\n') ? [] : [secret.replace(/'/g, "''")]),
  ];
}

/** A secret whose bytes a base64 run in `text` decodes to, at any of the four character offsets. */
function base64Leak(text: string, secret: string): boolean {
  const wanted = Buffer.from(secret);
  for (const [run] of text.matchAll(/[A-Za-z0-9+/]{8,}={0,2}/g)) {
    for (let drop = 0; drop < 4; drop++) if (Buffer.from(run.slice(drop), 'base64').includes(wanted)) return true;
  }
  return false;
}

// Awkward characters weighted up: quotes, escapes, markup, URL and base64 specials, a newline, non-ASCII (one astral).
const char = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...'abcXYZ019') }, { weight: 2, arbitrary: fc.constantFrom('"', '\\', '<', '>', '&', "'", '\n', ' ', '%', '+', '/', '=', '$', '`', 'é', 'ü', '\u2028', '😀', ':', '@') });
const secretText = fc.array(char, { minLength: 6, maxLength: 20 }).map((cs) => cs.join('')).filter((s) => s === s.trim() && !s.startsWith('\n'));
/** Some secrets contain others (a token inside a URL, a password inside a connection string). */
const secretSet = fc
  .tuple(fc.uniqueArray(secretText, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), secretText, secretText), { maxLength: 2 }))
  .map(([base, wraps]) => [...new Set([...base, ...wraps.map(([i, before, after]) => `${before}${base[i % base.length]}${after}`)])]);

interface OutputPath {
  name: string;
  /** What the path writes for `text` with these secrets registered. */
  run(redactor: Redactor, text: string): Promise<string>;
  /** How the path itself encodes text it carries (a leak may show in this form too). */
  encode(text: string): string;
  runs: number;
}

const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const created = { seq: 1, time: at(0), type: 'deployment.created', id: 'd1', inputs: { configFile: 'f', configHash: 'h', project: 'p', environment: 'dev' }, clusterId: 201, clusters: [{ index: 0, name: 'c1', shortName: 'c1', id: 201, region: 'r', prefix: 'c', governedBy: 'meta', type: 'sandbox' }], steps: [['create-cluster']], deploymentSteps: [] };
/** The deployment's end as the engine journals it: the failed step's message, redacted by the step runner. */
const finished = (redactor: Redactor, text: string): unknown => ({ seq: 2, time: at(5), type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: `c1 create-cluster: ${redactor.redact(text)}` } });

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver?.close());

const PATHS: OutputPath[] = [
  { name: 'the redactor', runs: 150, encode: (t) => t, run: async (r, text) => r.redact(text) },
  {
    name: 'the NDJSON log (--json-log)',
    runs: 60,
    encode: jsonInner,
    run: async (r, text) => {
      const out = new PassThrough();
      let written = '';
      out.on('data', (d: Buffer) => (written += d.toString()));
      redactedSink(new JsonRenderer(out, true), r, bareCommands).emit({ level: 'info', code: 'tool.output', message: text, data: { line: text, argv: ['helm', text] } });
      return written;
    },
  },
  {
    name: "the journal's event records",
    runs: 60,
    encode: jsonInner,
    run: async (r, text) => {
      const appended: unknown[] = [];
      const journal = { id: 'd1', append: async (rec: unknown) => void appended.push(rec) } as unknown as DeploymentJournal;
      const j = journalingSink(new MemorySink(), journal, r);
      j.sink.emit({ level: 'info', code: 'traffic.gate', message: text, data: { message: text, nested: [{ detail: text }] } });
      await j.flush();
      return appended.map((rec) => JSON.stringify(rec)).join('\n');
    },
  },
  {
    name: 'the HTML report',
    runs: 60,
    encode: esc,
    run: async (r, text) => renderReportHtml(buildReportModel([created, finished(r, text)] as JournalRecord[], new Date(at(10)))),
  },
  {
    name: 'webhook payloads',
    runs: 40,
    encode: jsonInner,
    run: async (r, text) => {
      const bodies: string[] = [];
      const fetch = (async (_url: unknown, init?: RequestInit) => {
        bodies.push(String(init?.body));
        return new Response('ok');
      }) as typeof globalThis.fetch;
      const config = notificationsSchema.parse({ webhooks: ['json', 'slack', 'teams'].map((format) => ({ url: 'https://hooks.example/x', format, retries: 0 })) });
      const notifier = new Notifier(config, new MemorySink(), { fetch, sleep: async () => {}, now: () => 0 });
      const journal = { id: 'd1', append: async () => ({}), snapshot: () => ({ id: 'd1', state: 'failed', clusters: [], deploymentSteps: [] }) } as unknown as DeploymentJournal;
      // A failing decision as the step runner journals it (message and data redacted), then the failed end.
      notifier.observe({ seq: 2, time: at(3), type: 'event', level: 'warn', code: 'traffic.decision', message: r.redact(text), data: r.redactValue({ verdict: 'fail', rule: 'error-rate', message: text }) } as JournalRecord, journal);
      await notifier.drain(10_000);
      return bodies.join('\n');
    },
  },
  {
    name: 'trace attributes and statuses',
    runs: 12,
    encode: jsonInner,
    run: async (r, text) => {
      const before = receiver.raw.length;
      const tracer = new OtlpTracer({ endpoint: receiver.url, redactor: r, sink: new MemorySink(), exportTimeoutMs: 10_000 });
      const journal = { id: 'd1' } as DeploymentJournal;
      // The tracer reads the journal and redacts again: here it is handed the raw text, as if a record had missed it.
      const raw = { seq: 2, time: at(5), type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: text } };
      for (const record of [created, raw] as JournalRecord[]) tracer.observe(record, journal);
      await tracer.shutdown(10_000);
      return receiver.raw.slice(before).join('\n');
    },
  },
];

describe('a registered secret, in every encoded form, through every output path', () => {
  for (const path of PATHS) {
    it(`is redacted by ${path.name}`, async () => {
      await fc.assert(
        fc.asyncProperty(secretSet, async (secrets) => {
          const redactor = new Redactor().add(...secrets);
          const text = secrets.flatMap(shownForms).join('\n');
          const out = await path.run(redactor, text);
          // The path carried the text (a path that dropped it would pass vacuously).
          expect(out).toContain('for variable');
          // What the path writes with every secret already replaced: a form found there is no leak.
          const baseline = await path.run(new Redactor(), secrets.flatMap(shownForms).join('\n').split('\n').map(() => `x ${REDACTED} y`).join('\n'));
          for (const secret of secrets) {
            for (const form of leakForms(secret)) {
              for (const shown of new Set([form, path.encode(form)])) {
                if (shown.length < 6 || baseline.includes(shown)) continue;
                expect(out, `${path.name} shows ${JSON.stringify(secret)} as ${JSON.stringify(shown)}`).not.toContain(shown);
              }
            }
            if (bytes(secret) >= 8) expect(base64Leak(out, secret), `${path.name} shows ${JSON.stringify(secret)} base64-encoded`).toBe(false);
          }
        }),
        { numRuns: path.runs },
      );
    }, 120_000);
  }
});
