/**
 * The setup the sandbox shift e2e suites share: a temp copy of examples/ whose
 * shift waits are shortened (2 s by default: at the sandbox's 20 starts/s a
 * 10 % step still sees minSamples 3 in one window), the CLI args for it, a
 * first generation deployed and promoted, the newest deployment's id and
 * journal, and `cp -r` copies of the state dir (state dirs are relocatable,
 * test/e2e/state-dir-copy.test.ts), so a suite deploys generation 1 once and
 * starts several scenarios from it.
 */
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { runCli, sandboxWorkspace, type CliResult } from './cli.js';
import { withShiftTimes, type ShiftTimes } from './sandbox-config.js';

export interface ShiftWorkspace {
  dir: string;
  config: string;
  stateDir: string;
  /** `--config <config> --state-dir <stateDir>`. */
  common: string[];
  /** `--config <config> --state-dir <dir>` for another state dir of this workspace (a copy). */
  args(stateDir: string): string[];
  /** `deploy` of generation `clusterId`, expected to succeed (promoted: it takes all traffic). */
  deployGeneration(clusterId: number, stateDir?: string, env?: Record<string, string>): Promise<CliResult>;
  /** A `cp -r` of `from` (default: the workspace's state dir) at `<dir>/<name>`; returns its path. */
  copyState(name: string, from?: string): string;
  /** The id of the newest deployment in `stateDir` (default: the workspace's), from `status --output json`. */
  newestId(stateDir?: string): Promise<string>;
  /** Appends a `notifications.webhooks` block to the config, one entry per hook (its url first, then its other fields). */
  addWebhooks(hooks: ReadonlyArray<{ url: string } & Record<string, string | number | string[]>>): void;
  /** Every journal record of deployment `id`. */
  journal<T = Record<string, unknown>>(id: string, stateDir?: string): T[];
  cleanup(): void;
}

export interface ShiftWorkspaceOptions {
  /** The shift's waits; default 2 s each. */
  times?: ShiftTimes;
  /** Any other edit of the config text (after the shift times); must change it. */
  edit?(text: string): string;
}

export function shiftWorkspace(options: ShiftWorkspaceOptions = {}): ShiftWorkspace {
  const ws = sandboxWorkspace();
  const shortened = withShiftTimes(readFileSync(ws.config, 'utf8'), options.times ?? { interval: '2s', bake: '2s', staff: '2s' });
  const text = options.edit ? options.edit(shortened) : shortened;
  if (options.edit && text === shortened) throw new Error('shiftWorkspace: the edit changed nothing in the sandbox example: update the test');
  writeFileSync(ws.config, text);
  const args = (stateDir: string): string[] => ['--config', ws.config, '--state-dir', stateDir];
  return {
    ...ws,
    common: args(ws.stateDir),
    args,
    deployGeneration: async (clusterId, stateDir = ws.stateDir, env) => {
      const run = await runCli(['deploy', ...args(stateDir), '--cluster-id', String(clusterId)], { env });
      expect(run.code, `generation ${clusterId}: ${run.stderr}`).toBe(0);
      return run;
    },
    copyState: (name, from = ws.stateDir) => {
      const to = join(ws.dir, name);
      cpSync(from, to, { recursive: true });
      return to;
    },
    newestId: async (stateDir = ws.stateDir) => {
      const status = await runCli(['status', ...args(stateDir), '--output', 'json']);
      expect(status.code, status.stderr).toBe(0);
      return (JSON.parse(status.stdout) as { id: string }).id;
    },
    addWebhooks: (hooks) => {
      const entry = ({ url, ...rest }: { url: string } & Record<string, string | number | string[]>): string[] => [
        `    - url: ${url}`,
        ...Object.entries(rest).map(([k, v]) => `      ${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : v}`),
      ];
      appendFileSync(ws.config, ['notifications:', '  webhooks:', ...hooks.flatMap(entry), ''].join('\n'));
    },
    journal: <T>(id: string, stateDir = ws.stateDir): T[] =>
      readFileSync(join(stateDir, id, 'journal.ndjson'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as T),
  };
}

/**
 * Inside a `describe`: a {@link shiftWorkspace} whose generation `clusterId` is deployed (promoted) in
 * beforeAll, then `after` runs (start receivers, add webhooks: what the suite's second generation needs);
 * afterAll removes the workspace.
 */
export function useGeneration1(clusterId: number, after?: (ws: ShiftWorkspace) => Promise<void> | void, options: ShiftWorkspaceOptions = {}): ShiftWorkspace {
  const ws = shiftWorkspace(options);
  beforeAll(async () => {
    await ws.deployGeneration(clusterId);
    await after?.(ws);
  }, 180_000);
  afterAll(() => ws.cleanup());
  return ws;
}
