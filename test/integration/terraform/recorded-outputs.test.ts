/**
 * The terraform wrapper's unit tests answer with recorded real output
 * (test/fixtures/recorded/terraform-outputs.json) instead of hand-written text.
 * This reruns the recorder against the installed terraform and checks that what
 * the wrapper relies on is still what terraform prints: exit codes, which stream
 * a message goes to, the change summaries, diagnostics and `output -json`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';

interface RecordedCall {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}
type Recording = { terraform: string; cases: Record<string, RecordedCall[]> };

const RECORDER = new URL('../../fixtures/recorded/record-terraform.mjs', import.meta.url).pathname;
const committed = JSON.parse(readFileSync(new URL('../../fixtures/recorded/terraform-outputs.json', import.meta.url), 'utf8')) as Recording;

/** What must not drift: everything but ids, timings and volatile JSON UI lines. */
function essentials(call: RecordedCall) {
  const ui = call.stdout
    .split('\n')
    .filter((l) => l.startsWith('{"@level"'))
    .map((l) => JSON.parse(l) as { type: string; changes?: unknown; diagnostic?: { severity: string; summary: string; detail: string } });
  return {
    argv: call.argv,
    exitCode: call.exitCode,
    stderr: call.stderr,
    stdoutIsEmpty: call.stdout === '',
    changeSummary: ui.filter((m) => m.type === 'change_summary').map((m) => m.changes),
    diagnostics: ui.filter((m) => m.type === 'diagnostic').map((m) => m.diagnostic && { severity: m.diagnostic.severity, summary: m.diagnostic.summary, detail: m.diagnostic.detail }),
    plainStdout: call.stdout.startsWith('{"@level"') ? undefined : call.stdout,
  };
}

describe.skipIf(!requireBinary('terraform', 'checks the recorded terraform output against the binary'))('recorded terraform output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-tf-rerecord-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('still matches what the installed terraform prints', async () => {
    const out = join(dir, 'again.json');
    await promisify(execFile)(process.execPath, [RECORDER, out], { timeout: 300_000 });
    const fresh = JSON.parse(readFileSync(out, 'utf8')) as Recording;
    expect(Object.keys(fresh.cases)).toEqual(Object.keys(committed.cases));
    for (const [name, calls] of Object.entries(committed.cases)) {
      expect(fresh.cases[name]!.map(essentials), `${name} (recorded with ${committed.terraform}, now ${fresh.terraform})`).toEqual(calls.map(essentials));
    }
  }, 300_000);

  it('records "No state file was found!" on stderr with exit 1 and nothing on stdout', () => {
    const [call] = committed.cases.stateListNoState!;
    expect(call).toMatchObject({ exitCode: 1, stdout: '' });
    expect(call!.stderr).toMatch(/^No state file was found!\n/);
  });
});
