/**
 * `dependsOn` between the helm releases: unknown names and cycles are config
 * errors, positioned at the entry like every other config error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, configDir, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

/** BASE plus release sections; line 15 is the first added line. */
const withReleases = (jaeger: string, monitoring: string) => `${BASE}jaeger:
  dependsOn: ${jaeger}
monitoring:
  manifests:
    directory: values
  dependsOn: ${monitoring}
`;

describe('config: release dependsOn', () => {
  it('accepts declared dependencies between known releases, and defaults to none', () => {
    const { config } = valid(withReleases('[monitoring]', '[]'), ctx.file);
    expect(config.jaeger?.dependsOn).toEqual(['monitoring']);
    expect(config.monitoring?.dependsOn).toEqual([]);
    expect(valid(`${BASE}jaeger: {}\n`, ctx.file).config.jaeger?.dependsOn).toEqual([]);
  });

  it('refuses an unknown release name at the entry, naming the known ones', () => {
    expect(problems(withReleases('[gitpod, jager]', '[]'), ctx.file)).toEqual([
      '16:23: jaeger.dependsOn[1]: unknown release "jager"; dependsOn names releases by their config section: gitpod, jaeger, monitoring',
    ]);
  });

  it('refuses a cycle with its path, at the entry that closes it', () => {
    expect(problems(withReleases('[monitoring]', '[jaeger]'), ctx.file)).toEqual([
      '20:15: monitoring.dependsOn[0]: dependency cycle: jaeger → monitoring → jaeger; releases in a cycle could never install, so remove one of these dependsOn entries',
    ]);
  });

  it('refuses a release that waits for itself', () => {
    expect(problems(withReleases('[jaeger]', '[]'), ctx.file)).toEqual([
      '16:15: jaeger.dependsOn[0]: dependency cycle: jaeger → jaeger; releases in a cycle could never install, so remove one of these dependsOn entries',
    ]);
  });

  it('refuses a cycle through three releases', () => {
    const text = `${withReleases('[monitoring]', '[gitpod]')}gitpod:\n  chart: { path: values, name: gitpod }\n  dependsOn: [jaeger]\n`;
    expect(problems(text, ctx.file)).toEqual([
      '20:15: monitoring.dependsOn[0]: dependency cycle: gitpod → jaeger → monitoring → gitpod; releases in a cycle could never install, so remove one of these dependsOn entries',
    ]);
  });
});
