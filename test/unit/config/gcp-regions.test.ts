/**
 * A GCP region of the right shape that Google does not have is refused at its
 * position with a did-you-mean, unless the operator lists it in
 * `project.extraRegions` (the way past the list for regions newer than it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GCP_REGIONS, GCP_REGIONS_AS_OF } from '../../../src/config/gcp-regions.js';
import { BASE, configDir, edit, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

const tail = `if it is a region newer than this build's list (google cloud regions as of ${GCP_REGIONS_AS_OF}), add it to project.extraRegions`;

describe('gcp regions', () => {
  it('refuses an unknown workspace and meta cluster region, each at its value, with a guess', () => {
    const text = edit(edit(BASE, '  - region: europe-west1', '  - region: us-west9'), '    region: europe-west1', '    region: europe-wets1');
    expect(problems(text, ctx.file)).toEqual([
      `10:13: metaClusters[0].region: unknown gcp region "europe-wets1"; did you mean "europe-west1"? ${tail}`,
      `12:13: workspaceClusters[0].region: unknown gcp region "us-west9"; did you mean "us-west1"? ${tail}`,
    ]);
  });

  it('gives no guess when nothing is near', () => {
    const text = edit(BASE, '  - region: europe-west1', '  - region: mars-olympus1\n    bridgeRegion: europe');
    expect(problems(text, ctx.file)).toEqual([`12:13: workspaceClusters[0].region: unknown gcp region "mars-olympus1" ${tail}`]);
  });

  it('accepts a region listed in project.extraRegions', () => {
    const text = edit(BASE, '  - region: europe-west1', '  - region: us-west9');
    const loaded = valid(edit(text, '  bucket: gitpod-prod-tf-state\n', '  bucket: gitpod-prod-tf-state\n  extraRegions: [us-west9]\n'), ctx.file);
    expect(loaded.config.workspaceClusters[0]?.region).toBe('us-west9');
    expect(loaded.config.project.extraRegions).toEqual(['us-west9']);
  });

  it('checks the shape of project.extraRegions like any region', () => {
    const text = edit(BASE, '  bucket: gitpod-prod-tf-state\n', '  bucket: gitpod-prod-tf-state\n  extraRegions: [US West 9]\n');
    expect(problems(text, ctx.file)).toEqual(['8:18: project.extraRegions[0]: "US West 9" is not a gcp region; use the form <area>-<direction><number>; e.g. "europe-west1"']);
  });

  it('knows every region in its list, each of the shape the schema accepts', () => {
    for (const region of GCP_REGIONS) expect(region).toMatch(/^[a-z]+-[a-z]+[0-9]{1,2}$/);
    expect(new Set(GCP_REGIONS).size).toBe(GCP_REGIONS.length);
  });
});
