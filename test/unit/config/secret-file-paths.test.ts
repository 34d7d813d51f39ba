/**
 * Files that hold credentials resolve against the config folder like every other
 * config path (not the working directory, where `./token` would be another file
 * or none).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, configDir, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

const prometheus = (tokenFile: string): string => `${BASE}trafficShift:
  steps: [50, 100]
  analysis:
    provider: { type: prometheus, url: "http://127.0.0.1:9090", bearerTokenFile: ${tokenFile} }
    metrics:
      - name: up
        query: 'up{cluster="{{cluster}}"}'
        threshold: { max: 1 }
`;

describe('analysis.provider.bearerTokenFile', () => {
  it('resolves a relative path against the config folder', () => {
    const config = valid(prometheus('./sa-key.json'), ctx.file).config;
    const provider = config.trafficShift?.analysis?.provider as { bearerTokenFile?: string };
    expect(provider.bearerTokenFile).toBe(path.join(ctx.dir, 'sa-key.json'));
  });
});
