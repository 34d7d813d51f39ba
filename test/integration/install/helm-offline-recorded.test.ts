/**
 * The committed offline helm recordings (test/fixtures/recorded/helm-v3-offline-outputs.json,
 * helm-v4-offline-outputs.json: version, lint, template) are rerecorded from the real binaries
 * and must come out the same: the fault-injection fake helm replays them.
 * `WSD_RECORD_HELM=1` writes fresh recordings instead of comparing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { realHelms } from '../../fixtures/install/real-helm.js';
import type { HelmRecording } from '../../fixtures/recorded/record-helm.js';
import { recordHelmOffline } from '../../fixtures/recorded/record-helm-offline.js';

const fixture = (major: number): string => new URL(`../../fixtures/recorded/helm-v${major}-offline-outputs.json`, import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'wsd-helm-offline-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(realHelms())('recorded offline helm $version output', (helm) => {
  it('is still what the binary prints for version, lint and template', async () => {
    const fresh = await recordHelmOffline(helm.path, join(root, `v${helm.major}`));
    if (process.env.WSD_RECORD_HELM === '1') {
      writeFileSync(fixture(helm.major), `${JSON.stringify(fresh, null, 2)}\n`);
      return;
    }
    const committed = JSON.parse(readFileSync(fixture(helm.major), 'utf8')) as HelmRecording;
    expect(fresh).toEqual(committed);
    for (const c of Object.values(fresh.cases)) expect(c.exitCode, c.stderr).toBe(0);
  }, 120_000);
});
