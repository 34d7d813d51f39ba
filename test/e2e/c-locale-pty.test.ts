/**
 * A terminal in the C locale (`LANG=C`, `LC_ALL=C`: a bare container, cron, `env -i`) shows UTF-8 as mojibake: the
 * CLI's arrows, dashes, `≥` and ellipses came out as two or three bytes each. At a real pseudo-terminal read back
 * through a headless terminal emulator, what the CLI writes there is ASCII, said in ASCII (`->`, `--`, `>=`,
 * `...`), and the live view's lines are cut to the width with `...`; in a UTF-8 locale it is unchanged.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sandboxWorkspace } from '../helpers/cli.js';
import { startPty } from '../helpers/pty.js';
import { requireBinary } from '../helpers/require-binary.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && requireBinary('python3', 'the pseudo-terminal is Python’s pty module');

// eslint-disable-next-line no-control-regex
const NOT_ASCII = /[^\x00-\x7f]/;
/** The C locale, as each variable can set it (LC_ALL over LC_CTYPE over LANG; empty is unset). */
const C_LOCALES: Array<Record<string, string>> = [
  { LC_ALL: '', LC_CTYPE: '', LANG: 'C' },
  { LC_ALL: 'C', LANG: 'C.UTF-8' },
];

describe.skipIf(!hasTools).concurrent('a terminal in the C locale', () => {
  for (const env of C_LOCALES) {
    it(`plan in ASCII (${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')})`, { timeout: 120_000 }, async ({ onTestFinished }) => {
      const ws = sandboxWorkspace();
      onTestFinished(() => ws.cleanup());
      const run = startPty(['plan', '--config', ws.config, '--state-dir', ws.stateDir], { cols: 200, env });
      onTestFinished(() => run.kill());
      const result = await run.done;
      expect(result.code, result.raw).toBe(0);
      expect(result.raw.match(NOT_ASCII), result.raw).toBeNull();
      const screen = result.lines.join('\n');
      expect(screen).toMatch(/score 10 \(10 %\) -> 50 \(50 %\) -> 100 \(100 %\)/);
      expect(screen).toMatch(/>= 3 starts per cluster/);
      expect(screen).toMatch(/ -- at the least 1 measurement per stage/);
    });
  }

  it('plan in a UTF-8 locale keeps its arrows', { timeout: 120_000 }, async ({ onTestFinished }) => {
    const ws = sandboxWorkspace();
    onTestFinished(() => ws.cleanup());
    const run = startPty(['plan', '--config', ws.config, '--state-dir', ws.stateDir], { cols: 200, env: { LC_ALL: '', LC_CTYPE: '', LANG: 'C.UTF-8' } });
    onTestFinished(() => run.kill());
    const result = await run.done;
    expect(result.code, result.raw).toBe(0);
    expect(result.lines.join('\n')).toMatch(/score 10 \(10 %\) → 50 \(50 %\) → 100 \(100 %\)/);
  });

  it("deploy's live view on a narrow terminal: lines cut with `...`, not one byte that is not ASCII", { timeout: 360_000 }, async ({ onTestFinished }) => {
    const ws = sandboxWorkspace();
    onTestFinished(() => ws.cleanup());
    writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace(/sampleDeadline: 60s/, 'sampleDeadline: 60s\n    firstGenerationWatch: 30m'));
    const run = startPty(['deploy', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '178'], { cols: 40, rows: 30, env: { LC_ALL: 'C' } });
    onTestFinished(() => run.kill());
    // Both clusters' lines, cut to 39 columns: 36 of the line and `...`.
    await run.waitForScreen(/first generation's watch: [^]*\ngp-dev-ws-eu178-eu-west1 {2}register-c\.\.\.\ngp-dev-ws-us178-us-west1 {2}register-c\.\.\.$/, 240_000);
    run.type('\x03');
    const result = await run.done;
    expect(result.code, result.raw).toBe(130);
    expect(result.raw.match(NOT_ASCII), result.raw).toBeNull();
  });
});
