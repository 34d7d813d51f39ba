import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { GatePrompter } from '../../../src/cli/gate-prompter.js';
import type { ControlCommand } from '../../../src/steps/step.js';
import type { StateStore } from '../../../src/state/store.js';

function setup(answer: string) {
  const sent: Array<[string, ControlCommand]> = [];
  const store = { sendControl: async (id: string, c: ControlCommand) => void sent.push([id, c]) } as unknown as StateStore;
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => (shown += d.toString()));
  const prompter = new GatePrompter(store, { input, output });
  prompter.emit({ level: 'info', code: 'deployment.start', message: 'go', data: { deploymentId: 'd-1' } });
  prompter.emit({ level: 'info', code: 'traffic.gate', message: 'manual gate beforeIncrease at step 1/3' });
  input.write(`${answer}\n`);
  return { sent, shown: () => shown };
}
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('manual gates on a terminal', () => {
  it('sends resume when the person approves', async () => {
    const { sent, shown } = setup('y');
    await settle();
    expect(shown()).toContain('manual gate beforeIncrease at step 1/3');
    expect(sent).toEqual([['d-1', 'resume']]);
  });

  it('sends abort when asked to roll back, nothing for any other answer', async () => {
    const a = setup('a');
    const other = setup('later');
    await settle();
    expect(a.sent).toEqual([['d-1', 'abort']]);
    expect(other.sent).toEqual([]);
  });
});
