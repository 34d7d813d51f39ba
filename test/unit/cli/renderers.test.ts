import { describe, expect, it } from 'vitest';
import { JsonRenderer, LineRenderer } from '../../../src/cli/render/line-renderer.js';
import { TtyRenderer } from '../../../src/cli/render/tty-renderer.js';
import { canRedraw, terminalAbilities } from '../../../src/cli/render/terminal.js';
import xterm from '@xterm/headless';
import { logicalLines } from '../../helpers/pty.js';

const { Terminal } = xterm;

function stream() {
  const chunks: string[] = [];
  return { write: (t: string) => chunks.push(t), text: () => chunks.join('') };
}
const time = '2026-11-25T08:30:01.000Z';

describe('renderers', () => {
  it('only a terminal that can redraw gets the live area: not a pipe, not TERM=dumb, unset, empty or a VT52', () => {
    expect(canRedraw({ isTTY: true }, { TERM: 'xterm-256color' })).toBe(true);
    expect(canRedraw({ isTTY: true }, { TERM: 'vt100' })).toBe(true);
    for (const TERM of [undefined, '', 'dumb', 'unknown', 'vt52']) expect(canRedraw({ isTTY: true }, { TERM }), `TERM=${TERM}`).toBe(false);
    expect(canRedraw({ isTTY: false }, { TERM: 'xterm' })).toBe(false);
    expect(canRedraw({}, { TERM: 'xterm' })).toBe(false);
  });

  it('only a terminal whose terminfo entry has smcup gets the alternate screen', () => {
    for (const TERM of ['xterm', 'xterm-256color', 'screen-256color', 'tmux-256color', 'rxvt-unicode', 'alacritty']) expect(terminalAbilities({ isTTY: true }, { TERM }), TERM).toEqual({ redraw: true, alternateScreen: true });
    for (const TERM of ['vt100', 'vt220', 'ansi', 'linux', 'cons25']) expect(terminalAbilities({ isTTY: true }, { TERM }), TERM).toEqual({ redraw: true, alternateScreen: false });
    for (const TERM of ['dumb', 'vt52']) expect(terminalAbilities({ isTTY: true }, { TERM }), TERM).toEqual({ redraw: false, alternateScreen: false });
  });

  it('CI lines carry the cluster as a prefix and hide tool output unless verbose', () => {
    const out = stream();
    const r = new LineRenderer(out, false);
    r.emit({ time, level: 'info', code: 'step.start', cluster: 'gp-dev-ws-eu1-eu-west1', step: 'create-cluster', message: 'started' });
    r.emit({ time, level: 'debug', code: 'tool.stdout', cluster: 'gp-dev-ws-eu1-eu-west1', step: 'create-cluster', message: 'raw terraform line' });
    r.emit({ time, level: 'error', code: 'step.failed', cluster: 'gp-dev-ws-eu1-eu-west1', step: 'alive-test', message: 'ws-manager 0/1 ready' });
    expect(out.text()).toBe('08:30:01 [gp-dev-ws-eu1-eu-west1] create-cluster: started\n08:30:01 [gp-dev-ws-eu1-eu-west1] alive-test: ERROR ws-manager 0/1 ready\n');
    const verbose = stream();
    new LineRenderer(verbose, true).emit({ time, level: 'debug', code: 'tool.stdout', message: 'raw terraform line' });
    expect(verbose.text()).toContain('raw terraform line');
  });

  it('--json-log writes one parsable event per line', () => {
    const out = stream();
    const r = new JsonRenderer(out, false);
    r.emit({ time, level: 'info', code: 'deployment.start', message: 'go', data: { clusterId: 17 } });
    r.emit({ time, level: 'debug', code: 'tool.stdout', message: 'hidden without -v' });
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({ time, level: 'info', code: 'deployment.start', message: 'go', data: { clusterId: 17 } });
  });

  it('the terminal view keeps one line per cluster, cut to the width, and scrolls warnings above it', async () => {
    // Read back through an independent terminal emulator at 40 columns, where unwrapped lines used to corrupt the area.
    // convertEol: a pty's line discipline turns \n into \r\n (onlcr); the emulator alone would not.
    const term = new Terminal({ cols: 40, rows: 20, allowProposedApi: true, convertEol: true });
    let pending = Promise.resolve();
    const out = { columns: 40, rows: 20, write: (t: string) => void (pending = pending.then(() => new Promise<void>((r) => term.write(t, () => r())))) };
    const r = new TtyRenderer(out, false);
    const a = 'gp-dev-ws-eu201-eu-west1';
    const b = 'gp-dev-ws-us201-us-west1';
    for (const step of ['create-cluster', 'install-gitpod', 'install-monitoring']) {
      r.emit({ time, level: 'info', code: 'step.start', cluster: a, step, message: 'started' });
      r.emit({ time, level: 'warn', code: 'step.retry', cluster: a, step, message: 'retrying' });
      r.emit({ time, level: 'info', code: 'step.succeeded', cluster: b, step, message: 'ok' });
    }
    await pending;
    const screen = logicalLines(term);
    expect(screen.filter((l) => l.startsWith(`${a} `))).toHaveLength(1);
    expect(screen.filter((l) => l.startsWith(`${b} `))).toHaveLength(1);
    expect(screen.filter((l) => l.includes('WARN retrying'))).toHaveLength(3);
    // One row each: cut to the width, never wrapped.
    for (const line of screen.filter((l) => l.startsWith(`${a} `) || l.startsWith(`${b} `))) expect(line.length).toBeLessThanOrEqual(39);

    // close() erases the area: what the command prints next is never redrawn over.
    r.close();
    out.write('SUMMARY\n');
    r.emit({ time, level: 'info', code: 'step.start', cluster: a, step: 'alive-test', message: 'late' });
    await new Promise((res) => setTimeout(res, 250));
    await pending;
    const after = logicalLines(term);
    expect(after.at(-1)).toBe('SUMMARY');
    expect(after.filter((l) => l.startsWith(`${a} `) || l.startsWith(`${b} `))).toEqual([]);
  });

  it('holds output back while a question is on screen', () => {
    const out = stream();
    const r = new TtyRenderer(out, false);
    r.emit({ time, level: 'info', code: 'step.start', cluster: 'a', step: 'create-cluster', message: 'started' });
    r.suspend();
    const before = out.text().length;
    r.emit({ time, level: 'warn', code: 'x', message: 'held' });
    expect(out.text().length).toBe(before);
    r.resume();
    expect(out.text().slice(before)).toContain('WARN held');
    r.close();
  });

  it('the terminal view shows the steps of a cluster that run together side by side, then the latest outcome', () => {
    const out = stream();
    const r = new TtyRenderer(out, false);
    const ev = (code: string, step: string) => r.emit({ time, level: 'info', code, cluster: 'a', step, message: code });
    ev('step.succeeded', 'create-cluster');
    ev('step.start', 'install-gitpod');
    ev('step.start', 'install-jaeger');
    ev('step.start', 'install-monitoring');
    ev('step.succeeded', 'install-jaeger');
    // lines() is the area as drawn now (close() erases it, so the results are never drawn over).
    expect(r.lines()).toEqual([expect.stringMatching(/^a\s+install-gitpod start \(\d+s\) {2}\| {2}install-monitoring start \(\d+s\)$/)]);
    ev('step.succeeded', 'install-gitpod');
    ev('step.succeeded', 'install-monitoring');
    expect(r.lines()).toEqual([expect.stringMatching(/^a\s+install-monitoring\s+succeeded$/)]);
    r.close();
  });
});

