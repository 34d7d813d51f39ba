/**
 * A first generation's shift in the report's history: the new clusters take every new start from the watch on,
 * and keep them when the watch fails its gates (there is nothing to roll back to). The stages say 100 % and the
 * score chart keeps the new clusters at the score the shift set, not at 0 as if they had been rolled back.
 */
import { describe, expect, it } from 'vitest';
import { buildShiftHistory } from '../../../src/report/shift-history.js';
import type { JournalRecord } from '../../../src/state/model.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const checkpoint = (seq: number, outputs: Record<string, unknown>) => ({ type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs, seq, time: at(seq) }) as unknown as JournalRecord;

describe('a first generation in the shift history', () => {
  it('is at 100 % in the watch and after its gates failed, with its clusters at the score the shift set', () => {
    const clusters = { newClusters: [{ name: 'eu1', cluster: 'gp-dev-ws-eu1', region: 'eu' }], oldClusters: [] };
    const original = { meta: { eu1: { name: 'eu1', state: 'CORDONED', score: 0, maxScore: 100, static: false, admissionConstraints: [] } } };
    const history = buildShiftHistory([
      checkpoint(1, { clusters, original, progress: { phase: 'start', stepIndex: 0 } }),
      checkpoint(2, { progress: { phase: 'watch', stepIndex: 0 } }),
      checkpoint(3, { progress: { phase: 'failed', stepIndex: 0, reason: 'fail' } }),
    ])!;
    expect(history.stages.map((s) => [s.phase, s.percent])).toEqual([['start', 0], ['watch', 100], ['failed', 100]]);
    expect(history.stages.at(-1)?.label).toBe('gates failed (first generation, left taking every start)');
    expect(history.rollback).toBeUndefined();
    expect(history.scores).toEqual([{ meta: 'meta', cluster: 'eu1', role: 'new', points: [{ time: at(1), score: 0 }, { time: at(2), score: 100 }] }]);
  });
});
