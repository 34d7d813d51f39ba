/**
 * Three environments of one project (the sandbox config as development, staging and production) deploy into ONE
 * state dir at the same moment. Each takes its own environment lock, and allocation reads the others' journals for
 * the short names they use; but with nothing serialising the read and the new `deployment.created`, two runs both
 * read before either journaled and took the same id (3 rounds in 20 with two environments). The state dir's
 * allocation lock (state/allocation-lock.ts) makes them one after the other: every round gives three distinct ids.
 * `--only alive-test` journals the id and ends in a fraction of a second without terraform (the sandbox's alive
 * test), so the rounds are many and cheap.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

const ROUNDS = 12;
const ENVIRONMENTS = ['development', 'staging', 'production'] as const;

describe('cluster id allocation across environments of one state dir', { timeout: 240_000 }, () => {
  const ws = sandboxWorkspace();
  afterAll(() => ws.cleanup());
  const configs = ENVIRONMENTS.map((env) => {
    const file = join(ws.dir, 'examples', `${env}.yaml`);
    writeFileSync(file, readFileSync(ws.config, 'utf8').replace(/^environment: development$/m, `environment: ${env}`));
    return file;
  });

  it(`never gives one id to two environments deploying at once (${ROUNDS} rounds of ${ENVIRONMENTS.length})`, async () => {
    const clashes: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const stateDir = mkdtempSync(join(tmpdir(), 'wsd-id-race-'));
      try {
        const runs = await Promise.all(configs.map((config) => runCli(['deploy', '--config', config, '--state-dir', stateDir, '--only', 'alive-test'])));
        const ids = runs.map((r) => {
          expect(r.code, r.stderr).toBe(0);
          return /^deployment \S+: partial \(cluster id (\d+)\)/.exec(r.stdout)?.[1];
        });
        expect(ids.every((id) => id !== undefined), runs.map((r) => r.stdout).join('\n')).toBe(true);
        if (new Set(ids).size !== ids.length) clashes.push(`round ${round}: ${ids.join(', ')}`);
        // Each run journaled exactly one deployment, and the allocation lock is gone with it.
        expect(readdirSync(stateDir).filter((f) => /^\d{8}-/.test(f))).toHaveLength(ENVIRONMENTS.length);
        expect(readdirSync(join(stateDir, 'locks'))).toEqual([]);
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    }
    expect(clashes).toEqual([]);
  });
});
