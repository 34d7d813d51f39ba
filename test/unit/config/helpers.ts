/** Shared setup for the config tests: a temp config folder with the files a config may reference. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { parseDocument } from 'yaml';
import { ConfigInvalidError } from '../../../src/config/issues.js';
import { parseConfig, type LoadedConfig } from '../../../src/config/load.js';

/** A minimal valid config. Line numbers matter: the tests assert exact positions. */
export const BASE = `version: v1
environment: production
project:
  id: gitpod-191109
  network: gitpod-prod
  dnsZone: gitpod.io
  bucket: gitpod-prod-tf-state
metaClusters:
  - name: prod-meta-eu01
    region: europe-west1
workspaceClusters:
  - region: europe-west1
    prefix: eu
    governedBy: prod-meta-eu01
`;

export interface ConfigDir {
  dir: string;
  file: string;
  cleanup(): Promise<void>;
}

/** A temp folder with `sa-key.json`, `values/eu.yaml`, `modules/ws-cluster/` and `gen.sh`. */
export async function configDir(): Promise<ConfigDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsd-config-'));
  await mkdir(path.join(dir, 'values'));
  await mkdir(path.join(dir, 'modules', 'ws-cluster'), { recursive: true });
  await writeFile(path.join(dir, 'sa-key.json'), '{}\n');
  await writeFile(path.join(dir, 'values', 'eu.yaml'), 'a: 1\n');
  await writeFile(path.join(dir, 'gen.sh'), '#!/bin/sh\n', { mode: 0o755 });
  return { dir, file: path.join(dir, 'ws.yaml'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** `BASE` with `from` replaced by `to` (the replaced text must exist: a typo must not make a test vacuous). */
export function edit(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

/** The module a gke/k3s workspace cluster needs; {@link withModule} appends it. */
export const MODULE_TAIL = 'terraform:\n  module: { source: gitpod-io/ws-cluster/google }\n';

/**
 * `text` plus {@link MODULE_TAIL} when it is well-formed YAML whose root has
 * workspace clusters and no `terraform` section: validation requires a module for
 * created gke/k3s clusters, and appending it after everything else keeps every
 * position the tests assert. A test with its own `terraform:` section (or none of
 * the conditions) gets its text unchanged; deploy-rules.test.ts checks the rule.
 */
export function withModule(text: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !doc.has('workspaceClusters') || doc.has('terraform')) return text;
  return `${text}${text.endsWith('\n') ? '' : '\n'}${MODULE_TAIL}`;
}

/** Parses `text` (with {@link withModule}) expecting success. */
export function valid(text: string, file: string): LoadedConfig {
  return parseConfig(withModule(text), file);
}

/** Parses `text` (with {@link withModule}) expecting ConfigInvalid; returns each issue as `LINE:COL: path: message` (file prefix checked, then cut). */
export function problems(text: string, file: string): string[] {
  let caught: unknown;
  try {
    parseConfig(withModule(text), file);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigInvalidError);
  const error = caught as ConfigInvalidError;
  expect(error.code).toBe('ConfigInvalid');
  const lines = error.message.split('\n');
  expect(lines).toHaveLength(error.issues.length);
  for (const line of lines) expect(line.startsWith(`${file}:`)).toBe(true);
  return lines.map((line) => line.slice(file.length + 1));
}
