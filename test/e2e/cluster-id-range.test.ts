/**
 * `--cluster-id` takes the ids names use (README: 100–299): anything else —
 * out of range, huge, not a whole number — is a usage error (exit 2) that says
 * the range, before anything runs.
 */
import { describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/cli.js';

describe('--cluster-id range', () => {
  it('refuses ids outside 100-299 and non-integers with exit 2', async () => {
    for (const value of ['99', '300', '99999999999', '1.5', 'abc', '-150', '0']) {
      const result = await runCli(['plan', '--config', 'examples/sandbox.yaml', '--state-dir', '/nonexistent/never-created', '--cluster-id', value], { cwd: REPO });
      expect(result.code, `${value}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(`--cluster-id must be a whole number from 100 to 299, got "${value}"`);
    }
    const ok = await runCli(['plan', '--config', 'examples/sandbox.yaml', '--state-dir', '/nonexistent/never-created', '--cluster-id', '299', '--output', 'json'], { cwd: REPO });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ clusterId: 299, clusterIdSource: 'flag' });
  });
});
