/**
 * The file-store environment lock under contenders that start in the same
 * millisecond (separate processes running the compiled lock the CLI uses).
 * The CLI-level race in concurrent-deploy.test.ts has process start-up jitter
 * of tens of milliseconds, which hides windows of microseconds; here the
 * contenders spin until an agreed instant. Exactly one may win each round, both
 * on a free lock and on a stale lock left by a process that died (what every
 * SIGKILL in kill-every-boundary.test.ts leaves behind).
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

function contender(dir: string, startAt: number): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CONTENDER, dir, String(startAt), '200'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 && out.trim() ? resolve(JSON.parse(out) as Attempt) : reject(new Error(`contender exited ${code}: ${err}`))));
  });
}

/** Runs `rounds` rounds of `n` simultaneous contenders; returns how many won in each round. */
async function rounds(root: string, count: number, n: number, prepare: (dir: string) => void): Promise<number[]> {
  const winners: number[] = [];
  for (let round = 0; round < count; round++) {
    const dir = join(root, `round-${round}`);
    mkdirSync(dir, { recursive: true });
    prepare(dir);
    // Far enough ahead that every contender has loaded the module and is spinning.
    const startAt = Date.now() + 300;
    const attempts = await Promise.all(Array.from({ length: n }, () => contender(dir, startAt)));
    winners.push(attempts.filter((a) => a.won).length);
    for (const a of attempts.filter((x) => !x.won)) expect(a.message).toMatch(/is locked by pid \d+ on |another run is starting at the same time/);
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
