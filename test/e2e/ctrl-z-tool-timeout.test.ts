/**
 * Ctrl-Z held longer than a tool's timeout, then `fg`: the traffic shift's command (a tool with a 6 s timeout that
 * needs about 2 s of running time) is stopped with the CLI for 12 s; once continued it completes and the deploy
 * succeeds. Before, its timer came due during the stop and the step failed on `fg` ("timed out after 6 s").
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { sandboxWorkspace, startCli } from '../helpers/cli.js';
import { processState, running, until } from '../helpers/processes.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('Ctrl-Z longer than a tool’s timeout', () => {
  const ws = sandboxWorkspace();
  afterAll(() => ws.cleanup());

  it('the tool is not timed out on `fg`: it completes and the deploy succeeds', { timeout: 300_000 }, async () => {
    const marker = join(ws.dir, 'shift-started');
    // Twenty `sleep 0.1`: about 2 s of running time that a stop does not shorten.
    const script = `echo $$ > '${marker}'; i=0; while [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done`;
    const text = readFileSync(ws.config, 'utf8').replace(/\ntrafficShift:[\s\S]*?(?=\n\S|$)/, '');
    writeFileSync(ws.config, `${text}\ntrafficShift:\n  command:\n    argv: [sh, -c, ${JSON.stringify(script)}]\n    timeout: 6s\n  gates: { beforeDestroy: auto }\n`);
    const run = startCli(['deploy', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '174'], { shellJob: true });
    const cli = run.child.pid as number;
    try {
      await until(() => 'the shift command never started', () => existsSync(marker) && /^\d+\n/.test(readFileSync(marker, 'utf8')), 240_000);
      const tool = Number(readFileSync(marker, 'utf8').trim());
      run.child.kill('SIGTSTP');
      await until(() => `CLI ${processState(cli)}, tool ${processState(tool)}`, () => processState(cli) === 'T' && processState(tool) === 'T');
      await new Promise((r) => setTimeout(r, 12_000));
      expect([processState(cli), processState(tool)]).toEqual(['T', 'T']);

      run.child.kill('SIGCONT');
      const result = await run.done;
      expect(result.stderr).not.toMatch(/timed out/);
      expect(result.code, result.stderr).toBe(0);
    } finally {
      if (running(cli)) run.child.kill('SIGKILL');
    }
  });
});
