/**
 * `report` in a real browser: four sandbox deployments (a first generation, a
 * promoted second generation, a rolled-back one, one whose alive test fails)
 * rendered from their journals and loaded in the system's Chromium. The page
 * loads offline without a console error, the timeline has one bar per step per
 * cluster that ran, the rollback marker stands where the journal says, and a
 * screenshot of each outcome is written under test-output/screenshots/.
 * The three later deployments each start from a copy of generation 1's state dir.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium } from '../helpers/browser.js';
import { REPO, runCli } from '../helpers/cli.js';
import { requireBinary } from '../helpers/require-binary.js';
import { shiftWorkspace } from '../helpers/shift-workspace.js';
import { QUICK_GATE } from '../helpers/sandbox-config.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');
const chromiumPath = findChromium();
const SHOTS = join(REPO, 'test-output', 'screenshots');

interface Record_ {
  type: string;
  cluster?: string;
  step?: string;
  time: string;
  outputs?: { progress?: { phase?: string } };
}

describe.skipIf(!hasTerraform || !chromiumPath)('HTML report in a real browser', () => {
  // The gate passes on its minSamples (QUICK_GATE): the pages do not depend on how much evidence a step waits for, and
  // at the example's confidence the promoted shift's step 1 alone held ~35 s (the three outcomes run side by side).
  const ws = shiftWorkspace({ times: { interval: '2s', bake: '2s', staff: '2s', confidence: QUICK_GATE }, edit: (text) => text.replace(/aliveTest:[\s\S]*?(?=\n\S)/, 'aliveTest:\n  timeoutSeconds: 2\n  pollIntervalSeconds: 0.2') });
  /** Each outcome's deployment id and the state dir holding it. */
  const runs: Record<string, { id: string; stateDir: string }> = {};
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

  // Generation 1 once; then the three outcomes, each in its own copy of that state dir, at the same time
  // (they share nothing but generation 1; the copy is what `cp -r` of a state dir gives, a tested property),
  // while the browser starts.
  beforeAll(async () => {
    await ws.deployGeneration(210);
    const outcome = async (name: string, args: string[], code: number, prepare?: (stateDir: string) => void): Promise<void> => {
      const stateDir = ws.copyState(`state-${name}`);
      prepare?.(stateDir);
      const run = await runCli(['deploy', ...ws.args(stateDir), ...args]);
      expect(run.code, `${name}: ${run.stderr}`).toBe(code);
      runs[name] = { id: await ws.newestId(stateDir), stateDir };
    };
    const failingHealth = (stateDir: string): void => {
      const health = join(stateDir, 'sandbox', 'health');
      mkdirSync(health, { recursive: true });
      writeFileSync(join(health, 'gp-dev-ws-eu213-eu-west1.json'), JSON.stringify({ healthy: false, reason: 'ws-manager crash-looping' }));
    };
    mkdirSync(SHOTS, { recursive: true });
    const launching = launchChromium(chromiumPath as string).then((b) => (browser = b));
    // allSettled: a failing one must not leave the others running while afterAll removes their dirs.
    const settled = await Promise.allSettled([
      outcome('promoted', ['--cluster-id', '211'], 0),
      outcome('rolled-back', ['--cluster-id', '212', '--inject-fault', 'eu212:0.9'], 1),
      outcome('failed', ['--cluster-id', '213'], 1, failingHealth),
      launching,
    ]);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    ws.cleanup();
  });

  for (const outcome of ['promoted', 'rolled-back', 'failed'] as const) {
    it(`renders the ${outcome} deployment offline with one bar per step per cluster`, async () => {
      const { id, stateDir } = runs[outcome]!;
      const file = join(ws.dir, `${outcome}.html`);
      const made = await runCli(['report', id, ...ws.args(stateDir), '--output', file]);
      expect(made.code).toBe(0);
      const page = await browser!.context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.route('**/*', (route) => {
        requests.push(route.request().url());
        return route.request().url().startsWith('file:') ? route.continue() : route.abort();
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 60_000 });
      expect(problems).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);

      const records = ws.journal<Record_>(id, stateDir);
      const ran = new Set(records.filter((r) => r.type === 'step.started' || r.type === 'step.skipped').map((r) => `${r.cluster}|${r.step}`));
      const bars = await page.$$eval('svg.gantt rect.bar', (els) => els.map((e) => `${e.getAttribute('data-lane')}|${e.getAttribute('data-step')}`));
      expect(bars.sort()).toEqual([...ran].sort());
      expect(new Set(bars).size).toBe(bars.length);

      const rollback = records.find((r) => r.type === 'step.checkpoint' && r.outputs?.progress?.phase === 'rolled-back');
      const markers = await page.$$eval('svg.gantt .rollback-marker', (els) => els.map((e) => ({ time: e.getAttribute('data-time'), x: Number(e.querySelector('line')?.getAttribute('x1')) })));
      if (outcome === 'rolled-back') {
        expect(markers.map((m) => m.time)).toEqual([rollback?.time]);
        // The marker stands inside the traffic-shift bar, where the shift rolled back.
        const bar = await page.$eval('svg.gantt rect.bar[data-step="traffic-shift"]', (e) => ({ x: Number(e.getAttribute('x')), w: Number(e.getAttribute('width')), state: e.getAttribute('data-state') }));
        expect(bar.state).toBe('failed');
        expect(markers[0]!.x).toBeGreaterThanOrEqual(bar.x);
        expect(markers[0]!.x).toBeLessThanOrEqual(bar.x + bar.w);
        expect(await page.locator('svg.gate[data-metric="start-failure-ratio"] path.decision.decisive').count()).toBeGreaterThan(0);
        expect(await page.locator('#registries').innerText()).toMatch(/eu212\s+CORDONED\s+0/);
      } else {
        expect(rollback).toBeUndefined();
        expect(markers).toEqual([]);
      }
      if (outcome === 'promoted') {
        expect(await page.locator('svg.traffic path.score').count()).toBe(4);
        expect(await page.locator('svg.traffic .stage-boundary').count()).toBeGreaterThanOrEqual(5);
        expect(await page.locator('#registries').innerText()).toMatch(/eu210\s+DEREGISTERED/);
      }
      if (outcome !== 'failed') {
        // The registries as the report tells them are the registry as it is: state, score and constraints of every
        // cluster still registered (a promoted cluster's staff constraint was once shown after the shift removed it).
        const listed = JSON.parse((await runCli(['clusters', 'list', ...ws.args(stateDir), '--output', 'json'])).stdout) as Array<{ name: string; state: string; score: number; admissionConstraints: string[] }>;
        const rows = await page.$$eval('#registries tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
        const shown = rows.filter((r) => r[2] !== 'DEREGISTERED').map((r) => ({ name: r[1], state: r[2], score: Number(r[3]), constraints: r[4] }));
        const byName = (a: { name?: string }, b: { name?: string }): number => String(a.name).localeCompare(String(b.name));
        expect(shown.sort(byName)).toEqual(listed.map((c) => ({ name: c.name, state: c.state, score: c.score, constraints: c.admissionConstraints.join(', ') })).sort(byName));
      }
      if (outcome === 'failed') {
        expect(await page.locator('svg.gantt rect.bar[data-state="failed"][data-step="alive-test"]').count()).toBe(1);
        expect(await page.locator('#traffic').innerText()).toMatch(/did not run/);
      }
      await page.screenshot({ path: join(SHOTS, `report-${outcome}.png`), fullPage: true });
      await page.close();
    }, 120_000);
  }
});
