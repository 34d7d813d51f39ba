import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editDistance, nearest, unknownKeyMessage } from '../../../src/config/messages.js';
import { BASE, configDir, problems, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

describe('config: every problem in one run', () => {
  it('reports schema errors, unknown keys and cross-field rules together, in file order', () => {
    const text = `version: v1
environment: prod
projct: {}
metaClusters:
  - name: meta-eu01
    region: europe-west1
  - name: meta-eu01
    region: eu
workspaceClusters:
  - region: europe-west1
    prefix: eu
    governedBy: meta-us01
    valuesFiles: [./missing.yaml]
  - region: europe-west1
    prefix: eu
    governedBy: meta-eu01
    tpye: k3s
`;
    expect(problems(text, ctx.file)).toEqual([
      '2:14: environment: the string "prod" is not allowed; use one of: production, staging, development',
      '3:1: projct: unknown key "projct"; did you mean "project"? allowed keys: version, environment, project, metaClusters, workspaceClusters, terraform, gitpod, jaeger, monitoring, aliveTest, registration, trafficShift, notifications',
      '7:11: metaClusters[1].name: duplicate meta cluster name "meta-eu01"; metaClusters[0] already uses it',
      '8:13: metaClusters[1].region: "eu" is not a gcp region; use the form <area>-<direction><number>; e.g. "europe-west1"',
      '12:17: workspaceClusters[0].governedBy: "meta-us01" is not a meta cluster; meta clusters: meta-eu01',
      `13:19: workspaceClusters[0].valuesFiles[0]: values file "./missing.yaml" does not exist (resolved to ${ctx.dir}/missing.yaml); create it or fix the path`,
      '15:13: workspaceClusters[1].prefix: prefix "eu" is already used in region europe-west1 by workspaceClusters[0]; pick another prefix',
      '17:5: workspaceClusters[1].tpye: unknown key "tpye"; did you mean "type"? allowed keys: name, region, prefix, governedBy, create, type, valuesFiles, bridgeRegion',
    ]);
  });

  it('caps a flood of problems', () => {
    const text = `version: v1\n${Array.from({ length: 300 }, (_, i) => `k${i}: 1`).join('\n')}\n`;
    const lines = problems(text, ctx.file);
    expect(lines).toHaveLength(101);
    expect(lines[100]).toMatch(/more problems not shown; fix the ones above first$/);
  });
});

describe('did-you-mean', () => {
  it('measures edits, swaps and case', () => {
    expect(editDistance('governedBy', 'governedBy')).toBe(0);
    expect(editDistance('goverendBy', 'governedBy')).toBe(1);
    expect(editDistance('GovernedBy', 'governedby')).toBe(0);
    expect(editDistance('nmae', 'name')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests only plausible typos', () => {
    expect(nearest('valueFiles', ['name', 'valuesFiles', 'region'])).toBe('valuesFiles');
    expect(nearest('zzzzzzzz', ['name', 'region'])).toBeUndefined();
    expect(unknownKeyMessage('regin', ['name', 'region'])).toBe('unknown key "regin"; did you mean "region"? allowed keys: name, region');
    expect(unknownKeyMessage('zzzzzzzz', ['name', 'region'])).toBe('unknown key "zzzzzzzz"; allowed keys: name, region');
  });

  it('suggests keys of nested sections from the schema itself', () => {
    const text = `version: v1\nterraform:\n  backend: { type: gcs, prefx: a }\n`;
    expect(problems(text, ctx.file)).toContain(
      '3:25: terraform.backend.prefx: unknown key "prefx"; did you mean "prefix"? allowed keys: type, prefix, connStrEnv, schemaName',
    );
  });

  it('suggests keys under project: (a section that also takes a plain project id)', () => {
    const text = `version: v1\nproject:\n  id: gitpod-191109\n  network: gitpod-prod\n  dnsZone: gitpod.io\n  buckt: b\n`;
    expect(problems(text, ctx.file)).toContain(
      '6:3: project.buckt: unknown key "buckt"; did you mean "bucket"? allowed keys: id, gcpSACredFile, network, dnsZone, bucket, extraRegions',
    );
  });
});

describe('a misspelt required key', () => {
  it('is one problem: the did-you-mean, not also "missing required key"', () => {
    expect(problems(BASE.replace('    prefix: eu', '    prefx: eu'), ctx.file)).toEqual([
      '13:5: workspaceClusters[0].prefx: unknown key "prefx"; did you mean "prefix"? allowed keys: name, region, prefix, governedBy, create, type, valuesFiles, bridgeRegion',
    ]);
    expect(problems(BASE.replace('version: v1', 'verison: v1').replace('  network:', '  netwrok:'), ctx.file)).toEqual([
      '1:1: verison: unknown key "verison"; did you mean "version"? allowed keys: version, environment, project, metaClusters, workspaceClusters, terraform, gitpod, jaeger, monitoring, aliveTest, registration, trafficShift, notifications',
      '5:3: project.netwrok: unknown key "netwrok"; did you mean "network"? allowed keys: id, gcpSACredFile, network, dnsZone, bucket, extraRegions',
    ]);
  });

  it('a missing key with no near misspelling is still reported missing', () => {
    expect(problems(BASE.replace('    prefix: eu\n', '    zzzzzzzz: eu\n'), ctx.file)).toEqual([
      '12:5: workspaceClusters[0].prefix: missing required key "prefix"',
      '13:5: workspaceClusters[0].zzzzzzzz: unknown key "zzzzzzzz"; allowed keys: name, region, prefix, governedBy, create, type, valuesFiles, bridgeRegion',
    ]);
  });
});
