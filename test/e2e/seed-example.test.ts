/**
 * The original design's example config (test/fixtures/config/seed-example.yaml)
 * through `validate`: exactly its real mistakes (the `us-west-1` region, the
 * undeclared `prod-meta-eu01`), what a gke cluster still needs (project network,
 * DNS zone, state bucket, the Terraform module), and — in the same run, because
 * the YAML can still be read once aligned — its over-indented list items, each
 * at its position in the file as written.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const SEED = new URL('../fixtures/config/seed-example.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'wsd-seed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GKE_MODULE = (i: number): string =>
  `workspaceClusters[${i}].type: workspaceClusters[${i}] is a gke cluster that Terraform creates, but terraform.module.source is not set; set it to the module that creates a workspace cluster (docs/terraform-module.md), or set create: false for an existing cluster`;
const STILL_NEEDED = [
  '7:10: project.network: missing required key "network"',
  '7:10: project.dnsZone: missing required key "dnsZone"',
  '7:10: project.bucket: missing required key "bucket": workspaceClusters[0] (gke), workspaceClusters[1] (gke) use the gcs backend, the default for gke and k3s; set project.bucket or terraform.backend.type local or pg',
  `12:5: ${GKE_MODULE(0)}`,
];

async function validate(file: string): Promise<{ code: number | null; errors: string[] }> {
  const result = await runCli(['validate', '--config', file]);
  const errors = result.stderr
    .replace(/^error: /, '')
    .trim()
    .split('\n')
    .map((line) => line.replace(`${file}:`, ''));
  return { code: result.code, errors };
}

describe('the seed example', () => {
  it('as written: its over-indented items and its real mistakes together, each where it is in the file', async () => {
    const { code, errors } = await validate(SEED);
    expect(code).toBe(2);
    expect(errors).toEqual([
      ...STILL_NEEDED,
      '13:7: (yaml): `prefix` and `governedBy` are indented more than `region` above them; align them (4 spaces before each key of this list item)',
      `15:5: ${GKE_MODULE(1)}`,
      '15:13: workspaceClusters[1].region: "us-west-1" is not a gcp region; use the form <area>-<direction><number>; e.g. "europe-west1"',
      '16:7: (yaml): `prefix` and `governedBy` are indented more than `region` above them; align them (4 spaces before each key of this list item)',
      // Column 19 of the line as written (17 once aligned).
      '17:19: workspaceClusters[1].governedBy: "prod-meta-eu01" is not a meta cluster; meta clusters: stag-meta-eu01',
    ]);
  });

  it('aligned: exactly the region, the meta cluster name and what a gke cluster still needs', async () => {
    const aligned = join(dir, 'seed-aligned.yaml');
    writeFileSync(aligned, readFileSync(SEED, 'utf8').replace(/^ {6}/gm, '    '));
    const { code, errors } = await validate(aligned);
    expect(code).toBe(2);
    expect(errors).toEqual([
      ...STILL_NEEDED,
      `15:5: ${GKE_MODULE(1)}`,
      '15:13: workspaceClusters[1].region: "us-west-1" is not a gcp region; use the form <area>-<direction><number>; e.g. "europe-west1"',
      '17:17: workspaceClusters[1].governedBy: "prod-meta-eu01" is not a meta cluster; meta clusters: stag-meta-eu01',
    ]);
  });
});
