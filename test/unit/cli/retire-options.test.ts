/** `retire --drain-timeout`: like trafficShift.retire.drainTimeout, 0s is refused (running workspaces would get no time to end). */
import { describe, expect, it } from 'vitest';
import { retireCommand } from '../../../src/cli/commands/retire.js';

/** Parses the options only: the error comes from the option parser, before the action loads any config. */
function parseError(args: string[]): string {
  let stderr = '';
  const command = retireCommand().exitOverride().configureOutput({ writeErr: (t) => void (stderr += t), writeOut: () => undefined });
  expect(() => command.parse(['--cluster', 'eu17', ...args], { from: 'user' })).toThrow();
  return stderr;
}

describe('retire --drain-timeout', () => {
  it('refuses 0s, naming the fix', () => {
    expect(parseError(['--drain-timeout', '0s'])).toContain('--drain-timeout must be longer than 0s (running workspaces need time to end), got "0s"; write e.g. 30m or 24h');
  });

  it('still refuses what is not a duration', () => {
    expect(parseError(['--drain-timeout', '30'])).toContain('--drain-timeout must be a duration such as 30m or 24h, got "30"');
  });
});
