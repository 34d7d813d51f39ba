/**
 * A chart with hooks, first installed (no stored release to count them from) or upgraded to (the
 * stored release's hooks are the old chart's): the chart is rendered first (`helm template`, the real helm of both majors here) and the backstop
 * allows each hook run its three waits (helm-deadline.ts). The hooks found are real helm's own:
 * its manifest sorter's rule (one unknown event skips the object), checked on its output.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Helm, type ReleaseSpec } from '../../../src/tools/helm.js';
import { renderedHooks } from '../../../src/tools/helm-hooks.js';
import { realHelms, type RealHelm } from '../../fixtures/install/real-helm.js';

const root = mkdtempSync(join(tmpdir(), 'wsd-helm-hooks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const previous = process.env.WSD_HELM;
afterEach(() => {
  if (previous === undefined) delete process.env.WSD_HELM;
  else process.env.WSD_HELM = previous;
});

function spec(timeoutSeconds: number, chart: string): ReleaseSpec {
  return { release: 'gitpod', namespace: 'default', chart: { path: chart, name: 'gitpod' }, valuesFiles: [], set: {}, timeoutSeconds, description: 'test' };
}

/**
 * A helm whose `template` is the real helm's, and whose upgrade --install works `workMs` and then
 * succeeds: as long as real helm may take on a first install whose hooks each wait (hooks.go execHook).
 */
function hookedHelm(real: RealHelm, workMs: number, events: string): string {
  const path = join(root, `helm-${real.major}-hooked`);
  writeFileSync(
    path,
    [
      `#!${process.execPath}`,
      "const { appendFileSync } = require('node:fs');",
      "const { spawnSync } = require('node:child_process');",
      'const argv = process.argv.slice(2);',
      `if (argv[0] === 'version') { process.stdout.write(${JSON.stringify(real.version)}); process.exit(0); }`,
      `if (argv[0] === 'template') process.exit(spawnSync(${JSON.stringify(real.path)}, argv, { stdio: 'inherit' }).status ?? 1);`,
      `appendFileSync(${JSON.stringify(events)}, 'upgrade\\n');`,
      `setTimeout(() => { process.stdout.write(JSON.stringify({ name: 'gitpod', namespace: 'default', version: 1, info: { status: 'deployed' } })); process.exit(0); }, ${workMs});`,
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

/** A local chart with hooks: run on a first install (pre/post-install, and pre-upgrade counted too), on its uninstall, and ones helm never runs then. */
function hookedChart(): string {
  const chart = join(root, 'hooked-chart');
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: gitpod\nversion: 1.2.3\n');
  const object = (name: string, hook?: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${hook === undefined ? '' : `  annotations:\n    helm.sh/hook: ${JSON.stringify(hook)}\n`}data: {}\n`;
  writeFileSync(join(chart, 'templates', 'plain.yaml'), object('plain'));
  writeFileSync(join(chart, 'templates', 'migrate.yaml'), object('migrate', 'pre-install, Post-Install'));
  writeFileSync(join(chart, 'templates', 'hooks.yaml'), [object('on-upgrade', 'pre-upgrade'), object('cleanup', 'post-delete'), object('smoke', 'test-success'), object('unknown', 'pre-install,bogus')].join('---\n'));
  return chart;
}

describe.each(realHelms())('first install of a chart with hooks, helm $version', (real) => {
  it('counts the hooks real helm renders (its own rule: one unknown event skips the object)', async () => {
    process.env.WSD_HELM = hookedHelm(real, 0, join(root, `hooked-count-${real.major}`));
    const helm = new Helm({ homeDir: join(root, 'home'), kubeconfig: join(root, 'kubeconfig') });
    const rendered = await helm.template(spec(1, hookedChart()));
    expect(renderedHooks(rendered).hooks?.map((h) => h.events).sort()).toEqual([['post-delete'], ['pre-install', 'post-install'], ['pre-upgrade'], ['test']]);
  }, 60_000);

  // --timeout 1s, slack 2 s: the four hook runs of a first install (pre-install, post-install,
  // pre-upgrade, post-delete) may each wait 3 × 1 s: helm's limit is (2 + 12) × 1 + 2 = 16 s. Without
  // them (no stored release to count from) the backstop was 2 × 1 + 2 = 4 s. This helm takes 9 s.
  it('lets helm run as long as its hooks may take, not killing it at the bound of a chart without hooks', async () => {
    const events = join(root, `hooked-${real.major}`);
    process.env.WSD_HELM = hookedHelm(real, 9_000, events);
    const helm = new Helm({ homeDir: join(root, 'home'), kubeconfig: join(root, 'kubeconfig'), backstopSlackSeconds: 2 });
    const deployed = await helm.upgradeInstall(spec(1, hookedChart()));
    expect(deployed.info.status).toBe('deployed');
    expect(readFileSync(events, 'utf8')).toBe('upgrade\n');
  }, 60_000);

  // An upgrade to a chart version that adds hooks: the stored release has none, the chart installed
  // has four (the same 16 s bound as above). Counting the stored release's alone gave 4 s; this helm takes 6 s.
  it('an upgrade counts the hooks of the chart it installs, not only those of the stored release', async () => {
    const events = join(root, `hooked-upgrade-${real.major}`);
    process.env.WSD_HELM = hookedHelm(real, 6_000, events);
    const helm = new Helm({ homeDir: join(root, 'home'), kubeconfig: join(root, 'kubeconfig'), backstopSlackSeconds: 2 });
    const deployed = await helm.upgradeInstall(spec(1, hookedChart()), { hooks: [] });
    expect(deployed.info.status).toBe('deployed');
    expect(readFileSync(events, 'utf8')).toBe('upgrade\n');
  }, 60_000);
});
