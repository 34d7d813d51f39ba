/** The original design's config shape: `project: <id>` shorthand, and its over-indented list items said in words. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, configDir, edit, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

const PROJECT = 'project:\n  id: gitpod-191109\n  network: gitpod-prod\n  dnsZone: gitpod.io\n  bucket: gitpod-prod-tf-state\n';

describe('project as a plain id', () => {
  it('is shorthand for { id } and reports what is then missing, each at the project', () => {
    expect(problems(edit(BASE, PROJECT, 'project: gitpod-staging\n'), ctx.file)).toEqual([
      '3:10: project.network: missing required key "network"',
      '3:10: project.dnsZone: missing required key "dnsZone"',
      '3:10: project.bucket: missing required key "bucket": workspaceClusters[0] (gke) use the gcs backend, the default for gke and k3s; set project.bucket or terraform.backend.type local or pg',
    ]);
  });

  it('checks the id shape of the shorthand too', () => {
    expect(problems(edit(BASE, PROJECT, 'project: Gitpod_Staging\n'), ctx.file)[0]).toMatch(/^3:10: project\.id: "Gitpod_Staging" is not a gcp project id/);
  });

  it('still accepts the mapping', () => {
    expect(valid(BASE, ctx.file).config.project.id).toBe('gitpod-191109');
  });
});

describe('over-indented keys of a list item', () => {
  it('says it once per item, in words, instead of the yaml error cascade', () => {
    const text = edit(BASE, '  - region: europe-west1\n    prefix: eu\n    governedBy: prod-meta-eu01\n', '  - region: europe-west1\n      prefix: eu\n      governedBy: prod-meta-eu01\n  - region: us-west1\n      prefix: us\n');
    const gkeModule = (i: number) =>
      `workspaceClusters[${i}].type: workspaceClusters[${i}] is a gke cluster that Terraform creates, but terraform.module.source is not set; set it to the module that creates a workspace cluster (docs/terraform-module.md), or set create: false for an existing cluster`;
    // The yaml can still be read once the keys are aligned: what else is wrong is reported with it, at the written positions.
    expect(problems(text, ctx.file)).toEqual([
      `12:5: ${gkeModule(0)}`,
      '13:7: (yaml): `prefix` and `governedBy` are indented more than `region` above them; align them (4 spaces before each key of this list item)',
      '15:5: workspaceClusters[1].governedBy: missing required key "governedBy"',
      `15:5: ${gkeModule(1)}`,
      '16:7: (yaml): `prefix` is indented more than `region` above it; align them (4 spaces before each key of this list item)',
    ]);
  });

  it('leaves valid nesting under a key without a value alone', () => {
    expect(() => valid(edit(BASE, '    governedBy: prod-meta-eu01\n', '    governedBy: prod-meta-eu01\n    valuesFiles:\n      - values/eu.yaml\n'), ctx.file)).not.toThrow();
  });
});
