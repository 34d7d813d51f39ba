/**
 * Every config name or pattern field, given a bad value: the message names the value, the rule it breaks (`is not a
 * chart name; use …`) and a valid example to write instead, and that example, put in its place, is accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, configDir, edit, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

const CHART = (name: string) => `gitpod:\n  chart: { repository: https://charts.gitpod.io, name: ${name}, version: 1.0.0 }\n`;
const SHIFT = (metric: string, more = '') => `trafficShift:\n  analysis:\n    provider: { type: prometheus, url: "https://prom.example" }\n    metrics: [{ name: ${metric}, query: q, threshold: { max: 1 } }]\n  steps: [5, 100]\n${more}`;

/** [field, the config with {} where the value goes, a bad value]. */
const TABLE: Array<[string, (v: string) => string, string]> = [
  ['chart name', CHART, 'Gitpod_Chart!'],
  ['chart repository', (v) => `gitpod:\n  chart: { repository: "${v}", name: gitpod, version: 1.0.0 }\n`, 'charts.gitpod.io'],
  ['release name', (v) => `${CHART('gitpod')}  release: ${v}\n`, 'Gitpod'],
  ['release namespace', (v) => `${CHART('gitpod')}  namespace: ${v}\n`, 'ws_ns'],
  ['release domain', (v) => `${CHART('gitpod')}  domain: ${v}\n`, 'Gitpod.IO'],
  ['set key', (v) => `${CHART('gitpod')}  set: { "${v}": 1 }\n`, 'a[0]'],
  ['secretSet key', (v) => `${CHART('gitpod')}  set: { database.password: x }\n  secretSet: ["${v}"]\n`, 'a,b'],
  ['metric name', (v) => SHIFT(v), 'Error_Rate'],
  ['staff permission', (v) => SHIFT('m', `  staffStage: { permission: ${v} }\n`), 'New_WS'],
  ['gcp project id', (v) => edit(BASE, 'id: gitpod-191109', `id: ${v}`), 'Gitpod'],
  ['network name', (v) => edit(BASE, 'network: gitpod-prod', `network: ${v}`), '1net'],
  ['dns zone', (v) => edit(BASE, 'dnsZone: gitpod.io', `dnsZone: ${v}`), 'gitpod'],
  ['bucket', (v) => edit(BASE, 'bucket: gitpod-prod-tf-state', `bucket: ${v}`), 'googbucket'],
  ['cluster prefix', (v) => edit(BASE, 'prefix: eu', `prefix: ${v}`), 'EU1'],
  ['gcp region', (v) => edit(BASE, '    region: europe-west1\nworkspace', `    region: ${v}\nworkspace`), 'europe_west1'],
  ['meta cluster name', (v) => edit(BASE, 'name: prod-meta-eu01', `name: ${v}`).replace('governedBy: prod-meta-eu01', `governedBy: ${v}`), 'Meta_EU'],
  ['terraform version', (v) => `${BASE}terraform:\n  module: { source: gitpod-io/ws-cluster/google, version: "${v}" }\n`, '1.2;rm'],
];

/** A section appended to BASE; an edited BASE as it is. */
const whole = (text: string): string => (text.startsWith('version:') ? text : `${BASE}${text}`);

describe('config: a name or pattern field with a bad value', () => {
  it.each(TABLE)('%s: names the value, the rule and a valid example, which is accepted', (_field, config, bad) => {
    const found = problems(whole(config(bad)), ctx.file);
    // The pattern's message (a secretSet key also names the rule it breaks across fields: not a key of set).
    const message = found.find((m) => m.includes(' is not ')) ?? found.join('\n');
    const match = /: "(.*)" is not (an? [^;:]+)[;:] use [^;]+(?:\([^)]*\))?; e\.g\. "([^"]+)"$/.exec(message);
    expect(match, message).not.toBeNull();
    expect(JSON.parse(`"${match![1]}"`)).toBe(bad);
    // The example is a fix: in the bad value's place, the config is valid.
    const example = match![3]!;
    expect(() => valid(whole(config(example)), ctx.file)).not.toThrow();
  });
});
