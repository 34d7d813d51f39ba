/**
 * A CI runner or a closing session signals the run (not the terminal's Ctrl-C) while an operator's
 * question is on screen at a manual gate: SIGTERM (GitLab, Kubernetes) and SIGHUP (the terminal
 * closed) stop the run as Ctrl-C does: exit 130, the question withdrawn with nothing approved, the
 * summary at the end of the screen, `status` says interrupted, and `resume --yes` finishes the shift
 * (the gate the run was held at approved by it: it used to hold there again and stop, exit 3).
 * Generation 1 is deployed once; each case deploys generation 2 in its own copy.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { expectSummaryAtEnd, registryOf, startPty } from '../helpers/pty.js';
import { requireBinary } from '../helpers/require-binary.js';
import { QUICK_GATE, withShiftTimes } from '../helpers/sandbox-config.js';
import { deployGenerationOne, type GenerationOne } from '../helpers/sandbox-generation.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && requireBinary('python3', 'the pseudo-terminal is Python’s pty module');

/** The pid of the CLI running with `stateDir` (the pty runner is its parent, not us). */
function cliPid(stateDir: string): number {
  const found = readdirSync('/proc').filter((p) => {
    if (!/^\d+$/.test(p)) return false;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      return argv[1] === BIN && argv.includes(stateDir);
    } catch {
      return false;
    }
  });
  expect(found, `the CLI for ${stateDir}`).toHaveLength(1);
  return Number(found[0]);
}

describe.skipIf(!hasTools).concurrent('a signal at a manual gate question on a terminal', () => {
  let generationOne: GenerationOne;
  beforeAll(async () => {
    generationOne = await deployGenerationOne(230, (example) => withShiftTimes(example, { confidence: QUICK_GATE }));
  }, 180_000);
  afterAll(() => generationOne?.cleanup());

  for (const [signal, clusterId] of [['SIGTERM', '231'], ['SIGHUP', '232']] as const) {
    it(`${signal} withdraws the question, approves nothing, exits 130; resume --yes finishes`, { timeout: 300_000 }, async ({ onTestFinished }) => {
      const ws = generationOne.copy();
      onTestFinished(() => ws.cleanup());
      writeFileSync(ws.config, withShiftTimes(ws.example, { confidence: QUICK_GATE }).replace('gates: { beforeDestroy: auto }', 'gates: { beforeIncrease: manual, beforeDestroy: auto }'));
      const run = startPty(['deploy', ...ws.common, '--cluster-id', clusterId], { cols: 80 });
      onTestFinished(() => run.kill());
      await run.waitForScreen(/manual gate beforeIncrease at step 1\/3 \(10 %\)[\s\S]*approve\? \[y\/a\/Enter\]/);
      const before = await registryOf(ws.common);
      process.kill(cliPid(ws.stateDir), signal);
      const result = await run.done;
      expect(result.code, result.raw).toBe(130);
      const screen = result.lines.join('\n');
      expect(screen).toContain(`received ${signal}: stopping running steps`);
      expect(screen).not.toMatch(/gate beforeIncrease approved/);
      await expectSummaryAtEnd(result, ws.common);
      // Nothing moved past the step the question was about.
      expect(await registryOf(ws.common)).toEqual(before);

      const status = await runCli(['status', ...ws.common, '--output', 'json']);
      const doc = JSON.parse(status.stdout) as { id: string; state: string };
      expect(doc.state).toBe('interrupted');
      const resumed = await runCli(['resume', doc.id, ...ws.common, '--yes']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(new RegExp(`succeeded \\(cluster id ${clusterId}\\)`));
      // The gate the signalled run held at is approved by this --yes run, and the journal says so.
      expect(resumed.stderr).toMatch(/beforeIncrease approved at step 1\/3 \(10 %\) by this run/);
    });
  }
});
