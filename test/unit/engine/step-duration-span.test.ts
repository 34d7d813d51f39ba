/**
 * A step's DURATION (summary, `status`) and its trace span say the same thing: for the journal a real engine
 * run writes (fake steps whose pre-run checks take time, one retried, one refused by its check, one failing),
 * each step span lasts exactly the journaled durationMs, starts where the run of the step began (its pre-run
 * check included, as a child span of its own), and the summary's DURATION column shows that duration.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { WsdError } from '../../../src/core/errors.js';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { startDeployment } from '../../../src/engine/deployment.js';
import { renderSummary } from '../../../src/report/summary.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { findStep } from '../../../src/state/model.js';
import type { Step, StepName } from '../../../src/steps/step.js';
import { TraceMapping, type SpanOp } from '../../../src/trace/trace-mapping.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Returns once the clock has moved on by `ms` (how long is not assumed: only that it passed). */
async function clockMoves(ms: number): Promise<void> {
  const from = Date.now();
  while (Date.now() - from < ms) await new Promise((r) => setTimeout(r, ms));
}

const step = (name: StepName, extra: Partial<Step>): Step => ({ name, applies: () => true, describe: () => [], run: async () => ({}), retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 1 }, ...extra });
const slowCheck = async () => (await clockMoves(30), { action: 'proceed' as const });

describe('step DURATION and the trace span agree', () => {
  it('for the same journal, each step span lasts its journaled duration, from the start of its pre-run check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsd-span-'));
    dirs.push(dir);
    const file = join(dir, 'c.yaml');
    const text = `version: v1
environment: development
project: { id: span-test, network: n, dnsZone: example.test }
metaClusters: [{ name: meta-eu01, region: europe-west1 }]
workspaceClusters:
  - { region: europe-west1, prefix: eu, governedBy: meta-eu01, type: sandbox }
  - { region: us-west1, prefix: us, governedBy: meta-eu01, type: sandbox }
`;
    writeFileSync(file, text);
    const store = new FileStateStore(join(dir, 'state'));
    let tries = 0;
    const steps = [
      step('create-cluster', {
        check: slowCheck,
        // The first attempt fails transiently (retried), on the eu cluster only.
        run: async (ctx) => {
          if (ctx.cluster.shortName.startsWith('eu') && tries++ === 0) throw new WsdError('ToolFailed', '503', { transient: true });
          await clockMoves(10);
          return {};
        },
      }),
      step('install-gitpod', {
        // Refused on us by its check (no attempt ever starts), run on eu.
        check: async (ctx) => (await clockMoves(20), ctx.cluster.shortName.startsWith('us') ? { action: 'refuse' as const, reason: 'no' } : { action: 'proceed' as const }),
      }),
      step('alive-test', { check: slowCheck, run: async () => (await clockMoves(5), Promise.reject(new WsdError('AliveTestFailed', 'dead'))) }),
    ];
    const snap = await startDeployment(parseConfig(text, file), { dryRun: false, overwrite: false, yes: false, verbose: false, failFast: false, clusterId: 140 }, {
      store,
      sink: new MemorySink(),
      signal: new AbortController().signal,
      redactor: new Redactor(),
      steps,
      probe: async () => ({ exists: false }),
      sleep: async () => undefined,
    });

    const mapping = new TraceMapping(snap.id);
    const ops: SpanOp[] = (await store.readRecords(snap.id)).flatMap((r) => mapping.map(r));
    const spans = new Map<string, { name: string; parent?: string; start: number; end?: number }>();
    for (const op of ops) {
      if (op.op === 'start') spans.set(op.key, { name: op.name, parent: op.parent, start: Date.parse(op.time) });
      if (op.op === 'end') spans.get(op.key)!.end = Date.parse(op.time);
    }
    const summary = renderSummary(snap);
    let compared = 0;
    for (const c of snap.clusters) {
      for (const s of c.steps) {
        if (s.durationMs === undefined) continue;
        const span = spans.get(`step:${c.name}/${s.name}`)!;
        expect(span.end! - span.start, `${c.name}/${s.name}`).toBe(s.durationMs);
        // The pre-run check is inside the span, as a child that starts with it.
        const check = spans.get(`check:${c.name}/${s.name}`)!;
        expect(check).toMatchObject({ parent: `step:${c.name}/${s.name}`, start: span.start });
        expect(check.end! - check.start).toBeGreaterThanOrEqual(20);
        // Every attempt lies within the step's span.
        for (const [key, a] of spans) if (key.startsWith(`attempt:${c.name}/${s.name}#`)) expect(a.start >= span.start && a.end! <= span.end!, key).toBe(true);
        // The summary's DURATION shows that same duration.
        const shown = s.durationMs < 10_000 ? `${(s.durationMs / 1000).toFixed(1)}s` : `${Math.round(s.durationMs / 1000)}s`;
        expect(summary.split('\n').find((l) => l.startsWith(c.name) && l.includes(` ${s.name} `))).toContain(` ${shown} `);
        compared++;
      }
    }
    // succeeded, retried, refused by its check, failed: all compared.
    expect(findStep(snap, 'gp-dev-ws-us140-us-west1', 'install-gitpod')).toMatchObject({ state: 'failed', attempts: 0 });
    expect(findStep(snap, 'gp-dev-ws-eu140-eu-west1', 'create-cluster')).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(compared).toBe(5);
  });
});
