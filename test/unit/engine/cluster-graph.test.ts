/** The per-cluster step graph: layers of concurrent steps, `dependsOn` inside a layer, stages for `plan`. */
import { describe, expect, it } from 'vitest';
import { clusterStepGraph, lastSteps } from '../../../src/engine/cluster-graph.js';
import type { DeployConfigView, Step, StepName } from '../../../src/steps/step.js';
import { allSteps } from '../../../src/steps/all-steps.js';

const config = (sections: Record<string, unknown> = {}) => sections as unknown as DeployConfigView;
const shape = (steps: readonly Step[], c = config()) =>
  Object.fromEntries(clusterStepGraph(steps, c).map((n) => [n.step.name, { after: n.after, stage: n.stage, alongside: n.alongside }]));

describe('cluster step graph', () => {
  it('runs the three releases together between create-cluster and alive-test', () => {
    expect(shape(allSteps())).toEqual({
      'create-cluster': { after: [], stage: 1, alongside: [] },
      'install-gitpod': { after: ['create-cluster'], stage: 2, alongside: ['install-jaeger', 'install-monitoring'] },
      'install-jaeger': { after: ['create-cluster'], stage: 2, alongside: ['install-gitpod', 'install-monitoring'] },
      'install-monitoring': { after: ['create-cluster'], stage: 2, alongside: ['install-gitpod', 'install-jaeger'] },
      'alive-test': { after: ['install-gitpod', 'install-jaeger', 'install-monitoring'], stage: 3, alongside: [] },
      'register-cluster': { after: ['alive-test'], stage: 4, alongside: [] },
    });
  });

  it('honours a declared dependsOn inside the layer, and still joins all releases before alive-test', () => {
    const graph = shape(allSteps(), config({ jaeger: { dependsOn: ['gitpod'] } }));
    expect(graph['install-jaeger']).toEqual({ after: ['install-gitpod'], stage: 3, alongside: ['install-monitoring'] });
    expect(graph['install-gitpod']).toEqual({ after: ['create-cluster'], stage: 2, alongside: ['install-monitoring'] });
    expect(graph['install-monitoring']?.alongside).toEqual(['install-gitpod', 'install-jaeger']);
    expect(graph['alive-test']).toEqual({ after: ['install-gitpod', 'install-jaeger', 'install-monitoring'], stage: 4, alongside: [] });
  });

  it('makes the releases a chain again when each depends on the one before', () => {
    const graph = shape(allSteps(), config({ jaeger: { dependsOn: ['gitpod'] }, monitoring: { dependsOn: ['jaeger'] } }));
    expect(Object.values(graph).map((n) => n.stage)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Object.values(graph).every((n) => n.alongside.length === 0)).toBe(true);
  });

  it('chains steps without a layer (custom step lists keep their order)', () => {
    const step = (name: StepName): Step => ({ name, applies: () => true, describe: () => [], run: async () => ({}) });
    const steps = [step('create-cluster'), step('install-gitpod'), step('alive-test')];
    expect(shape(steps)).toEqual({
      'create-cluster': { after: [], stage: 1, alongside: [] },
      'install-gitpod': { after: ['create-cluster'], stage: 2, alongside: [] },
      'alive-test': { after: ['install-gitpod'], stage: 3, alongside: [] },
    });
    expect(lastSteps(clusterStepGraph(steps, config()))).toEqual(['alive-test']);
    expect(lastSteps(clusterStepGraph(allSteps(), config()))).toEqual(['register-cluster']);
  });
});
