/**
 * Shared ground for the fault-injection suites: a temp copy of the sandbox
 * example cut down to what a scenario needs, the deployment journal as data, and
 * the "every cluster exists exactly once" check every crash scenario ends with.
 */
import { spawn } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parse, stringify } from 'yaml';
import { BIN, runCli, sandboxWorkspace, type CliResult } from '../../helpers/cli.js';

/** The deployment-wide steps; a shift with old clusters waits out its intervals, so most scenarios leave them out (such a run ends `partial`). */
export const SKIP_DEPLOYMENT_STEPS = ['--skip', 'traffic-shift,retire-old-clusters'];

/** The config as a plain object, for scenario edits. */
export type ConfigDoc = Record<string, unknown> & { workspaceClusters: Array<Record<string, unknown>>; project: Record<string, unknown> };

export interface FaultWorkspace {
  dir: string;
  config: string;
  stateDir: string;
  /** `--config … --state-dir …` plus {@link SKIP_DEPLOYMENT_STEPS}. */
  common: string[];
  /** `--config <config> --state-dir <stateDir>` (default: the workspace's own state dir). */
  args(stateDir?: string): string[];
  cleanup(): void;
}

export interface FaultWorkspaceOptions {
  /** Keep only the first `n` workspace clusters of the example. Default 1. */
  clusters?: number;
  /** Sets `terraform.variables` of the sandbox module (e.g. `sandbox_apply_seconds`). */
  terraformVariables?: Record<string, string | number>;
  /** Any other change to the config. */
  edit?(doc: ConfigDoc): void;
  /** Make the copy readable by every user (for runs as `nobody`). */
  worldReadable?: boolean;
}

/** A temp copy of examples/ whose `sandbox.yaml` is edited as asked. */
export function faultWorkspace(options: FaultWorkspaceOptions = {}): FaultWorkspace {
  const ws = sandboxWorkspace();
  const doc = parse(readFileSync(ws.config, 'utf8')) as ConfigDoc;
  doc.workspaceClusters = doc.workspaceClusters.slice(0, options.clusters ?? 1);
  if (options.terraformVariables) doc.terraform = { variables: options.terraformVariables };
  options.edit?.(doc);
  writeFileSync(ws.config, stringify(doc));
  if (options.worldReadable) openUp(ws.dir);
  const args = (stateDir = ws.stateDir): string[] => ['--config', ws.config, '--state-dir', stateDir];
  return { ...ws, args, common: [...args(), ...SKIP_DEPLOYMENT_STEPS] };
}

function openUp(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) openUp(path);
    else chmodSync(path, 0o644);
  }
}

export interface JournalRecord {
  seq: number;
  type: string;
  cluster?: string;
  step?: string;
  code?: string;
  clusterId?: number;
  clusters?: Array<{ name: string; shortName: string }>;
  [key: string]: unknown;
}

/** Deployment ids (folder names) under the state dir, oldest first. */
export function deploymentIds(stateDir: string): string[] {
  return readdirSync(stateDir)
    .filter((d) => /^\d{8}-\d{6}-/.test(d))
    .sort();
}

/** The only deployment under the state dir; fails the test when there is not exactly one. */
export function onlyDeployment(stateDir: string): string {
  const ids = deploymentIds(stateDir);
  expect(ids, 'deployments in the state dir').toHaveLength(1);
  return ids[0] as string;
}

/** The deployment that allocated cluster id `clusterId` (ids name the second they started, so two in one second sort at random). */
export function deploymentOf(stateDir: string, clusterId: number): string {
  const ids = deploymentIds(stateDir).filter((id) => readJournal(stateDir, id)[0]?.clusterId === clusterId);
  expect(ids, `deployments with cluster id ${clusterId}`).toHaveLength(1);
  return ids[0] as string;
}

export function journalPath(stateDir: string, id: string): string {
  return join(stateDir, id, 'journal.ndjson');
}

/** Every record of the journal; throws on a line that is not JSON (a torn line must have been repaired). */
export function readJournal(stateDir: string, id: string): JournalRecord[] {
  return readFileSync(journalPath(stateDir, id), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as JournalRecord);
}

/** Seqs must grow by one from 1: a resume that reused or skipped a number would corrupt the replay. */
export function expectDenseSeqs(journal: readonly JournalRecord[]): void {
  expect(journal.map((r) => r.seq)).toEqual(journal.map((_, i) => i + 1));
}

/** `{ full, short }` names of the clusters the journal's `deployment.created` fixed. */
export function journaledClusters(journal: readonly JournalRecord[]): Array<{ full: string; short: string }> {
  const created = journal.find((r) => r.type === 'deployment.created');
  expect(created, 'deployment.created record').toBeDefined();
  return (created?.clusters ?? []).map((c) => ({ full: c.name, short: c.shortName }));
}

/** Terraform state files of the sandbox, by file name. */
export function tfstateFiles(stateDir: string): string[] {
  try {
    return readdirSync(join(stateDir, 'terraform-state'))
      .filter((f) => f.endsWith('.tfstate'))
      .sort();
  } catch {
    return [];
  }
}

/** Instances of `terraform_data.cluster` in one cluster's Terraform state. */
export function clusterResources(stateDir: string, cluster: string): number {
  const state = JSON.parse(readFileSync(join(stateDir, 'terraform-state', `${cluster}.tfstate`), 'utf8')) as {
    resources: Array<{ type: string; name: string; instances: unknown[] }>;
  };
  return state.resources.filter((r) => r.type === 'terraform_data' && r.name === 'cluster').reduce((n, r) => n + r.instances.length, 0);
}

/** Each cluster: one `.tfstate` holding one `terraform_data.cluster`, and listed once by the registry. */
export async function expectClustersOnce(ws: Pick<FaultWorkspace, 'config' | 'stateDir'>, clusters: ReadonlyArray<{ full: string; short: string }>, extraArgs: string[] = []): Promise<void> {
  expect(tfstateFiles(ws.stateDir)).toEqual(clusters.map((c) => `${c.full}.tfstate`).sort());
  for (const c of clusters) expect(clusterResources(ws.stateDir, c.full), `terraform_data.cluster in ${c.full}`).toBe(1);
  const list = await runCli(['clusters', 'list', '--config', ws.config, '--state-dir', ws.stateDir, '--output', 'json', ...extraArgs]);
  expect(list.code, list.stderr).toBe(0);
  const names = (JSON.parse(list.stdout) as Array<{ name: string }>).map((c) => c.name).sort();
  expect(names).toEqual(clusters.map((c) => c.short).sort());
}

/** Running as root, file modes do not stop us: read-only runs of the CLI go through `runuser -u nobody`. */
export const AS_ROOT = process.getuid?.() === 0;

/** Runs the CLI as `nobody` when we are root (so a 0555 tree is read-only to it), else as ourselves. */
export function runCliUnprivileged(args: string[]): Promise<CliResult> {
  if (!AS_ROOT) return runCli(args);
  return new Promise((resolve) => {
    const child = spawn('runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args], { cwd: tmpdir(), env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Every folder under `dir` (and `dir`) 0555, every file 0444: readable by all, writable by none but root. */
export function readOnlyTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) readOnlyTree(path);
    else if (entry.isFile()) chmodSync(path, 0o444);
  }
  chmodSync(dir, 0o555);
}

/** Undoes {@link readOnlyTree} (owner-writable again), so the workspace can be removed by a non-root run. */
export function writableTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) writableTree(path);
    else if (entry.isFile()) chmodSync(path, 0o644);
  }
}
