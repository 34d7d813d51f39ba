/**
 * Operator answers around SIGKILL, in CI (no terminal, no --yes), on the sandbox with generation 1 deployed
 * first so generation 2 really shifts: a manual gate's approval journaled just before the run was killed is
 * honoured by `resume` (not asked again, not needing a second answer) and `status` names who approved it and
 * when; an operator's `shift pause` stops a CI run held (exit 3), saying who paused it and the commands that
 * continue it, instead of waiting for nobody. Each scenario starts from generation 2 killed right after its
 * first traffic change (a `--yes` run: the gate then is auto), and resumes without `--yes`. The kills are
 * placed by what the journal holds (`WSD_CRASH_AFTER_MATCH`, state/crash-point.ts), not by timing.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { runCli } from '../../helpers/cli.js';
import { QUICK_GATE } from '../../helpers/sandbox-config.js';
import { deploymentOf, faultWorkspace, readJournal, type JournalRecord } from './fault-workspace.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

const isEvent = (code: string) => (r: JournalRecord): boolean => r.type === 'event' && r.code === code;
const progressOf = (r: JournalRecord | undefined) => (r?.type === 'step.checkpoint' ? (r.outputs as { progress?: Record<string, unknown> } | undefined)?.progress : undefined);

describe.skipIf(!hasTerraform)('operator answers around SIGKILL, in CI', () => {
  const ws = faultWorkspace({
    edit: (doc) => {
      const shift = doc.trafficShift as Record<string, unknown> & { analysis: { metrics: Array<Record<string, unknown>> } };
      Object.assign(shift, { steps: [50, 75, 100], interval: '1s', bake: '1s', gates: { beforeIncrease: 'manual', beforeDestroy: 'auto' } });
      delete shift.staffStage;
      for (const metric of shift.analysis.metrics) {
        metric.minSamples = 1;
        // Not about the evidence: a healthy 1 s window passes at once.
        (metric.threshold as Record<string, unknown>).confidence = QUICK_GATE;
      }
    },
  });
  const generation1 = join(ws.dir, 'state-generation-1');
  afterAll(() => ws.cleanup());

  beforeAll(async () => {
    const gen1 = await runCli(['deploy', ...ws.args(generation1), '--cluster-id', '101', '--yes']);
    expect(gen1.code, gen1.stderr).toBe(0);
  }, 240_000);

  /** Generation 2 in `name`'s state dir, killed right after its first traffic change (step 1, 50 %). */
  async function killedInStep1(name: string): Promise<{ dir: string; id: string }> {
    const dir = join(ws.dir, name);
    cpSync(generation1, dir, { recursive: true });
    const killed = await runCli(['deploy', ...ws.args(dir), '--cluster-id', '102', '--yes'], { env: { WSD_CRASH_AFTER_MATCH: '"phase":"steps"' } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    return { dir, id: deploymentOf(dir, 102) };
  }

  it('an approval journaled just before SIGKILL is honoured by resume, and status names who approved it', { timeout: 300_000 }, async () => {
    const { dir, id } = await killedInStep1('state-approval');
    // In CI the resumed shift measures step 1 and stops held at the manual gate: nobody can answer here.
    const held = await runCli(['resume', id, ...ws.args(dir)]);
    expect(held.code, held.stderr).toBe(3);
    expect(held.stderr).toMatch(/waiting at the manual gate beforeIncrease/);
    const sent = await runCli(['shift', 'resume', id, ...ws.args(dir)]);
    expect(sent.code, sent.stderr).toBe(0);

    // The answer is taken and journaled; the run dies right after that write, before step 2.
    const killed = await runCli(['resume', id, ...ws.args(dir)], { env: { WSD_CRASH_AFTER_MATCH: '"approved":{"gate":"beforeIncrease"' } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const before = readJournal(dir, id);
    expect(progressOf(before.at(-1))).toMatchObject({ phase: 'steps', stepIndex: 0, paused: false, approved: { gate: 'beforeIncrease', by: expect.stringMatching(/@.* \(shift resume\)$/) } });
    const gatesAsked = before.filter(isEvent('traffic.gate')).length;

    const status = await runCli(['status', id, ...ws.args(dir)]);
    expect(status.stdout).toMatch(/approved: beforeIncrease at step 1\/3 \(50 %\) by \S+@\S+ \(shift resume\) \(taken \d{4}-\d\d-\d\dT[\d:.]+Z, sent \d{4}-/);

    // Nothing queued, no terminal: the journaled approval is the answer, so the run goes on to the end.
    const resumed = await runCli(['resume', id, ...ws.args(dir)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/beforeIncrease was approved at step 1\/3 \(50 %\) by \S+ \(shift resume\) at \S+ before the last run stopped: going on past it/);
    const journal = readJournal(dir, id);
    expect(journal.filter(isEvent('traffic.gate')).length, 'the gate is not asked again').toBe(gatesAsked);
    expect(journal.at(-1)).toMatchObject({ type: 'deployment.finished', state: 'succeeded' });
    const json = JSON.parse((await runCli(['status', id, ...ws.args(dir), '--output', 'json'])).stdout) as { shift: { approvals: unknown[] } };
    expect(json.shift.approvals).toEqual([expect.objectContaining({ gate: 'beforeIncrease', where: 'step 1/3 (50 %)', by: expect.stringMatching(/\(shift resume\)$/) })]);
  });

  it("an operator's pause stops a CI run held (exit 3), naming who paused it and the commands that continue it", { timeout: 300_000 }, async () => {
    const { dir, id } = await killedInStep1('state-pause');
    const paused = await runCli(['shift', 'pause', id, ...ws.args(dir)]);
    expect(paused.code, paused.stderr).toBe(0);
    const stopped = await runCli(['resume', id, ...ws.args(dir)]);
    expect(stopped.code, stopped.stderr).toBe(3);
    expect(stopped.stderr).toContain(`the shift holds at step 1/3 (50 %), paused by `);
    expect(stopped.stderr).toMatch(/paused by \S+@\S+ \(shift pause\): no one can resume it here \(no terminal, or CI\)/);
    // The commands carry the flags that reach this state dir (core/next-command.ts).
    expect(stopped.stderr).toContain(`continue it with \`ws-deployment shift resume ${id} --state-dir ${dir}\``);
    expect(stopped.stderr).toContain(`then \`ws-deployment resume ${id} --state-dir ${dir}\``);
    expect(progressOf(readJournal(dir, id).filter((r) => r.type === 'step.checkpoint' && r.step === 'traffic-shift').at(-1))).toMatchObject({ phase: 'steps', stepIndex: 0, paused: true });

    const status = await runCli(['status', id, ...ws.args(dir)]);
    expect(status.stdout).toContain(`traffic shift: paused by an operator (\`shift pause\`) (step 1/3, 50 %) and no process runs it: \`ws-deployment shift resume ${id} --state-dir ${dir}\` continues it`);
    // Resumed with nothing queued: held again at once, not waiting.
    const again = await runCli(['resume', id, ...ws.args(dir)]);
    expect(again.code, again.stderr).toBe(3);
    // The commands it printed continue it (up to the manual gate, which --yes approves here).
    expect((await runCli(['shift', 'resume', id, ...ws.args(dir)])).code).toBe(0);
    const resumed = await runCli(['resume', id, ...ws.args(dir), '--yes']);
    expect(resumed.code, resumed.stderr).toBe(0);
  });
});

/**
 * `shift promote` answers the shift's gates, not the retirement's: its reply says the old clusters are then retired
 * "behind the beforeDestroy gate when it is manual". A promote the shift did not take (sent as it finished) must
 * therefore not approve the destruction: not in CI (the run refuses at the gate, nothing retired), not on a terminal.
 */
describe.skipIf(!hasTerraform)('a promote left queued by a finished shift, at a manual beforeDestroy gate', () => {
  const ws = faultWorkspace({
    edit: (doc) => {
      const shift = doc.trafficShift as Record<string, unknown> & { analysis: { metrics: Array<Record<string, unknown>> } };
      Object.assign(shift, { steps: [100], interval: '1s', bake: '1s', gates: { beforeDestroy: 'manual' } });
      delete shift.staffStage;
      for (const metric of shift.analysis.metrics) {
        metric.minSamples = 1;
        (metric.threshold as Record<string, unknown>).confidence = QUICK_GATE;
      }
    },
  });
  afterAll(() => ws.cleanup());

  it('is not taken as the approval: a CI resume refuses at the gate and nothing is retired', { timeout: 300_000 }, async () => {
    const gen1 = await runCli(['deploy', ...ws.args(), '--cluster-id', '101', '--yes']);
    expect(gen1.code, gen1.stderr).toBe(0);
    const gen2 = await runCli(['deploy', ...ws.args(), '--cluster-id', '102', '--yes', '--skip', 'retire-old-clusters']);
    expect(gen2.code, gen2.stderr).toBe(0); // partial: promoted, the retirement left out
    const id = deploymentOf(ws.stateDir, 102);
    // As `shift promote` queues it (file-store.ts sendControl): sent while the shift ran, the shift finished first.
    const control = join(ws.stateDir, id, 'control');
    mkdirSync(control, { recursive: true });
    writeFileSync(join(control, `${Date.now().toString().padStart(15, '0')}-abcdef.json`), JSON.stringify({ command: 'promote', by: 'alice@box (shift promote)' }));

    const resumed = await runCli(['resume', id, ...ws.args()]);
    expect(resumed.code, resumed.stderr).toBe(3);
    expect(resumed.stderr).toMatch(/trafficShift\.gates\.beforeDestroy is manual but no one can approve here/);
    expect(readJournal(ws.stateDir, id).filter(isEvent('retire.destroyed'))).toEqual([]);
    const list = JSON.parse((await runCli(['clusters', 'list', ...ws.args(), '--output', 'json'])).stdout) as Array<{ name: string }>;
    expect(list.map((c) => c.name).sort()).toEqual(['eu101', 'eu102']);
  });
});
