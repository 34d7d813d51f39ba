/**
 * Ctrl-\ at a question (render/question-terminal.ts keepAnswerable): readline takes the key for a character and puts it
 * in the question's line; it is the question's 'SIGQUIT' event, and must leave nothing behind for what is read next.
 */
import { createInterface } from 'node:readline/promises';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { keepAnswerable } from '../../../src/cli/render/question-terminal.js';

function question(input: PassThrough) {
  const output = new PassThrough();
  output.resume();
  const rl = createInterface({ input, output, terminal: true });
  keepAnswerable(rl, input);
  return rl;
}

describe("Ctrl-\\ at a question", () => {
  it('is its SIGQUIT event, once, and leaves no \\x1c in its line: what is typed next is read as typed', async () => {
    const input = new PassThrough();
    const rl = question(input);
    let quits = 0;
    rl.on('SIGQUIT', () => quits++);
    const answer = rl.question('name? ');
    input.write('eu');
    input.write('\x1c');
    input.write('17\r');
    expect(await answer).toBe('eu17');
    expect(quits).toBe(1);
    rl.close();
  });

  it('leaves nothing for the next question in the same process', async () => {
    const input = new PassThrough();
    const first = question(input);
    // As `clusters deregister`'s confirmation refuses: the key is a no, and the question is closed.
    const refused = new Promise<string>((resolve) => first.once('SIGQUIT', () => (resolve('refused'), first.close())));
    void first.question('name? ').catch(() => undefined);
    input.write('\x1c');
    expect(await refused).toBe('refused');
    const next = question(input);
    const answer = next.question('name? ');
    input.write('eu17\r');
    expect(await answer).toBe('eu17');
    next.close();
  });
});
