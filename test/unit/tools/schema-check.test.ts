/** Rendered objects against the Kubernetes schemas of kubernetes-models. */
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../../src/tools/kube/apply.js';
import { checkObjects, mergeReports } from '../../../src/tools/kube/schema-check.js';

const deployment = (replicas: unknown) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'server', namespace: 'default' },
  spec: { replicas, selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'server', image: 'server:1' }] } } },
});

describe('checkObjects', () => {
  it('accepts valid built-in objects and counts them as checked', async () => {
    const report = await checkObjects([deployment(2), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } } as KubernetesObject]);
    expect(report).toEqual({ objects: 2, checked: 2, uncheckedKinds: [], violations: [] });
  });

  it('rejects replicas: "one" with the object and the JSON path', async () => {
    const report = await checkObjects([deployment('one')]);
    expect(report.violations).toEqual([{ object: 'Deployment/default/server', problems: ['/spec/replicas must be integer'] }]);
  });

  it('names a misspelt field of a typed object', async () => {
    const [object] = parseManifests('apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: "http"}]}\n', 'test');
    const report = await checkObjects([object!]);
    expect(report.violations[0]?.problems.join()).toContain('/spec/ports/0/port must be integer');
  });

  it('reports custom resources as unchecked, not as errors', async () => {
    const report = await checkObjects([
      { apiVersion: 'jaegertracing.io/v1', kind: 'Jaeger', metadata: { name: 'j' } },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 's' } },
      { apiVersion: '../../etc', kind: 'passwd', metadata: { name: 'x' } },
    ]);
    expect(report).toEqual({ objects: 3, checked: 0, uncheckedKinds: ['../../etc passwd', 'jaegertracing.io/v1 Jaeger', 'monitoring.coreos.com/v1 ServiceMonitor'], violations: [] });
  });

  it('adds reports up', async () => {
    const total = mergeReports([await checkObjects([deployment(1)]), await checkObjects([{ apiVersion: 'x.io/v1', kind: 'X' }, deployment('two')])]);
    expect(total).toMatchObject({ objects: 3, checked: 2, uncheckedKinds: ['x.io/v1 X'] });
    expect(total.violations).toHaveLength(1);
  });
});
