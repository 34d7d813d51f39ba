import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, configDir, edit, MODULE_TAIL, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

const check = (text: string) => problems(text, ctx.file);

describe('config schema: one rule per test, exact positions', () => {
  it('accepts the base config and applies defaults', () => {
    const { config } = valid(BASE, ctx.file);
    expect(config.workspaceClusters[0]).toEqual({
      region: 'europe-west1',
      prefix: 'eu',
      governedBy: 'prod-meta-eu01',
      create: true,
      type: 'gke',
      valuesFiles: [],
    });
    // The module source is helpers.ts MODULE_TAIL: a created gke cluster needs one.
    expect(config.terraform).toEqual({ module: { source: 'gitpod-io/ws-cluster/google' }, variables: {}, secretVariables: [], generator: { mode: 'builtin' } });
  });

  it('refuses an unknown version naming the supported ones, and nothing else', () => {
    const text = edit(edit(BASE, 'version: v1', 'version: v2'), 'environment: production', 'environment: nope');
    expect(check(text)).toEqual(['1:10: version: unsupported config version "v2"; supported versions: v1']);
  });

  it('requires version', () => {
    expect(check(edit(BASE, 'version: v1\n', ''))).toEqual(['1:1: version: missing required key "version"; allowed values: v1']);
  });

  it('checks environment against the allowed values', () => {
    expect(check(edit(BASE, 'environment: production', 'environment: prod'))).toEqual([
      '2:14: environment: the string "prod" is not allowed; use one of: production, staging, development',
    ]);
  });

  it('checks the gcp project id shape', () => {
    expect(check(edit(BASE, 'id: gitpod-191109', 'id: Gitpod_1'))).toEqual([
      '4:7: project.id: "Gitpod_1" is not a gcp project id; use 6–30 lowercase letters, digits and dashes, start with a letter and end with a letter or digit; e.g. "gitpod-191109"',
    ]);
  });

  it('checks the region shape', () => {
    expect(check(edit(BASE, '    region: europe-west1\nworkspace', '    region: Europe-West1\nworkspace'))).toEqual([
      '10:13: metaClusters[0].region: "Europe-West1" is not a gcp region; use the form <area>-<direction><number>; e.g. "europe-west1"',
    ]);
  });

  it('checks the prefix shape (no shell metacharacters)', () => {
    expect(check(edit(BASE, 'prefix: eu', 'prefix: "eu;rm"'))).toEqual([
      '13:13: workspaceClusters[0].prefix: "eu;rm" is not a valid prefix; use 1–8 lowercase letters (a–z); e.g. "eu"',
    ]);
  });

  it('points a missing key at its parent mapping', () => {
    expect(check(edit(BASE, '  network: gitpod-prod\n', ''))).toEqual(['4:3: project.network: missing required key "network"']);
  });

  it('points an unknown key at the key, with did-you-mean (and no second "missing" issue for the key it meant)', () => {
    expect(check(edit(BASE, '    governedBy: prod', '    goverendBy: prod'))).toEqual([
      '14:5: workspaceClusters[0].goverendBy: unknown key "goverendBy"; did you mean "governedBy"? allowed keys: name, region, prefix, governedBy, create, type, valuesFiles, bridgeRegion',
    ]);
  });

  it('requires at least one meta cluster', () => {
    const text = edit(BASE, 'metaClusters:\n  - name: prod-meta-eu01\n    region: europe-west1\n', 'metaClusters: []\n');
    expect(check(text)).toEqual([
      '8:15: metaClusters: at least one meta cluster is required',
      '12:17: workspaceClusters[0].governedBy: "prod-meta-eu01" is not a meta cluster; no valid meta cluster is defined',
    ]);
  });

  it('requires governedBy to name a meta cluster, listing the ones that exist', () => {
    expect(check(edit(BASE, 'governedBy: prod-meta-eu01', 'governedBy: prod-meta-us01'))).toEqual([
      '14:17: workspaceClusters[0].governedBy: "prod-meta-us01" is not a meta cluster; meta clusters: prod-meta-eu01',
    ]);
  });

  it('requires unique meta cluster names', () => {
    const text = edit(BASE, 'workspaceClusters:', '  - name: prod-meta-eu01\n    region: us-west1\nworkspaceClusters:');
    expect(check(text)).toEqual(['11:11: metaClusters[1].name: duplicate meta cluster name "prod-meta-eu01"; metaClusters[0] already uses it']);
  });

  it('requires prefixes unique per region (other regions may reuse them)', () => {
    const again = '  - region: europe-west1\n    prefix: eu\n    governedBy: prod-meta-eu01\n';
    const elsewhere = '  - region: us-west1\n    prefix: eu\n    governedBy: prod-meta-eu01\n';
    expect(check(BASE + elsewhere + again)).toEqual([
      '19:13: workspaceClusters[2].prefix: prefix "eu" is already used in region europe-west1 by workspaceClusters[0]; pick another prefix',
    ]);
  });

  it('checks that the longest derived name is a valid gke name', () => {
    // No region Google has today is long enough: one vouched for in extraRegions (line 8) may be.
    const extra = edit(BASE, '  bucket: gitpod-prod-tf-state\n', '  bucket: gitpod-prod-tf-state\n  extraRegions: [asia-southeastward1]\n');
    const text = edit(edit(extra, 'prefix: eu', 'prefix: abcdefgh'), '  - region: europe-west1', '  - region: asia-southeastward1');
    expect(check(text)).toEqual([
      '14:13: workspaceClusters[0].prefix: the derived cluster name is invalid: "gp-prod-ws-abcdefgh299-asia-southeastward1" is 42 characters long; GKE allows at most 40; shorten the prefix or set an explicit name',
    ]);
    // An explicit name wins, so the derived one no longer matters.
    expect(() => valid(edit(text, '    prefix: abcdefgh', '    name: ws-asia01\n    prefix: abcdefgh'), ctx.file)).not.toThrow();
  });

  it('checks explicit names and their uniqueness', () => {
    const two = `${BASE}  - name: ws-eu01\n    region: europe-west2\n    prefix: eu\n    governedBy: prod-meta-eu01\n`;
    expect(check(edit(two, '  - region: europe-west1\n', '  - name: Ws_eu01\n    region: europe-west1\n'))).toEqual([
      '12:11: workspaceClusters[0].name: "Ws_eu01" is not a valid GKE name: use lowercase letters, digits and dashes, start with a letter and end with a letter or digit; e.g. "prod-meta-eu01"',
    ]);
    expect(check(edit(two, '  - region: europe-west1\n', '  - name: ws-eu01\n    region: europe-west1\n'))).toEqual([
      '16:11: workspaceClusters[1].name: duplicate workspace cluster name "ws-eu01"; workspaceClusters[0] already uses it',
    ]);
  });

  it('requires project.bucket when a cluster uses the gcs backend', () => {
    const noBucket = edit(BASE, '  bucket: gitpod-prod-tf-state\n', '');
    expect(check(noBucket)).toEqual([
      '4:3: project.bucket: missing required key "bucket": workspaceClusters[0] (gke) use the gcs backend, the default for gke and k3s; set project.bucket or terraform.backend.type local or pg',
    ]);
    expect(() => valid(`${noBucket}${MODULE_TAIL}  backend: { type: local }\n`, ctx.file)).not.toThrow();
    expect(() => valid(edit(noBucket, 'governedBy: prod-meta-eu01', 'governedBy: prod-meta-eu01\n    type: sandbox'), ctx.file)).not.toThrow();
  });

  it('checks bucket, network and dns names (no traversal or metacharacters)', () => {
    const text = edit(edit(edit(BASE, 'bucket: gitpod-prod-tf-state', 'bucket: a..b'), 'network: gitpod-prod', 'network: "net $(id)"'), 'dnsZone: gitpod.io', 'dnsZone: ../etc');
    expect(check(text)).toEqual([
      '5:12: project.network: "net $(id)" is not a valid vpc network name; use at most 63 lowercase letters, digits and dashes, starting with a letter; e.g. "gitpod-prod"',
      '6:12: project.dnsZone: "../etc" is not a dns domain; use lowercase labels separated by dots; e.g. "gitpod.io"',
      '7:11: project.bucket: "a..b" is not a gcs bucket name; use 3–63 lowercase letters, digits, dashes, underscores and dots, starting and ending with a letter or digit; e.g. "gitpod-prod-tf-state"',
    ]);
  });

  it('resolves referenced files against the config folder and requires them to exist', () => {
    const text = edit(
      edit(BASE, 'governedBy: prod-meta-eu01', 'governedBy: prod-meta-eu01\n    valuesFiles: [./values/eu.yaml, ./values/missing.yaml]'),
      '  bucket:',
      '  gcpSACredFile: ./sa-key.json\n  bucket:',
    );
    const wrong = edit(text, './sa-key.json', './values');
    expect(check(wrong)).toEqual([
      `7:18: project.gcpSACredFile: service account key file "./values" is not a regular file (resolved to ${ctx.dir}/values)`,
      `16:37: workspaceClusters[0].valuesFiles[1]: values file "./values/missing.yaml" does not exist (resolved to ${ctx.dir}/values/missing.yaml); create it or fix the path`,
    ]);
    const { config } = valid(edit(text, ', ./values/missing.yaml', ''), ctx.file);
    expect(config.project.gcpSACredFile).toBe(`${ctx.dir}/sa-key.json`);
    expect(config.workspaceClusters[0]?.valuesFiles).toEqual([`${ctx.dir}/values/eu.yaml`]);
  });

  it('rejects control characters in strings', () => {
    const text = edit(BASE, '  bucket:', '  gcpSACredFile: "./sa\\u0007.json"\n  bucket:');
    expect(check(text)).toEqual(['7:18: project.gcpSACredFile: contains the control character U+0007 at position 5; remove it']);
  });

  it('treats create and type strictly', () => {
    const text = edit(BASE, 'governedBy: prod-meta-eu01', 'governedBy: prod-meta-eu01\n    create: "yes"\n    type: eks');
    expect(check(text)).toEqual([
      '15:13: workspaceClusters[0].create: expected true or false, got the string "yes"',
      '16:11: workspaceClusters[0].type: the string "eks" is not allowed; use one of: gke, k3s, sandbox',
    ]);
  });
});

