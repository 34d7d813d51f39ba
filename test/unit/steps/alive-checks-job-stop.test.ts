/**
 * The alive test's deadline and a Kubernetes call's deadline count running time only: a stop of the job (Ctrl-Z)
 * longer than either does not fail them on `fg`. Stops are credited as job-control.ts credits them (`recordPause`,
 * or test/helpers/job-stop.ts where a timer must come due during the stop).
 */
import { describe, expect, it } from 'vitest';
import { recordPause } from '../../../src/core/job-pause.js';
import { nullSink } from '../../../src/core/events.js';
import { runChecks, type AliveCheck } from '../../../src/steps/alive/checks.js';
import { withDeadline } from '../../../src/tools/kube/kube-config.js';
import { stopJobFor } from '../../helpers/job-stop.js';

describe('the alive test across a stop of the job', () => {
  it('a check that fails, then the job stopped ten times the timeout, is probed again on `fg` and passes', async () => {
    let wall = 5_000_000;
    let probes = 0;
    const check: AliveCheck = {
      name: 'http https://example.test/ready',
      probe: () => {
        probes += 1;
        if (probes > 1) return Promise.resolve({ ok: true, state: 'status 200' });
        // Stopped during the probe for 10 min on a 60 s alive test.
        wall += 600_000;
        recordPause(600_000);
        return Promise.resolve({ ok: false, state: 'got status 503, want 200' });
      },
    };
    const report = await runChecks([check], { timeoutMs: 60_000, pollMs: 1, sink: nullSink, cluster: 'c', step: 'alive-test', now: () => wall });
    expect(report.checks).toEqual([{ name: check.name, state: 'status 200', rounds: 2 }]);
    expect(probes).toBe(2);
  });

  it('still fails at its deadline when no stop came in between', async () => {
    let wall = 5_000_000;
    const check: AliveCheck = {
      name: 'command ./check.sh',
      probe: () => {
        wall += 40_000;
        return Promise.resolve({ ok: false, state: 'exit code 1' });
      },
    };
    await expect(runChecks([check], { timeoutMs: 60_000, pollMs: 1, sink: nullSink, cluster: 'c', step: 'alive-test', now: () => wall })).rejects.toMatchObject({
      code: 'AliveTestFailed',
    });
  });
});

describe('a Kubernetes call across a stop of the job', () => {
  it('an answer due before the deadline in running time is taken, though the stop outlasted the deadline', { timeout: 60_000 }, async () => {
    // The answer comes 1.5 s into the call, the deadline is 1 s running time; the job stops 3 s, 0.1 s in.
    const answer = new Promise<string>((res) => setTimeout(() => res('answered'), 1_500));
    const call = withDeadline(answer, 1_000, 'reading CRD x').catch((e: unknown) => (e as Error).message);
    await new Promise((res) => setTimeout(res, 100));
    stopJobFor(3_000);
    // Without a stop this call would have timed out at 1 s: the deadline was moved by the stop, not dropped.
    expect(await call).toBe('answered');
  });

  it('a call with no answer still fails at its deadline', { timeout: 60_000 }, async () => {
    await expect(withDeadline(new Promise<never>(() => undefined), 1_000, 'reading CRD x')).rejects.toThrow(/reading CRD x got no answer within 1 s/);
  });
});
