/**
 * A step's sub-phase from terraform's own `-json` stream (the apply and destroy
 * recorded from real terraform 1.11 in test/fixtures/recorded/), and the
 * throttle that keeps those progress events (journaled for `status --watch`)
 * to one a second per step, the last one always sent.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { progressReporter } from '../../../src/core/progress.js';
import { ApplyProgress } from '../../../src/tools/terraform/apply-progress.js';

interface Recorded {
  argv: string[];
  stdout: string;
}
const recorded = JSON.parse(readFileSync(new URL('../../fixtures/recorded/terraform-outputs.json', import.meta.url), 'utf8')) as { cases: { lifecycle: Recorded[] } };
const run = (first: string, second: string) => recorded.cases.lifecycle.find((r) => r.argv[0] === first && r.argv[1] === second) as Recorded;

describe('terraform apply progress', () => {
  it('counts planned changes and completed ones in a real apply stream', () => {
    const p = new ApplyProgress('apply');
    const texts = run('apply', '-input=false').stdout.split('\n').flatMap((l) => p.onLine(l) ?? []);
    // Real terraform announces both resources before it creates the first one.
    expect(texts).toEqual(['terraform apply 0/1 resources', 'terraform apply 0/2 resources', 'terraform apply 1/2 resources', 'terraform apply 2/2 resources']);
    expect(p.complete()).toBe(true);
  });

  it('counts a real destroy the same way, and ignores lines that are not its JSON', () => {
    const p = new ApplyProgress('destroy');
    const texts = ['not json', '{broken', ...run('apply', '-destroy').stdout.split('\n')].flatMap((l) => p.onLine(l) ?? []);
    expect(texts.at(-1)).toMatch(/^terraform destroy (\d+)\/\1 resources$/);
    expect(p.complete()).toBe(true);
  });
});

describe('progress throttle', () => {
  it('sends at most one report a second per step, never the same text twice, and always the final one', () => {
    const sink = new MemorySink();
    let now = 0;
    const r = progressReporter({ sink, cluster: 'c', step: 'create-cluster' }, { now: () => now });
    for (let i = 1; i <= 30; i++) {
      now = i * 100; // 30 changes in 3 s
      r.report(`terraform apply ${i}/31 resources`, { final: false });
    }
    now = 3_050;
    r.report('terraform apply 31/31 resources', { final: true });
    now = 9_000;
    r.report('terraform apply 31/31 resources', { final: true }); // the same text again: nothing new to say
    const sent = sink.events.map((e) => e.message);
    // At 0.1 s, 1.1 s and 2.1 s; 30/31 at 3.0 s is under a second after 2.1 s; the final one goes out regardless.
    expect(sent).toEqual(['terraform apply 1/31 resources', 'terraform apply 11/31 resources', 'terraform apply 21/31 resources', 'terraform apply 31/31 resources']);
    expect(sink.events.every((e) => e.code === 'step.progress' && e.cluster === 'c' && e.step === 'create-cluster' && e.level === 'debug')).toBe(true);
  });
});
