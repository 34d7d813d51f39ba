/**
 * `clusters uncordon` of a cluster in a state this tool does not know (state 7 from a newer bridge, here the reference
 * bridge) on a real terminal (a pseudo-terminal read back through a headless terminal emulator): the built CLI says
 * what it saw (UNKNOWN(7)) and why above the question, and asks for the cluster's name. A wrong name or Ctrl-C is a
 * clear no (exit 130, nothing sent: the state is still 7); the name uncordons it and says what it replaced. Deregister
 * of it asks the same way, in the same words.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startPty } from '../helpers/pty.js';
import { ReferenceBridge } from '../helpers/reference-bridge/reference-bridge.js';
import { requireBinary } from '../helpers/require-binary.js';
import { RegistryClient } from '../../src/registry/client.js';

const hasTools = requireBinary('python3', 'the pseudo-terminal is Python’s pty module');
/** Its trailing space is no content on the screen. */
const QUESTION = /Type the cluster name to uncordon it anyway:\n>/;

describe.skipIf(!hasTools)('clusters uncordon of a cluster in an unknown state, at a real terminal', () => {
  let bridge: ReferenceBridge;
  beforeEach(async () => {
    bridge = new ReferenceBridge('current', 'deployed');
    await bridge.start();
    const c = await RegistryClient.connect({ address: bridge.address, meta: 'setup' });
    await c.register({ name: 'eu2', url: 'dns:///ws-eu2.example.test:8080', tls: { ca: 'Y2E=', crt: 'Y3J0', key: 'a2V5' }, hints: { preferability: 'None', cordoned: true, govern: true }, admissionConstraints: [], region: 'europe' });
    c.close();
    bridge.setState('eu2', 7);
  });
  afterEach(() => bridge.stop());

  const uncordon = () => startPty(['clusters', '--bridge', bridge.address, 'uncordon', '--name', 'eu2'], { cols: 100 });
  const seen = () => `eu2 is in state UNKNOWN(7) on ${bridge.address}, a state this ws-deployment does not know (a newer ws-manager-bridge?)`;
  const why = () => `${seen()}: uncordoning replaces that state with AVAILABLE, which nothing sets back, and sends it new workspaces, so this tool cannot tell whether that is safe.`;

  for (const [name, keys, echo] of [
    ['a wrong name', 'eu22\r', ' eu22'],
    ['Ctrl-C', '\x03', ' ^C'],
  ] as const) {
    it(`${name} at the question is a no: exit 130, nothing sent, the state still 7`, async ({ onTestFinished }) => {
      const run = uncordon();
      onTestFinished(() => run.kill());
      await run.waitForScreen(QUESTION);
      run.type(keys);
      const result = await run.done;
      expect(result.code, result.raw).toBe(130);
      expect(result.lines.filter((l) => l !== '')).toEqual([why(), 'Type the cluster name to uncordon it anyway:', `>${echo}`, 'error: uncordon of eu2 not confirmed; nothing changed']);
      expect(bridge.calls.Update).toBe(0);
      expect(bridge.rows().find((r) => r.name === 'eu2')?.state).toBe(7);
    }, 60_000);
  }

  it('typing the name uncordons it and says what it replaced', async ({ onTestFinished }) => {
    const run = uncordon();
    onTestFinished(() => run.kill());
    await run.waitForScreen(QUESTION);
    run.type('eu2\r');
    const result = await run.done;
    expect(result.code, result.raw).toBe(0);
    expect(result.lines.filter((l) => l !== '')).toEqual([
      why(),
      'Type the cluster name to uncordon it anyway:',
      '> eu2',
      `eu2: uncordoned on ${bridge.address}`,
      `warning: ${seen()}; uncordon replaced that state with AVAILABLE, which no ws-deployment command sets back`,
    ]);
    expect(bridge.rows().find((r) => r.name === 'eu2')?.state).toBe('AVAILABLE');
  }, 60_000);
  // The prompt readline redraws is `> `: a longer one wrapped on a narrow terminal, and a resize made readline's redraw
  // erase the end of the sentence above it on a terminal that re-wraps the cursor's line ("… so this tool cannot").
  for (const reflowCursorLine of [false, true]) {
    it(`at 20 columns, resized to 14 then 40 while the name is typed, the question stays whole (${reflowCursorLine ? 'a terminal that re-wraps the cursor line' : 'one that cuts it'})`, async ({ onTestFinished }) => {
      const run = startPty(['clusters', '--bridge', bridge.address, 'uncordon', '--name', 'eu2'], { cols: 20, control: true, reflowCursorLine });
      onTestFinished(() => run.kill());
      await run.waitForScreen(/anyway:/);
      run.type('eu');
      await run.waitForScreen(/eu$/);
      for (const cols of [14, 40]) {
        const mark = run.written();
        await run.resize(cols);
        // Redrawn for the new width (readline answers the resize with the prompt and what was typed).
        await run.waitForOutput(/eu/, mark);
      }
      run.type('2\r');
      const result = await run.done;
      expect(result.code, result.raw).toBe(0);
      expect(result.lines.filter((l) => l !== '').slice(0, 4), result.lines.join('\n')).toEqual([why(), 'Type the cluster name to uncordon it anyway:', '> eu2', `eu2: uncordoned on ${bridge.address}`]);
    }, 60_000);
  }

  it('deregister asks the same way, saying UNKNOWN(7) as uncordon does; a wrong name deletes nothing', async ({ onTestFinished }) => {
    const run = startPty(['clusters', '--bridge', bridge.address, 'deregister', '--name', 'eu2'], { cols: 100 });
    onTestFinished(() => run.kill());
    await run.waitForScreen(/Type the cluster name to deregister it anyway:\n>/);
    run.type('eu\r');
    const result = await run.done;
    expect(result.code, result.raw).toBe(130);
    expect(result.lines.filter((l) => l !== '')).toEqual([
      `${seen()}, so it cannot tell whether deregistering it is safe.`,
      'Type the cluster name to deregister it anyway:',
      '> eu',
      'error: deregistration of eu2 not confirmed; nothing changed',
    ]);
    expect([bridge.calls.Deregister, bridge.rows().map((r) => r.state)]).toEqual([0, [7]]);
  }, 60_000);
});