describe('bridgeRegion (coarse region registered with the bridges)', () => {
  it('accepts the five bridge regions and "", refuses a GCP region saying what to use', () => {
    expect(valid(edit(BASE, '    governedBy: prod', '    bridgeRegion: ""\n    governedBy: prod'), ctx.file).config.workspaceClusters[0]?.bridgeRegion).toBe('');
    expect(valid(edit(BASE, '    governedBy: prod', '    bridgeRegion: asia\n    governedBy: prod'), ctx.file).config.workspaceClusters[0]?.bridgeRegion).toBe('asia');
    const problems = check(edit(BASE, '    governedBy: prod', '    bridgeRegion: europe-west1\n    governedBy: prod'));
    expect(problems.join('\n')).toContain('workspaceClusters[0].bridgeRegion: region "europe-west1" is not one the bridge accepts');
  });
  it('a GCP region whose bridge region cannot be derived needs an explicit bridgeRegion', () => {
    const extra = edit(BASE, '  bucket: gitpod-prod-tf-state\n', '  bucket: gitpod-prod-tf-state\n  extraRegions: [mars-east1]\n');
    const problems = check(edit(extra, 'region: europe-west1\n    prefix', 'region: mars-east1\n    prefix'));
    expect(problems.join('\n')).toContain('cannot derive a bridge region from "mars-east1"; set bridgeRegion');
    expect(valid(edit(extra, 'region: europe-west1\n    prefix', 'region: mars-east1\n    bridgeRegion: europe\n    prefix'), ctx.file).config.workspaceClusters[0]?.region).toBe('mars-east1');
  });
});
