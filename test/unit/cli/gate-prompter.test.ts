import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { GatePrompter } from '../../../src/cli/gate-prompter.js';
import type { ControlCommand } from '../../../src/steps/step.js';
import type { StateStore } from '../../../src/state/store.js';

function setup(gate = 'traffic.gate') {
  const sent: Array<[string, ControlCommand]> = [];
  const store = { sendControl: async (id: string, c: ControlCommand) => void sent.push([id, c]) } as unknown as StateStore;
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => (shown += d.toString()));
  const area = { suspended: 0, resumed: 0, suspend() { this.suspended++; }, resume() { this.resumed++; } };
  let interrupted = 0;
  const prompter = new GatePrompter(store, { input, output, area, onInterrupt: () => interrupted++ });
  prompter.emit({ level: 'info', code: 'deployment.start', message: 'go', data: { deploymentId: 'd-1' } });
  prompter.emit({ level: 'info', code: gate, message: 'manual gate beforeIncrease at step 1/3' });
  return { sent, shown: () => shown, input, prompter, area, interrupted: () => interrupted };
}
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('manual gates on a terminal', () => {
  it('sends resume when the person approves, with the live area out of the way meanwhile', async () => {
    const { sent, shown, input, area } = setup();
    input.write('y\n');
    await settle();
    expect(shown()).toMatch(/^y = go on \/ a = abort and roll back \/ Enter = keep waiting\n.*approve\? \[y\/a\/Enter\] /);
    expect(sent).toEqual([['d-1', 'resume']]);
    expect(area).toMatchObject({ suspended: 1, resumed: 1 });
  });

  it('sends abort when asked to; Enter asks again', async () => {
    const a = setup('retire.gate');
    a.input.write('a\n');
    const other = setup();
    other.input.write('\n');
    await settle();
    expect(a.shown()).toMatch(/^y = go on \/ a = refuse, change nothing \/ Enter = keep waiting\n.*retire them\? \[y\/a\/Enter\] /);
    expect(a.sent).toEqual([['d-1', 'abort']]);
    expect(other.sent).toEqual([]);
    expect(other.shown().match(/approve\?/g)).toHaveLength(2);
    await other.prompter.close();
  });

  it('withdraws the question when the gate is decided elsewhere, without a key', async () => {
    const { sent, prompter, area } = setup('retire.gate');
    await settle();
    prompter.emit({ level: 'info', code: 'retire.approved', message: 'manual gate beforeDestroy approved (resume): retiring' });
    await prompter.close(); // resolves: nothing waits for stdin any more
    expect(sent).toEqual([]);
    expect(area).toMatchObject({ suspended: 1, resumed: 1 });
  });

  it('Ctrl-C at the question interrupts the run and says that nothing was approved', async () => {
    const { input, shown, interrupted, prompter, sent } = setup();
    await settle();
    input.write('\x03');
    await settle();
    expect(interrupted()).toBe(1);
    expect(shown()).toContain('interrupted at the manual gate: nothing was approved or changed');
    prompter.emit({ level: 'warn', code: 'run.interrupt', message: 'received SIGINT' });
    await prompter.close();
    expect(sent).toEqual([]);
  });
});
