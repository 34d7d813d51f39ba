/**
 * The sandbox example's traffic shift with shorter waits, for e2e tests: the
 * example's 5 s interval, bake and staff stage make a generation-2 deploy take
 * minutes; tests set them to what they need (default 1 s each) in their copy.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface ShiftTimes {
  /** trafficShift.interval (the example: 5s). */
  interval?: string;
  /** trafficShift.bake (the example: 5s). */
  bake?: string;
  /** trafficShift.staffStage.duration (the example: 5s). */
  staff?: string;
}

/** `text` (the sandbox example's YAML) with the shift's waits replaced; throws when the example no longer has them. */
export function withShiftTimes(text: string, times: ShiftTimes = {}): string {
  const edits: Array<[RegExp, string]> = [
    [/interval: 5s/, `interval: ${times.interval ?? '1s'}`],
    [/bake: 5s/, `bake: ${times.bake ?? '1s'}`],
    [/duration: 5s/, `duration: ${times.staff ?? '1s'}`],
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
