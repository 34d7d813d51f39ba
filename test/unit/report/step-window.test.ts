/** When steps ran, for the summary's RAN column and status's `overlapping`. */
import { describe, expect, it } from 'vitest';
import { overlappingSteps, stepWindow } from '../../../src/report/step-window.js';
import type { StepRecordState } from '../../../src/state/model.js';

const at = (s: number) => new Date(Date.parse('2026-12-01T10:00:00.000Z') + s * 1000).toISOString();
const step = (name: StepRecordState['name'], from?: number, to?: number, state: StepRecordState['state'] = 'succeeded'): StepRecordState => ({
  name,
  state,
  attempts: from === undefined ? 0 : 1,
  ...(from !== undefined ? { startedAt: at(from) } : {}),
  ...(to !== undefined ? { endedAt: at(to) } : {}),
});

describe('step windows', () => {
  it('prints start and end from the deployment start, open-ended while running', () => {
    expect(stepWindow(step('install-gitpod', 3.25, 7.5), at(0))).toBe('+3.3s→+7.5s');
    expect(stepWindow(step('install-gitpod', 3, undefined, 'running'), at(0))).toBe('+3.0s→');
    expect(stepWindow(step('alive-test'), at(0))).toBe('');
    expect(stepWindow(step('create-cluster', 0, 1200), at(0))).toBe('+0.0s→+1200s');
  });

  it('finds the steps that overlapped; touching ends do not overlap; a running step reaches to now', () => {
    const steps = [
      step('create-cluster', 0, 10),
      step('install-gitpod', 10, 50),
      step('install-jaeger', 10, 20),
      step('install-monitoring', 11, undefined, 'running'),
      step('alive-test'),
    ];
    expect(overlappingSteps(steps[1] as StepRecordState, steps, at(30))).toEqual(['install-jaeger', 'install-monitoring']);
    expect(overlappingSteps(steps[0] as StepRecordState, steps, at(30))).toEqual([]);
    expect(overlappingSteps(steps[3] as StepRecordState, steps, at(30))).toEqual(['install-gitpod', 'install-jaeger']);
    expect(overlappingSteps(steps[4] as StepRecordState, steps, at(30))).toEqual([]);
  });
});
