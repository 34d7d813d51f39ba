/** The gate under test in the traffic scenarios: the sandbox example's, at bench speed. */
import { trafficShiftSchema } from '../../dist/traffic/config.js';
import { THRESHOLD } from './catalog.mjs';

export const SHIFT_CONFIG = trafficShiftSchema.parse({
  steps: [10, 25, 50, 100],
  interval: '500ms',
  analysis: {
    provider: { type: 'simulator' },
    metrics: [
      {
        name: 'start-failure-ratio',
        query: 'failure_ratio({{shortName}}[{{interval}}])',
        threshold: { max: THRESHOLD },
        minSamples: 10,
        samplesQuery: 'starts({{shortName}}[{{interval}}])',
      },
    ],
    failureLimit: 1,
    sampleDeadline: '3s',
  },
});
