/**
 * The sandbox example's traffic shift with shorter waits, for e2e tests: the
 * example's 5 s interval, bake and staff stage make a generation-2 deploy take
 * minutes; tests set them to what they need (default 1 s each) in their copy.
 *
 * The other wait is the gate's evidence: at 95 % confidence a step passes only
 * once a new cluster has taken ~35 starts without a failure, and at the 10 % step
 * the sandbox's simulated users give it about one a second, so step 1 alone holds
 * ~35 s. Suites that test what an operator sees and does, not the statistics,
 * set {@link ShiftTimes.confidence} (e.g. {@link QUICK_GATE}): a sandbox cluster
 * never fails a start unless a fault is injected, so the gate still passes, at
 * its minSamples instead.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface ShiftTimes {
  /** trafficShift.interval (the example: 5s). */
  interval?: string;
  /** trafficShift.bake (the example: 5s). */
  bake?: string;
  /** trafficShift.staffStage.duration (the example: 5s). */
  staff?: string;
  /**
   * The start-failure-ratio gate's confidence (Wilson bounds; the example: the default 0.95). Unset: as
   * the example. Lower it for a gate that passes on its minSamples (3 starts) instead of ~35.
   */
  confidence?: number;
  /** Passing measurements the gate needs in each step (the metric's count; the example: 1). Sets a step's least length. */
  passes?: number;
}

/** A confidence at which the healthy sandbox's gate passes on its minSamples: each step takes seconds, not half a minute. */
export const QUICK_GATE = 0.6;

/** `text` (the sandbox example's YAML) with the shift's waits replaced; throws when the example no longer has them. */
export function withShiftTimes(text: string, times: ShiftTimes = {}): string {
  const edits: Array<[RegExp, string]> = [
    [/interval: 5s/, `interval: ${times.interval ?? '1s'}`],
    [/bake: 5s/, `bake: ${times.bake ?? '1s'}`],
    [/duration: 5s/, `duration: ${times.staff ?? '1s'}`],
    ...(times.confidence === undefined ? [] : [[/threshold: \{ max: 0\.1 \}/, `threshold: { max: 0.1, confidence: ${times.confidence} }`] as [RegExp, string]]),
    ...(times.passes === undefined ? [] : [[/( +)minSamples: 3\n/, `$1minSamples: 3\n$1count: ${times.passes}\n`] as [RegExp, string]]),
  ];
  return edits.reduce((out, [pattern, replacement]) => {
    if (!pattern.test(out)) throw new Error(`the sandbox example has no ${pattern} any more: update test/helpers/sandbox-config.ts`);
    return out.replace(pattern, replacement);
  }, text);
}

/** Rewrites the config file at `path` (a copy of the sandbox example) with {@link withShiftTimes}. */
export function shortenShift(path: string, times: ShiftTimes = {}): void {
  writeFileSync(path, withShiftTimes(readFileSync(path, 'utf8'), times));
}
