/**
 * The state dir's shared entries a writing run uses beside its deployment's own (state-dir-damage-resume.test.ts
 * covers those): the sandbox's folder (`sandbox/`, the registry simulator's state and the clusters' health
 * files) under `deploy`, and a standalone retirement's entries (`retire/`, `retire/NAME.json`, `retire/NAME/`)
 * under `retire --cluster NAME`. Each replaced by the wrong kind (a folder by a file, a file by a folder) or by
 * a symlink to a copy outside the state dir: the run is refused before it journals or changes anything,
 * naming the path and the fix; nothing outside the state dir and nothing in the registry changes.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxWorkspace } from '../../helpers/cli.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { damage, type Damage } from '../../helpers/state-damage.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');
const INTERNAL = /^\s+at .+:\d+:\d+\)?$|internal error|TypeError|ENOTDIR|EISDIR|ELOOP/m;
const root = mkdtempSync(join(tmpdir(), 'wsd-shared-damage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let finished = '';

function copy(): { dir: string; config: string; stateDir: string; outside: string } {
  const dir = mkdtempSync(join(root, 'case-'));
  cpSync(finished, dir, { recursive: true });
  mkdirSync(join(dir, 'outside'));
  return { dir, config: join(dir, 'examples', 'sandbox.yaml'), stateDir: join(dir, 'state'), outside: join(dir, 'outside') };
}

/** Content hash of every file under `dir` (symlinks not followed), but the locks (a run takes and frees one). */
function tree(dir: string): string {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !relative(dir, e.parentPath).startsWith('locks'));
  return files.map((e) => `${relative(dir, join(e.parentPath, e.name))}:${createHash('sha256').update(readFileSync(join(e.parentPath, e.name))).digest('hex')}`).sort().join('\n');
}

const KINDS: Damage[] = ['replaced by a folder', 'symlink outside'];

describe.skipIf(!hasTerraform)('shared entries of the state dir damaged under the commands that write', () => {
  beforeAll(async () => {
    const ws = sandboxWorkspace();
    const first = await runCli(['deploy', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '243']);
    expect(first.code, first.stderr).toBe(0);
    finished = ws.dir;
  }, 600_000);

  /** Applies each damage to each of `targets` on a fresh copy, runs `args`, and lists what went wrong. */
  async function refusals(targets: Array<{ rel: string; prepare?: (stateDir: string) => void }>, args: (ws: ReturnType<typeof copy>) => string[]): Promise<string[]> {
    const problems: string[] = [];
    for (const { rel, prepare } of targets) {
      for (const how of KINDS) {
        const ws = copy();
        prepare?.(ws.stateDir);
        const path = join(ws.stateDir, rel);
        if (!damage(path, how, ws.outside)) continue;
        const before = { state: tree(ws.stateDir), outside: tree(ws.outside) };
        const r = await runCli(args(ws));
        const label = `${rel} ${how} → ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`;
        if (r.code !== 1 || !r.stderr.includes(`${path} is `) || !r.stderr.includes('move it out of the state dir')) problems.push(`not refused with the path and the fix: ${label}`);
        if (INTERNAL.test(r.stderr)) problems.push(`internal error: ${label}`);
        if (tree(ws.stateDir) !== before.state) problems.push(`the state dir changed: ${label}`);
        if (tree(ws.outside) !== before.outside) problems.push(`a file outside the state dir changed: ${label}`);
        rmSync(ws.dir, { recursive: true, force: true });
      }
    }
    return problems;
  }

  it("deploy with sandbox clusters: the sandbox's folder or one of its folders of the wrong kind or a symlink is refused before anything is journaled", async () => {
    const problems = await refusals([{ rel: 'sandbox' }, { rel: join('sandbox', 'registry') }], (ws) => ['deploy', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '244']);
    expect(problems).toEqual([]);
  }, 600_000);

  it("retire --cluster NAME: the retirements' folder, NAME's progress file or working folder of the wrong kind or a symlink is refused before any change", async () => {
    // What an earlier, interrupted retirement of eu243 leaves: its progress and its working folder.
    const interrupted = (stateDir: string): void => {
      mkdirSync(join(stateDir, 'retire', 'eu243', 'terraform'), { recursive: true });
      writeFileSync(join(stateDir, 'retire', 'eu243.json'), JSON.stringify({ cordoned: [], deregistered: [] }));
    };
    const targets = ['retire', join('retire', 'eu243.json'), join('retire', 'eu243'), join('retire', 'eu243', 'terraform')].map((rel) => ({ rel, prepare: interrupted }));
    const problems = await refusals(targets, (ws) => ['retire', '--cluster', 'eu243', '--yes', '--config', ws.config, '--state-dir', ws.stateDir]);
    expect(problems).toEqual([]);
  }, 600_000);
});
