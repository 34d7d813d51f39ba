/**
 * The backstop that kills a hung helm never kills one doing what real helm does within its
 * limits: on a failed wait with `--atomic` (helm 3) / `--rollback-on-failure` (helm 4), helm
 * rolls back and waits up to `--timeout` again (pkg/action/upgrade.go failRelease), and every
 * hook gets its own timeouts (hooks.go execHook). A helm that does hang past all of that is
 * stopped, not retried, and the error says what helm may have been doing.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isWsdError, type WsdError } from '../../../src/core/errors.js';
import { Helm, type ReleaseSpec } from '../../../src/tools/helm.js';
import { abandonedAfterSeconds, backstopSeconds, hookRuns, upgradeHookRuns, type HelmCallKind } from '../../../src/tools/helm-deadline.js';

const root = mkdtempSync(join(tmpdir(), 'wsd-helm-backstop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const previous = process.env.WSD_HELM;
afterEach(() => {
  if (previous === undefined) delete process.env.WSD_HELM;
  else process.env.WSD_HELM = previous;
});

/** Real helm's final words after an atomic rollback of a wait that ran out (helm 3.18 / 4.1). */
const ROLLED_BACK: Record<3 | 4, string> = {
  3: 'Error: UPGRADE FAILED: release gitpod failed, and has been rolled back due to atomic being set: context deadline exceeded',
  4: 'Error: UPGRADE FAILED: release gitpod failed, and has been rolled back due to rollback-on-failure being set: resource Deployment/default/server not ready. status: InProgress, message: context deadline exceeded',
};

/**
 * A helm whose upgrade does what real helm does when its wait fails: it waits the whole
 * --timeout, rolls back and waits up to --timeout again (here all of it), then fails.
 * `hang`: it never ends. It journals when each phase starts and when it is done.
 */
function fakeHelm(major: 3 | 4, events: string, hang = false): string {
  const path = join(root, `helm-${major}-${hang ? 'hang' : 'atomic'}`);
  writeFileSync(
    path,
    [
      `#!${process.execPath}`,
      "const { appendFileSync } = require('node:fs');",
      'const argv = process.argv.slice(2);',
      `const log = (e) => appendFileSync(${JSON.stringify(events)}, e + '\\n');`,
      `if (argv[0] === 'version') { process.stdout.write('v${major === 3 ? '3.18.6' : '4.1.0'}'); process.exit(0); }`,
      // A chart without hooks renders to objects without the hook annotation: none here.
      "if (argv[0] === 'template') process.exit(0);",
      hang ? "log('hang'); setInterval(() => {}, 1000); return;" : '',
      "const timeout = Number(/^(\\d+)s$/.exec(argv[argv.indexOf('--timeout') + 1])[1]) * 1000;",
      "log('wait');",
      'setTimeout(() => {',
      "  log('rollback');",
      '  setTimeout(() => {',
      "    log('done');",
      `    process.stderr.write(${JSON.stringify(`${ROLLED_BACK[major]}\n`)});`,
      '    process.exit(1);',
      '  }, timeout);',
      '}, timeout);',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

function spec(timeoutSeconds: number): ReleaseSpec {
  return { release: 'gitpod', namespace: 'default', chart: { path: join(root, 'chart'), name: 'gitpod' }, valuesFiles: [], set: {}, timeoutSeconds, description: 'test' };
}

async function failure(promise: Promise<unknown>): Promise<WsdError> {
  const error = await promise.catch((e: unknown) => e);
  if (!isWsdError(error)) throw new Error(`expected a WsdError, got ${String(error)}`);
  return error;
}

describe.each([3, 4] as const)('helm %i backstop', (major) => {
  // --timeout 8s and a slack of 5 s: a backstop of timeout + slack (13 s) kills this helm 3 s into
  // its rollback; helm's own limit is 16 s, the backstop's 2 × 8 + 5 = 21 s.
  it('lets helm finish its atomic rollback after a failed wait, and reports it as rolled back', async () => {
    const events = join(root, `events-${major}`);
    process.env.WSD_HELM = fakeHelm(major, events);
    const helm = new Helm({ homeDir: join(root, 'home'), kubeconfig: join(root, 'kubeconfig'), backstopSlackSeconds: 5 });
    const error = await failure(helm.upgradeInstall(spec(8)));
    expect(readFileSync(events, 'utf8').trim().split('\n')).toEqual(['wait', 'rollback', 'done']);
    expect(error.code).toBe('ToolFailed');
    expect(error.message).toContain('helm rolled the release back to its previous revision');
  }, 60_000);

  it('stops a helm that hangs past every wait it may make, not retried, saying what helm was doing', async () => {
    const events = join(root, `hang-${major}`);
    process.env.WSD_HELM = fakeHelm(major, events, true);
    const helm = new Helm({ homeDir: join(root, 'home'), kubeconfig: join(root, 'kubeconfig'), backstopSlackSeconds: 1 });
    const started = Date.now();
    const error = await failure(helm.upgradeInstall(spec(1)));
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    expect(error.code).toBe('ToolTimeout');
    expect(error.transient).toBe(false);
    expect(error.message).toContain('release gitpod in namespace default');
    expect(error.message).toContain('its own rollback');
    expect(error.message).toContain('helm history');
  }, 60_000);
});

describe('backstop bound', () => {
  it('counts every hook run a call may make, three waits each', () => {
    const release = {
      hooks: [{ events: ['pre-upgrade', 'pre-install'] }, { events: ['post-rollback'] }, { events: ['pre-delete'] }, { events: ['test'] }],
    };
    // An upgrade runs the install/upgrade/delete hooks of its chart; its rollback those of the revision it goes back to.
    expect(hookRuns(release, 'upgrade')).toBe(3);
    expect(hookRuns(release, 'rollback')).toBe(1);
    expect(hookRuns(release, 'uninstall')).toBe(1);
    expect(hookRuns(undefined, 'upgrade')).toBe(0);
    expect(upgradeHookRuns(release, { hooks: [{ events: ['pre-rollback', 'post-rollback'] }] })).toBe(5);
    expect(upgradeHookRuns(release, undefined)).toBe(3);
    expect(backstopSeconds('upgrade', 300, 0)).toBe(2 * 300 + 120);
    expect(backstopSeconds('upgrade', 300, 4)).toBe((2 + 12) * 300 + 120);
    expect(backstopSeconds('rollback', 300, 1)).toBe(4 * 300 + 120);
  });
});

describe('abandonment age', () => {
  // pending-release.ts recovers a foreign pending release once it is older than this: never while a
  // helm of ours could still be working on it, i.e. never before the backstop would have stopped it.
  it.each(['upgrade', 'rollback', 'uninstall'] as HelmCallKind[])('is past the backstop of a %s, hooks included, by the clock skew', (kind) => {
    for (const timeout of [1, 60, 900]) {
      for (const hooks of [0, 1, 4, 12]) {
        expect(abandonedAfterSeconds(kind, timeout, hooks)).toBe(backstopSeconds(kind, timeout, hooks) + 180);
      }
    }
    // Hand-worked: an upgrade with --timeout 900s and two hook runs: (2 + 3 × 2) × 900 + 120 + 180.
    expect(abandonedAfterSeconds('upgrade', 900, 2)).toBe(7500);
    expect(abandonedAfterSeconds('upgrade', 900, 0)).toBe(2 * 900 + 300);
  });
});
