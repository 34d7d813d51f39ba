/**
 * The file-store environment lock under contenders that start in the same
 * millisecond: separate processes running the compiled lock the CLI uses. The
 * CLI-level race in concurrent-deploy.test.ts has start-up jitter of tens of
 * milliseconds, which hides windows of microseconds; here every contender first
 * loads the module and reports ready, then all get one start time and spin
 * until it. A winner holds the lock until the round ends, so two winners in a
 * round held it at the same time. Exactly one may win, both on a free lock and
 * on a stale lock left by a process that died (what every SIGKILL in
 * kill-every-boundary.test.ts leaves behind).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../../helpers/cli.js';

const CONTENDER = join(REPO, 'test', 'fixtures', 'faults', 'lock-contender.mjs');
const LOCK_FILE = 'sandbox-project--development.lock';

interface Attempt {
  won: boolean;
  message?: string;
}

interface Contender {
  /** Resolves once the contender has loaded the lock module and waits for the start time. */
  ready: Promise<void>;
  /** Sends the start time. */
  go(startAt: number): void;
  /** Resolves with the contender's verdict as soon as it printed it (a winner keeps running). */
  attempt: Promise<Attempt>;
  /** Ends a winner (losers have exited already) and waits until it is gone. */
  stop(): Promise<void>;
}

function contender(dir: string): Contender {
  const child = spawn(process.execPath, [CONTENDER, dir, '20000'], { stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const complete = out.split('\n');
    out = complete.pop() ?? '';
    for (const line of complete) lines.push(JSON.parse(line) as Record<string, unknown>);
    waiters.splice(0).forEach((w) => w());
  });
  const line = (n: number): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (lines[n]) resolve(lines[n]);
        else waiters.push(check);
      };
      check();
      void closed.then((code) => reject(new Error(`contender exited ${code} after ${lines.length} lines: ${err}`)));
    });
  return {
    ready: line(0).then(() => undefined),
    go: (startAt) => child.stdin.end(`${startAt}\n`),
    attempt: line(1).then((l) => ({ won: l.won === true, message: typeof l.message === 'string' ? l.message : undefined })),
    stop: async () => {
      child.kill('SIGKILL');
      await closed;
    },
  };
}

/** Runs `rounds` rounds of `n` simultaneous contenders; returns how many won in each round. */
async function rounds(root: string, count: number, n: number, prepare: (dir: string) => void): Promise<number[]> {
  const winners: number[] = [];
  for (let round = 0; round < count; round++) {
    const dir = join(root, `round-${round}`);
    mkdirSync(dir, { recursive: true });
    prepare(dir);
    const contenders = Array.from({ length: n }, () => contender(dir));
    try {
      await Promise.all(contenders.map((c) => c.ready));
      // Everyone has loaded the module: a start a few milliseconds ahead finds them all spinning.
      const startAt = Date.now() + 20;
      for (const c of contenders) c.go(startAt);
      const attempts = await Promise.all(contenders.map((c) => c.attempt));
      winners.push(attempts.filter((a) => a.won).length);
      for (const a of attempts.filter((x) => !x.won)) expect(a.message).toMatch(/is locked by pid \d+ on |other runs keep starting|another run is starting at the same time/);
    } finally {
      await Promise.all(contenders.map((c) => c.stop()));
    }
  }
  return winners;
}

describe('file lock under simultaneous contenders', () => {
  const root = mkdtempSync(join(tmpdir(), 'wsd-lock-race-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lets exactly one of four win a free lock, every round', { timeout: 30_000 }, async () => {
    const winners = await rounds(join(root, 'free'), 8, 4, () => undefined);
    expect(winners).toEqual(winners.map(() => 1));
  });

  it('lets exactly one of two take over a stale lock, every round', { timeout: 30_000 }, async () => {
    const stale = JSON.stringify({ pid: 2 ** 22 + 1, host: hostname(), deploymentId: '20261125-000000-dead', command: 'deploy', since: new Date().toISOString() });
    const winners = await rounds(join(root, 'stale'), 8, 2, (dir) => writeFileSync(join(dir, LOCK_FILE), stale));
    expect(winners).toEqual(winners.map(() => 1));
  });
});
