/**
 * Generates sandbox configs with many workspace clusters. Prefixes are distinct
 * lowercase letter strings (so short names never collide, across regions too)
 * spread over a few regions; the values files of examples/sandbox are copied
 * next to the generated file because the config validates that they exist.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_DIR } from './report.mjs';

const REGIONS = ['europe-west1', 'us-west1', 'us-east1', 'asia-east1'];
const META = 'dev-meta-eu01';

/** 0 → "aa", 1 → "ab", … 675 → "zz", 676 → "aaa": distinct, letters only, never empty. */
export function prefixOf(index) {
  let n = index + 26; // start at two letters so no prefix is a single letter
  let out = '';
  while (n >= 0) {
    out = String.fromCharCode(97 + (n % 26)) + out;
    n = Math.floor(n / 26) - 1;
  }
  return out;
}

/** YAML text of a sandbox config with `n` workspace clusters. */
export function sandboxConfigText(n) {
  const clusters = [];
  for (let i = 0; i < n; i++) {
    clusters.push(`  - { region: ${REGIONS[i % REGIONS.length]}, prefix: ${prefixOf(i)}, governedBy: ${META}, type: sandbox }`);
  }
  return [
    'version: v1',
    'environment: development',
    'project:',
    '  id: sandbox-project',
    '  network: sandbox-net',
    '  dnsZone: sandbox.gitpod-dev.test',
    'metaClusters:',
    `  - { name: ${META}, region: europe-west1, type: sandbox }`,
    'workspaceClusters:',
    ...clusters,
    'gitpod:',
    '  chart: { repository: https://charts.gitpod.io, name: gitpod, version: 2022.11.0 }',
    '  versionsManifest: ./sandbox/versions.yaml',
    '  valuesFiles: [./sandbox/values-common.yaml]',
    'jaeger: {}',
    'monitoring:',
    '  chart: { repository: https://charts.gitpod.io, name: monitoring-satellite, version: 0.1.0 }',
    'aliveTest:',
    '  timeoutSeconds: 10',
    '  pollIntervalSeconds: 1',
    'registration:',
    '  cordoned: true',
    '  admissionConstraints: [has-permission=new-workspace-cluster]',
    '',
  ].join('\n');
}

/** Writes `<dir>/sandbox-<n>.yaml` (plus the values files it references) and returns its path and text. */
export function writeSandboxConfig(dir, n) {
  const valuesDir = join(dir, 'sandbox');
  mkdirSync(valuesDir, { recursive: true });
  // The sandbox dir holds values files and the local charts (directories): copy it whole.
  cpSync(join(REPO_DIR, 'examples', 'sandbox'), valuesDir, { recursive: true });
  const file = join(dir, `sandbox-${n}.yaml`);
  const text = sandboxConfigText(n);
  writeFileSync(file, text);
  return { file, text };
}