describe('the terminal view on a terminal that is resized or short', () => {
  const names = ['gp-dev-ws-eu201-europe-west1', 'gp-dev-ws-us201-us-west1', 'gp-dev-ws-ap201-asia-southeast1'];
  /** A renderer writing to an independent terminal emulator (a pty's onlcr: convertEol) that can be resized as a window is. */
  function onTerminal(cols: number, rows: number, reflowCursorLine: boolean) {
    const term = new Terminal({ cols, rows, scrollback: 1000, allowProposedApi: true, convertEol: true, reflowCursorLine });
    let pending = Promise.resolve();
    const listeners: Array<() => void> = [];
    const out = {
      columns: cols,
      rows,
      write: (t: string) => void (pending = pending.then(() => new Promise<void>((r) => term.write(t, () => r())))),
      on: (_: 'resize', l: () => void) => void listeners.push(l),
      off: (_: 'resize', l: () => void) => void listeners.splice(listeners.indexOf(l), 1),
    };
    // What the operator had on screen before: it must survive every redraw and resize.
    out.write('earlier output the view must not touch\n$ ws-deployment deploy\n');
    const r = new TtyRenderer(out, false);
    return {
      r,
      out,
      screen: async () => (await pending, logicalLines(term)),
      resize: async (c: number, h = out.rows) => {
        // Everything written at the old size is on screen before the window changes (then SIGWINCH); a redraw
        // the view's timer writes meanwhile too.
        for (let seen; seen !== pending; ) await (seen = pending);
        term.resize(c, h);
        out.columns = c;
        out.rows = h;
        for (const l of [...listeners]) l();
      },
    };
  }
  const step = (r: TtyRenderer, cluster: string, s: string) => r.emit({ time, level: 'info', code: 'step.start', cluster, step: s, message: 'started' });

  for (const reflowCursorLine of [false, true]) {
    it(`narrower and wider: one line per cluster, no fragment of an older frame, the lines above kept (${reflowCursorLine ? 're-wraps' : 'cuts'} the cursor line)`, async () => {
      const t = onTerminal(70, 30, reflowCursorLine);
      for (const n of names) step(t.r, n, 'install-monitoring');
      // Lines longer than the terminal (re-wrapped too), enough of them to fill the screen and the scrollback.
      for (let i = 0; i < 40; i++) t.r.emit({ time, level: 'info', code: 'shift.watch', message: `the first generation's watch: pass: all deciding metrics passed, again and again (${i})` });
      t.r.emit({ time, level: 'warn', code: 'step.retry', cluster: names[0], step: 'install-monitoring', message: 'retrying' });
      for (const cols of [40, 120, 30, 90, 24, 70, 20, 100]) {
        await t.resize(cols);
        const screen = await t.screen();
        const expected = ['earlier output the view must not touch', '$ ws-deployment deploy', ...Array.from({ length: 40 }, (_, i) => `08:30:01 the first generation's watch: pass: all deciding metrics passed, again and again (${i})`), `08:30:01 [${names[0]}] install-monitoring: WARN retrying`, ...t.r.lines()];
        expect(screen, `at ${cols} columns`).toEqual(expected);
        for (const line of t.r.lines()) expect(line.length).toBeLessThan(cols);
      }
      t.r.close();
      t.out.write('SUMMARY\n');
      const after = await t.screen();
      expect(after.slice(-2)).toEqual([`08:30:01 [${names[0]}] install-monitoring: WARN retrying`, 'SUMMARY']);
    });
  }

  it('a frame taller than the terminal is cut to its height with a line saying how many more: no copies scroll away', async () => {
    const many = Array.from({ length: 12 }, (_, i) => `gp-dev-ws-eu${300 + i}-europe-west1`);
    const t = onTerminal(60, 6, true);
    for (const s of ['create-cluster', 'install-gitpod', 'install-monitoring']) for (const n of many) step(t.r, n, s);
    t.r.emit({ time, level: 'warn', code: 'x', message: 'a warning scrolls above' });
    for (const n of many) step(t.r, n, 'alive-test');
    const screen = await t.screen();
    // Scrollback included: each cluster's line at most once, the warning once, the last row says what is cut.
    for (const n of many) expect(screen.filter((l) => l.startsWith(`${n} `)).length, screen.join('\n')).toBeLessThanOrEqual(1);
    expect(screen.filter((l) => l.includes('a warning scrolls above'))).toHaveLength(1);
    expect(screen.at(-1)).toMatch(/^… 8 more clusters: a taller terminal shows them$/);
    expect(screen.slice(-5, -1)).toEqual(t.r.lines().slice(0, 4));
    // A taller window shows them all.
    await t.resize(60, 20);
    expect((await t.screen()).slice(-12)).toEqual(t.r.lines());
    t.r.close();
  });
});
