import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, configDir, edit, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

describe('config: YAML numbers and booleans where text is expected', () => {
  it('says what was written (not what YAML made of it) and that quotes keep it text', () => {
    const text = edit(edit(edit(BASE, 'id: gitpod-191109', 'id: 010'), 'dnsZone: gitpod.io', 'dnsZone: 1e3'), 'network: gitpod-prod', 'network: true');
    expect(problems(text, ctx.file)).toEqual([
      '4:7: project.id: expected a string, got number 10 (written 010); put it in quotes, "010", to keep it text',
      '5:12: project.network: expected a string, got boolean true (written true); put it in quotes, "true", to keep it text',
      '6:12: project.dnsZone: expected a string, got number 1000 (written 1e3); put it in quotes, "1e3", to keep it text',
    ]);
    expect(problems(edit(BASE, '    prefix: eu', '    prefix: 0x1F'), ctx.file)).toEqual([
      '13:13: workspaceClusters[0].prefix: expected a string, got number 31 (written 0x1F); put it in quotes, "0x1F", to keep it text',
    ]);
  });

  it('YAML 1.1 booleans (no, on, yes) stay text, as YAML 1.2 reads them', () => {
    expect(valid(edit(BASE, 'network: gitpod-prod', 'network: no'), ctx.file).config.project.network).toBe('no');
  });
});
