import { describe, expect, it } from 'vitest';
import { interruptedMessage } from '../../../src/cli/interrupted-message.js';

const argv = (...words: string[]) => ['node', 'ws-deployment', ...words];

describe('the message of a command a signal cut short', () => {
  it('a registry change (clusters register, update, deregister, swap) says how to see what each registry holds', () => {
    for (const words of [
      ['clusters', 'update', '--name', 'eu17', 'score', '10'],
      ['--config', 'c.yaml', 'clusters', 'deregister', '--name', 'eu17', '--force'],
      ['clusters', 'register', '--name', 'eu17'],
      ['clusters', 'swap', 'a', 'b'],
    ]) {
      expect(interruptedMessage('SIGTERM', argv(...words)), words.join(' ')).toBe(
        'interrupted (SIGTERM) before the command finished; if it had begun sending its change, some meta clusters may have it and others not: `ws-deployment clusters list` shows what each registry holds now',
      );
    }
  });

  it('reading commands and every other command say only that they were interrupted', () => {
    for (const words of [['clusters', 'list'], ['clusters', 'get-tls-config', '--name', 'eu17'], ['status'], ['plan', '--config', 'clusters'], ['clusters', '--help']]) {
      expect(interruptedMessage('SIGINT', argv(...words)), words.join(' ')).toBe('interrupted (SIGINT) before the command finished');
    }
  });
});
