import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDuration, parseDuration } from '../../../src/traffic/duration.js';

describe('durations', () => {
  it('parses the forms users write', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration(' 2m ')).toBe(120_000);
  });

  it('refuses bare numbers, unknown units, repeated or reversed units', () => {
    for (const bad of ['', '60', '5x', '1m1h', '1m1m', '-5s', '1.5m', 'm']) {
      expect(() => parseDuration(bad), bad).toThrow(/invalid duration/);
    }
  });

  it('formats in Prometheus form', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(1_500)).toBe('1s500ms');
  });

  it('round-trips', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 * 86_400_000 }), (ms) => parseDuration(formatDuration(ms)) === ms));
  });
});
