import { describe, expect, it } from 'vitest';
import { JsonRenderer, LineRenderer } from '../../../src/cli/render/line-renderer.js';
import { TtyRenderer } from '../../../src/cli/render/tty-renderer.js';

function stream() {
  const chunks: string[] = [];
  return { write: (t: string) => chunks.push(t), text: () => chunks.join('') };
}
const time = '2026-11-25T08:30:01.000Z';

describe('renderers', () => {
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

  it('the terminal view keeps one line per cluster and scrolls warnings above it', () => {
    const out = stream();
    const r = new TtyRenderer(out, false);
    r.emit({ time, level: 'info', code: 'step.start', cluster: 'a', step: 'create-cluster', message: 'started' });
    r.emit({ time, level: 'warn', code: 'step.retry', cluster: 'a', step: 'create-cluster', message: 'retrying' });
    r.emit({ time, level: 'info', code: 'step.start', cluster: 'b', step: 'create-cluster', message: 'started' });
    r.close();
    const text = out.text();
    expect(text).toContain('[a] create-cluster: WARN retrying');
    expect(text).toContain('\x1b[1A\x1b[0J'); // redrawn in place
    const last = text.slice(text.lastIndexOf('\x1b[0J') + 4);
    expect(last.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^a\s+create-cluster\s+retry/), expect.stringMatching(/^b\s+create-cluster\s+start/)]);
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
    r.close();
    const lastFrame = (text: string) => (text.includes('\x1b[0J') ? text.slice(text.lastIndexOf('\x1b[0J') + 4) : text).split('\n').filter(Boolean);
    expect(lastFrame(out.text())).toEqual([expect.stringMatching(/^a\s+install-gitpod start \(\d+s\) {2}\| {2}install-monitoring start \(\d+s\)$/)]);
    ev('step.succeeded', 'install-gitpod');
    ev('step.succeeded', 'install-monitoring');
    r.close();
    // close() leaves its frame on screen: the second close draws below it.
    expect(lastFrame(out.text()).at(-1)).toMatch(/^a\s+install-monitoring\s+succeeded$/);
  });
});
