/**
 * `dependsOn` between releases (release-rules.ts) and the YAML files the config points at
 * (referenced-file-rules.ts), called directly on config objects. Cycle paths were traced by hand
 * through the depth-first search in section order (gitpod, jaeger, monitoring); YAML problem texts
 * are the `yaml` library's, as the loader-level test (test/unit/config/referenced-files.test.ts) records.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseDependencies } from '../../../../src/config/rules/release-rules.js';
import { valuesFilesParse, versionsManifestParses } from '../../../../src/config/rules/referenced-file-rules.js';
import { withBaseDir } from '../../../../src/config/sections/paths.js';

const cycle = (names: string) => `dependency cycle: ${names}; releases in a cycle could never install, so remove one of these dependsOn entries`;

describe('release dependsOn', () => {
  it('accepts a diamond (gitpod → jaeger → monitoring and gitpod → monitoring): a finished release is no cycle', () => {
    expect(releaseDependencies({ gitpod: { dependsOn: ['jaeger', 'monitoring'] }, jaeger: { dependsOn: ['monitoring'] }, monitoring: { dependsOn: [] } })).toEqual([]);
    expect(releaseDependencies({ monitoring: { dependsOn: ['gitpod'] }, jaeger: { dependsOn: ['gitpod'] } })).toEqual([]);
    expect(releaseDependencies({})).toEqual([]);
  });

  it('sees no cycle in a chain monitoring → gitpod → jaeger (a walk that returned without a cycle leaves no node open)', () => {
    expect(releaseDependencies({ gitpod: { dependsOn: ['jaeger'] }, monitoring: { dependsOn: ['gitpod'] } })).toEqual([]);
  });

  it('reports unknown names at their entry, skips non-strings, and keeps entry positions for the cycle', () => {
    const config = { gitpod: { dependsOn: ['jaeger'] }, jaeger: { dependsOn: ['monitoring'] }, monitoring: { dependsOn: ['nope', 7, 'jaeger'] } };
    expect(releaseDependencies(config)).toEqual([
      { path: ['monitoring', 'dependsOn', 0], message: 'unknown release "nope"; dependsOn names releases by their config section: gitpod, jaeger, monitoring' },
      // From gitpod: gitpod → jaeger → monitoring → jaeger; the path starts where the cycle does, not at gitpod.
      { path: ['monitoring', 'dependsOn', 2], message: cycle('jaeger → monitoring → jaeger') },
    ]);
  });

  it('finds a cycle that does not start at the first section, and a release that waits for itself', () => {
    expect(releaseDependencies({ jaeger: { dependsOn: ['monitoring'] }, monitoring: { dependsOn: ['jaeger'] } })).toEqual([
      { path: ['monitoring', 'dependsOn', 0], message: cycle('jaeger → monitoring → jaeger') },
    ]);
    expect(releaseDependencies({ monitoring: { dependsOn: ['gitpod', 'monitoring'] } })).toEqual([
      { path: ['monitoring', 'dependsOn', 1], message: cycle('monitoring → monitoring') },
    ]);
  });

  it('reports only the first cycle in section order', () => {
    const config = { gitpod: { dependsOn: ['gitpod'] }, jaeger: { dependsOn: ['monitoring'] }, monitoring: { dependsOn: ['jaeger'] } };
    expect(releaseDependencies(config)).toEqual([{ path: ['gitpod', 'dependsOn', 0], message: cycle('gitpod → gitpod') }]);
  });
});

describe('referenced YAML files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'wsd-file-rules-'));
    mkdirSync(path.join(dir, 'values'));
    writeFileSync(path.join(dir, 'values', 'good.yaml'), 'a: 1\n');
    writeFileSync(path.join(dir, 'values', 'broken.yaml'), 'a: 1\nb: 2\nfoo: [unclosed\n');
    writeFileSync(path.join(dir, 'versions.yaml'), 'version: 2022.11.0\n');
    writeFileSync(path.join(dir, 'versions-broken.yaml'), 'version: [unclosed\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const broken = () => path.join(dir, 'values', 'broken.yaml');
  const brokenMessage = (remedy: string) => `${broken()}:4:1: yaml flow sequence in block collection must be sufficiently indented and end with a ]; ${remedy}`;
  const listRemedy = 'fix the file or remove it from the list';

  it('reports a broken values file of each release and each cluster at its list entry, resolving relative paths against the config folder', () => {
    const config = {
      gitpod: { valuesFiles: ['values/good.yaml', 'values/broken.yaml'] },
      jaeger: { valuesFiles: ['values/broken.yaml'] },
      monitoring: { valuesFiles: [broken()] },
      workspaceClusters: [{}, { valuesFiles: ['values/good.yaml', 'values/broken.yaml'] }],
    };
    expect(withBaseDir(dir, () => valuesFilesParse(config))).toEqual([
      { path: ['gitpod', 'valuesFiles', 1], message: brokenMessage(listRemedy) },
      { path: ['jaeger', 'valuesFiles', 0], message: brokenMessage(listRemedy) },
      { path: ['monitoring', 'valuesFiles', 0], message: brokenMessage(listRemedy) },
      { path: ['workspaceClusters', 1, 'valuesFiles', 1], message: brokenMessage(listRemedy) },
    ]);
  });

  it('leaves missing, empty, non-string, directory and not-a-directory references to the field checks', () => {
    const config = { gitpod: { valuesFiles: [path.join(dir, 'values', 'nope.yaml'), '', 5, path.join(dir, 'values'), `${broken()}/inner.yaml`] } };
    expect(valuesFilesParse(config)).toEqual([]);
    expect(valuesFilesParse({ gitpod: { valuesFiles: 'values/broken.yaml' } })).toEqual([]);
  });

  it('reports a broken versions manifest at gitpod.versionsManifest, and accepts a good one', () => {
    expect(withBaseDir(dir, () => versionsManifestParses({ gitpod: { versionsManifest: 'versions-broken.yaml' } }))).toEqual([
      {
        path: ['gitpod', 'versionsManifest'],
        message: `${path.join(dir, 'versions-broken.yaml')}:2:1: yaml flow sequence in block collection must be sufficiently indented and end with a ]; fix the file or point gitpod.versionsManifest at another one`,
      },
    ]);
    expect(versionsManifestParses({ gitpod: { versionsManifest: path.join(dir, 'versions.yaml') } })).toEqual([]);
    expect(versionsManifestParses({ gitpod: { versionsManifest: path.join(dir, 'missing.yaml') } })).toEqual([]);
    expect(versionsManifestParses({ gitpod: {} })).toEqual([]);
  });
});
