/**
 * The evidence in words, per judge kind: counts against a threshold with the baseline's counts,
 * a Mann-Whitney comparison with U, p and the effect size, a plain value against a threshold,
 * and the scores set — hand-written records, so each phrase is checked against known numbers.
 */
import { describe, expect, it } from 'vitest';
import { clusterEvidenceWords, decisionEvidenceLines } from '../../../src/report/decision-words.js';

describe('decision evidence in words', () => {
  it('a ratio of starts: failures of starts, the ratio against the maximum, the Wilson bounds, the baseline, the rule', () => {
    const words = clusterEvidenceWords('start-failure-ratio', {
      cluster: 'eu18',
      outcome: 'fail',
      rule: 'threshold.max.decisive',
      message: 'ignored',
      value: 1,
      samples: 4,
      failures: 4,
      threshold: { max: 0.05 },
      baseline: { clusters: ['eu17'], samples: 39, failures: 0, value: 0, at: '2026-11-25T10:00:00.000Z' },
      statistics: { method: 'proportion', n1: 4, lower: 0.5101, upper: 1, confidence: 0.95 },
    });
    expect(words).toBe('start-failure-ratio on eu18: fail, 4 of 4 starts failed (ratio 1 > max 0.05, 95 % bounds [0.5101, 1]); baseline eu17: 0 of 39 starts failed (ratio 0) [rule threshold.max.decisive]');
  });

  it('a Mann-Whitney comparison: values, U, p, alpha, effect size and both sides', () => {
    const words = clusterEvidenceWords('start-latency', {
      cluster: 'eu18',
      outcome: 'fail',
      rule: 'mann-whitney.worse',
      message: 'ignored',
      value: 2.5,
      samples: 30,
      points: 30,
      baseline: { clusters: ['eu17', 'us17'], value: 1.2, points: 60, at: '2026-11-25T10:00:00.000Z' },
      statistics: { method: 'mann-whitney', n1: 30, n2: 60, u: 1620, pValue: 0.0001, alpha: 0.05, alternative: 'greater', exactness: 'asymptotic', rankBiserial: 0.8, meanNew: 2.6, meanOld: 1.1 },
    });
    expect(words).toBe(
      'start-latency on eu18: fail, value 2.5 over 30 samples (Mann-Whitney U=1620, p=0.0001 (alpha 0.05, greater, asymptotic), effect size 0.8, new mean 2.6 vs baseline 1.1, 30 vs 60 points); baseline eu17 + us17: value 1.2 over 60 points [rule mann-whitney.worse]',
    );
  });

  it('a plain value within its bounds, and a first generation without a baseline', () => {
    expect(clusterEvidenceWords('p95', { cluster: 'eu18', outcome: 'pass', rule: 'threshold.within', message: '', value: 0.3, samples: 5, threshold: { min: 0.1, max: 0.5 }, statistics: { method: 'threshold' } })).toBe(
      'p95 on eu18: pass, value 0.3 over 5 samples (value 0.3 ≤ max 0.5, value 0.3 ≥ min 0.1) [rule threshold.within]',
    );
  });

  it('a sequential threshold: the ratio, the LLR and its error rates', () => {
    expect(clusterEvidenceWords('start-failure-ratio', { cluster: 'eu18', outcome: 'fail', rule: 'sequential.reject', message: '', value: 0.3, samples: 20, failures: 6, threshold: { max: 0.1 }, statistics: { method: 'sequential', llr: 3.2, p0: 0.02, alpha: 0.05, beta: 0.2 } })).toBe(
      'start-failure-ratio on eu18: fail, 6 of 20 starts failed (ratio 0.3 vs max 0.1, sequential test LLR 3.2 (healthy 0.02, alpha 0.05, beta 0.2)) [rule sequential.reject]',
    );
  });

  it('a decision: head line with the tripped limit, one line per cluster, the scores set', () => {
    const lines = decisionEvidenceLines({
      at: '2026-11-25T10:17:31.502Z',
      percent: 10,
      verdict: 'fail',
      rule: 'limit.failures',
      limit: 'failed measurements 1 > failureLimit 0',
      scores: { 'meta-eu01': { eu18: 10, eu17: 90 } },
      metrics: [
        { metric: 'm', outcome: 'fail', rule: 'threshold.max', message: '', dryRun: false, clusters: [{ cluster: 'eu18', outcome: 'fail', rule: 'threshold.max', message: '', value: 0.2, samples: 9, threshold: { max: 0.1 } }] },
        { metric: 'd', outcome: 'error', rule: 'query-error', message: 'd: query failed', dryRun: true },
      ],
    });
    expect(lines).toEqual([
      'decision at 10:17:31, 10 % of new starts: fail (failed measurements 1 > failureLimit 0) [rule limit.failures]',
      '  m on eu18: fail, value 0.2 over 9 samples (value 0.2 > max 0.1) [rule threshold.max]',
      '  d [dry run]: error, d: query failed [rule query-error]',
      '  scores during the measurement: meta-eu01: eu18 10, eu17 90',
    ]);
  });
});
