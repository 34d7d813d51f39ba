/**
 * `status --watch` at a real terminal (a pseudo-terminal read back through a
 * headless terminal emulator) at 60 and 120 columns, watching a second-generation
 * sandbox deploy that another process runs: while the first step waits out its
 * initial delay the screen shows the step, the new generation's share, the time
 * in step and the countdown to the next measurement; at the end it shows the
 * promotion, each gate's value against its threshold with samples, and the watch
 * exits with the deployment's exit code. No line is wider than the terminal.
 *
 * Generation 1 is deployed once; each width watches a deploy in its own copy of
 * that workspace (state dirs are relocatable), and the two run concurrently.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxWorkspace, startCli } from '../helpers/cli.js';
import { startPty } from '../helpers/pty.js';
import { requireBinary } from '../helpers/require-binary.js';
import { QUICK_GATE, withShiftTimes } from '../helpers/sandbox-config.js';
import { deployGenerationOne, type GenerationOne } from '../helpers/sandbox-generation.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && requireBinary('python3', 'the pseudo-terminal is Python’s pty module');

const ID = /^\d{8}-\d{6}-[0-9a-z]+$/;

/**
 * Short stages, and a gate that passes on its minSamples (QUICK_GATE: the watch is tested, not the statistics);
 * a first step that waits 20 s before it measures, so the countdown is on screen long enough to be read under load
 * (the watch redraws every second).
 */
const watchedConfig = (example: string): string =>
  withShiftTimes(example, { interval: '2s', bake: '2s', staff: '2s', confidence: QUICK_GATE }).replace(/( {4})provider: \{ type: simulator \}/, '$1provider: { type: simulator }\n$1initialDelay: 20s');

describe.skipIf(!hasTools).concurrent('status --watch at a real terminal', () => {
  let generationOne: GenerationOne;
  beforeAll(async () => {
    generationOne = await deployGenerationOne(200, watchedConfig);
  }, 300_000);
  afterAll(() => generationOne?.cleanup());

  for (const [cols, clusterId] of [[60, 201], [120, 202]] as const) {
    it(`shows the shift live and exits with the deployment's exit code (${cols} columns)`, async ({ onTestFinished }) => {
      const ws = generationOne.copy();
      onTestFinished(() => ws.cleanup());
      const { common, stateDir } = ws;
      const deployments = (): string[] => (existsSync(stateDir) ? readdirSync(stateDir).filter((d) => ID.test(d) && existsSync(join(stateDir, d, 'journal.ndjson'))) : []);
      /** Resolves with the id of a deployment that was not there before (polls the state dir; long deadline for a loaded machine). */
      const newDeployment = async (known: string[]): Promise<string> => {
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline) {
          const found = deployments().find((d) => !known.includes(d));
          if (found) return found;
          await new Promise((res) => setTimeout(res, 200));
        }
        throw new Error(`no new deployment appeared in ${stateDir}`);
      };

      const known = deployments();
      const deploy = startCli(['deploy', ...common, '--cluster-id', String(clusterId)]);
      onTestFinished(() => void deploy.child.kill('SIGINT'));
      const id = await newDeployment(known);
      const watch = startPty(['status', '--watch', id, ...common], { cols });
      onTestFinished(() => watch.kill());
      // Live: the first step, the new generation's share per region, the time in step and the countdown.
      await watch.waitForScreen(/traffic shift: step 1\/3 \(10 %\)\n {2}\d+s in step; next measurement in \d+s\n {2}new generation's share: \S+ 10 %/, 240_000);
      const deployed = await deploy.done;
      expect(deployed.code, deployed.stderr).toBe(0);
      const result = await watch.done;
      expect(result.code, result.raw).toBe(0);
      const screen = result.lines.join('\n');
      expect(screen).toContain(`deployment ${id}: succeeded`);
      expect(screen).toMatch(/\ntraffic shift: promoted\n/);
      expect(screen).toMatch(/\n {2}new generation's share: \S+ 100 %, \S+ 100 %/);
      expect(screen).toMatch(new RegExp(`\\n {2}scores: eu${clusterId} 100, us${clusterId} 100, eu\\d+ 0, us\\d+ 0`));
      // The gate's last measurement: each new cluster's value, the threshold and the samples (cut at 60 columns).
      const gate = cols >= 120 ? /\n {2}gate start-failure-ratio pass: eu\d+ [\d.e-]+, us\d+ [\d.e-]+ vs max 0\.1, \d+ samples/ : /\n {2}gate start-failure-ratio pass: eu\d+ [\d.e-]+, us\d/;
      expect(screen).toMatch(gate);
      expect(result.lines.at(-1)).toBe('exit code 0');
      // Every line was cut to the width: nothing wrapped into a second row.
      expect(result.lines.filter((l) => l.length > cols)).toEqual([]);
    }, 300_000);
  }
});

describe('status --watch with nothing to watch', () => {
  it('says there is no running deployment and how to start or pick one (exit 2)', async () => {
    const ws = sandboxWorkspace();
    try {
      // A HOME with no default config: `deploy` without --config would exit 2, so it is said in words. The state dir
      // exists (one that does not is said as such, json-output-errors.test.ts).
      mkdirSync(ws.stateDir, { recursive: true });
      const r = await runCli(['status', '--watch', '--state-dir', ws.stateDir], { env: { HOME: ws.dir } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no running deployment in \S+ to watch; start one with ws-deployment deploy --state-dir \S+ \(add --config <your config>\), or watch a finished one by its id/);
    } finally {
      ws.cleanup();
    }
  });
});
