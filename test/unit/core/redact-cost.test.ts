/**
 * Registering a secret costs that secret's forms, not all the secrets registered before it. Secrets are added
 * one by one (a key file read, a token fetched), with redactions in between: a matcher rebuilt at each add made
 * a run with a few hundred secrets spend seconds redacting. Measured in CPU time (CI boxes are loaded), the best
 * of three rounds, against a margin that a cost growing with the number of secrets cannot meet (it is 10 times
 * the secrets at the end) and a constant one meets many times over.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/core/redact.js';

const secret = (i: number): string => createHash('sha256').update(`secret ${i}`).digest('base64').slice(0, 32);

/** CPU milliseconds `run` takes. */
function cpuMs(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** CPU time of the first and of the last `batch` of `total` adds, a redaction after each. */
function firstAndLast(total: number, batch: number): [number, number] {
  const redactor = new Redactor();
  const addAndRedact = (from: number, to: number) => () => {
    for (let i = from; i < to; i++) {
      redactor.add(secret(i));
      redactor.redact(`helm upgrade line ${i} with nothing secret in it`);
    }
  };
  const first = cpuMs(addAndRedact(0, batch));
  addAndRedact(batch, total - batch)();
  return [first, cpuMs(addAndRedact(total - batch, total))];
}

describe('Redactor cost', () => {
  it('an add and a redaction cost about as much with 300 secrets registered as with 30', () => {
    const rounds = [0, 1, 2].map(() => firstAndLast(300, 30));
    const best = Math.min(...rounds.map(([first, last]) => last - 4 * first));
    expect(best, `first and last 30 adds, CPU ms: ${JSON.stringify(rounds)}`).toBeLessThan(20);
  }, 120_000);
});
