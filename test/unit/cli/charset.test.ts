import { describe, expect, it } from 'vitest';
import { localeIsUtf8, toAscii } from '../../../src/cli/render/charset.js';
import { fitTerminalWidth } from '../../../src/cli/render/fit-width.js';

describe('the character set a terminal gets (render/charset.ts)', () => {
  it('reads the locale as the C library does: LC_ALL, then LC_CTYPE, then LANG; an empty one is unset; none is C', () => {
    expect(localeIsUtf8({})).toBe(false);
    expect(localeIsUtf8({ LANG: 'C' })).toBe(false);
    expect(localeIsUtf8({ LANG: 'en_US.ISO-8859-1' })).toBe(false);
    for (const LANG of ['C.UTF-8', 'en_US.utf8', 'de_DE.UTF-8@euro', 'C.utf-8']) expect(localeIsUtf8({ LANG }), LANG).toBe(true);
    expect(localeIsUtf8({ LC_ALL: 'C', LC_CTYPE: 'C.UTF-8', LANG: 'C.UTF-8' })).toBe(false);
    expect(localeIsUtf8({ LC_CTYPE: 'C.UTF-8', LANG: 'C' })).toBe(true);
    expect(localeIsUtf8({ LC_ALL: '', LC_CTYPE: 'POSIX', LANG: 'C.UTF-8' })).toBe(false);
    expect(localeIsUtf8({ LC_ALL: '', LC_CTYPE: '', LANG: 'C.UTF-8' })).toBe(true);
  });

  it('says in ASCII what the CLI and its tools write, anything else as `?`', () => {
    expect(toAscii('score 10 (10 %) → 50 — ≥ 3 starts… it’s')).toBe("score 10 (10 %) -> 50 -- >= 3 starts... it's");
    expect(toAscii('╷\n│ Error: x\n╵')).toBe('|\n| Error: x\n|');
    expect(toAscii('café 日本')).toBe('cafe ??');
    expect(toAscii('\x1b[2A\r\x1b[Jplain')).toBe('\x1b[2A\r\x1b[Jplain');
  });

  it('cuts a line to the width with the ellipsis the terminal can show', () => {
    expect(fitTerminalWidth('gp-dev-ws-eu100 → create-cluster', 12, { LANG: 'C' })).toBe('gp-dev-ws...');
    expect(fitTerminalWidth('gp-dev-ws-eu100 → create-cluster', 12, { LANG: 'C.UTF-8' })).toBe('gp-dev-ws-e…');
  });
});
