/**
 * The alive test's polling engine: every check is probed each round until it
 * passes once; the test passes when all have passed, and fails at the overall
 * deadline naming each check still failing with the last state it observed.
 */
import { WsdError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { runningClock } from '../../core/job-pause.js';
import { sleep } from '../../core/sleep.js';

/** What one probe saw. `state` is shown to users: make it specific ("0/1 ready, reason ImagePullBackOff"). */
export interface ProbeResult {
  ok: boolean;
  state: string;
}

/** One alive check. `probe` must not throw for "not alive yet"; it throws only for errors no retry can fix. */
export interface AliveCheck {
  /** e.g. `rollout default`, `http https://…`, `ws-manager …`, `command ./check.sh`. */
  name: string;
  /** `budgetMs`: time left before the overall deadline (bound your own timeouts by it). */
  probe(budgetMs: number): Promise<ProbeResult>;
}

interface RunChecksOptions {
  timeoutMs: number;
  pollMs: number;
  signal?: AbortSignal;
  sink: EventSink;
  cluster: string;
  step: string;
  /** Injected for tests; defaults to Date.now. */
  now?: () => number;
}

/** Summary of a passed alive test (step outputs). */
interface AliveReport {
  checks: Array<{ name: string; state: string; rounds: number }>;
  durationMs: number;
}

/** Runs the checks until all pass or the deadline expires (then throws `AliveTestFailed`). */
export async function runChecks(checks: readonly AliveCheck[], options: RunChecksOptions): Promise<AliveReport> {
  // Running time: the time the job was stopped (Ctrl-Z) does not count against the alive test's deadline.
  const now = runningClock(options.now ?? Date.now);
  const started = now();
  const deadline = started + options.timeoutMs;
  const last = new Map<string, ProbeResult>();
  const passed = new Map<string, { state: string; rounds: number }>();
  let round = 0;
  while (true) {
    round++;
    for (const check of checks) {
      if (passed.has(check.name)) continue;
      const result = await check.probe(Math.max(1_000, deadline - now()));
      last.set(check.name, result);
      if (result.ok) {
        passed.set(check.name, { state: result.state, rounds: round });
        options.sink.emit({ level: 'info', code: 'alive.pass', cluster: options.cluster, step: options.step, message: `${check.name}: ${result.state}` });
      } else {
        options.sink.emit({ level: 'debug', code: 'alive.wait', cluster: options.cluster, step: options.step, message: `${check.name}: ${result.state}` });
      }
    }
    if (passed.size === checks.length) {
      return { checks: checks.map((c) => ({ name: c.name, ...(passed.get(c.name) ?? { state: '', rounds: round }) })), durationMs: now() - started };
    }
    if (now() + options.pollMs > deadline) break;
    await sleep(options.pollMs, options.signal);
  }
  const failing = checks.filter((c) => !passed.has(c.name)).map((c) => `${c.name}: ${last.get(c.name)?.state ?? 'never observed'}`);
  throw new WsdError('AliveTestFailed', `alive test failed after ${Math.round((now() - started) / 1000)} s: ${failing.join('; ')}`, {
    details: { failing, passed: [...passed.keys()] },
  });
}
