/**
 * A damaged or foreign-owned state dir under the commands that write: `resume` refuses it before it
 * takes a step or journals a record, naming the path and the fix (state-dir-damage.test.ts covers the
 * reading commands).
 *
 * One real state: generation 2 of the sandbox held in its traffic shift (paused, no one to answer in CI)
 * over a finished generation 1; an undamaged `resume` holds again (exit 3). Per case, on a fresh copy:
 *   - damage: each entry `resume` reads or writes, listed from the dir (the held deployment's own entries,
 *     its logs' first level, the store's `locks/` and `terraform-state/` and their files; a per-cluster
 *     entry is taken once, for the first cluster), each damage (deleted, truncated to 0, truncated
 *     mid-line, garbage appended, replaced by a folder (a folder: by a file), symlink to a copy outside,
 *     another one's copy: the same file of another deployment or cluster copied over it);
 *   - permissions, as `nobody` (root ignores modes) on a copy it owns: the journal, the snapshot, the
 *     control folder, a lock file and the terraform-state folder unreadable (mode 000), the deployment
 *     folder unwritable (0555); there also every reading command.
 * Properties: a documented exit code and no internal error text; either `resume` does what it does
 * undamaged (exit 3, the shift held again) or it refuses with the held deployment's journal
 * byte-identical and a message naming the damaged path (and, for modes, chown/chmod). Nothing outside
 * the state dir changes. Left out (they do not bear on this state's resume): the working files below a
 * cluster's folder (the sandbox's steps there are done), the sandbox registry's files, and generation 1.
 * A journal with garbage appended is a torn last line by design (a crash mid-append looks the same):
 * `resume` drops it and goes on, so that case is held only to the first property. A journal cut mid-line
 * (in its middle) lost whole records too, the operator's `shift pause` among them, which the snapshot
 * shows: that is no crash's, and `resume` must refuse it untouched (lost-records.ts).
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, sandboxWorkspace, startCli, type CliResult } from '../../helpers/cli.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { lockFileName } from '../../../src/state/file-lock.js';
import { AS_ROOT } from './fault-workspace.js';
import { damage, DAMAGES } from '../../helpers/state-damage.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');
const EXIT_CODES = [0, 1, 2, 3, 130];
const INTERNAL = /^\s+at .+:\d+:\d+\)?$|internal error|TypeError|RangeError|Cannot read propert|is not a function|Unexpected token|Unexpected end of JSON/m;

const root = mkdtempSync(join(tmpdir(), 'wsd-resume-damage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let held = '';
let id = '';

function copy(): { dir: string; config: string; stateDir: string; outside: string } {
  const dir = mkdtempSync(join(root, 'case-'));
  cpSync(held, dir, { recursive: true });
  mkdirSync(join(dir, 'outside'));
  return { dir, config: join(dir, 'examples', 'sandbox.yaml'), stateDir: join(dir, 'state'), outside: join(dir, 'outside') };
}

const CLUSTER = /gp-dev-ws-[a-z]+\d+-[a-z]+-[a-z]+\d+/g;
/** What resume reads or writes, from the dir: the deployment's entries and its logs' first level, locks/ and terraform-state/ with their files. */
function targets(stateDir: string): string[] {
  const below = (rel: string): string[] => readdirSync(join(stateDir, rel)).map((n) => join(rel, n));
  const all = [id, ...below(id), ...below(join(id, 'logs')), 'locks', ...below('locks'), 'terraform-state', ...below('terraform-state')];
  const seen = new Set<string>();
  return all.filter((rel) => {
    const shape = rel.replace(CLUSTER, 'CLUSTER');
    if (seen.has(shape)) return false;
    seen.add(shape);
    return true;
  });
}

/** Every damage but chmod 000, which does not bind root: the permission case below runs as `nobody`. */
const RESUME_DAMAGES = DAMAGES.filter((how) => how !== 'chmod 000');

function hash(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return 'unreadable';
  }
}
/** Content hash of every file under `dir`. */
function tree(dir: string): string {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return files.map((e) => `${relative(dir, join(e.parentPath, e.name))}:${hash(join(e.parentPath, e.name))}`).sort().join('\n');
}

/** Runs the CLI as `nobody` when we are root (modes bind it), else as ourselves. */
function runAsUser(args: string[]): Promise<CliResult> {
  const [cmd, argv] = AS_ROOT ? ['runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: tmpdir(), env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Gives the copy to `nobody` (when we are root), so only the modes a case sets stop it. */
function giveAway(dir: string): void {
  if (!AS_ROOT) return;
  const nobody = Number(readFileSync('/etc/passwd', 'utf8').match(/^nobody:[^:]*:(\d+):(\d+):/m)?.[1] ?? 65534);
  for (let d = dir; d !== root; d = join(d, '..')) chmodSync(d, 0o755);
  chmodSync(root, 0o755);
  chownSync(dir, nobody, nobody);
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isSymbolicLink()) chownSync(join(e.parentPath, e.name), nobody, nobody);
  }
}

describe.skipIf(!hasTerraform)('resume on a damaged or foreign-owned state dir', () => {
  beforeAll(async () => {
    const ws = sandboxWorkspace();
    const first = await runCli(['deploy', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '241']);
    expect(first.code, first.stderr).toBe(0);
    const run = startCli(['deploy', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '242']);
    await run.waitFor(/traffic-shift: started/, 240_000);
    id = readdirSync(ws.stateDir).filter((n) => /^\d{8}-/.test(n)).sort().at(-1)!;
    const pause = await runCli(['shift', 'pause', id, '--config', ws.config, '--state-dir', ws.stateDir]);
    expect(pause.code, pause.stderr).toBe(0);
    expect((await run.done).code).toBe(3);
    held = ws.dir;
  }, 600_000);

  it('every entry resume reads, every damage: resume holds as undamaged, or refuses with nothing journaled and the path named', async () => {
    const problems: string[] = [];
    const base = copy();
    const undamaged = await runCli(['resume', id, '--config', base.config, '--state-dir', base.stateDir]);
    expect(undamaged.code, undamaged.stderr).toBe(3);
    for (const target of targets(base.stateDir)) {
      for (const how of RESUME_DAMAGES) {
        const ws = copy();
        if (!damage(join(ws.stateDir, target), how, ws.outside)) continue;
        const journal = join(ws.stateDir, id, 'journal.ndjson');
        const before = { journal: hash(journal), outside: tree(ws.outside) };
        const r = await runCli(['resume', id, '--config', ws.config, '--state-dir', ws.stateDir]);
        const label = `${target} ${how} → ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`;
        if (!EXIT_CODES.includes(r.code ?? -1) || INTERNAL.test(r.stderr)) problems.push(`undocumented exit or internal error: ${label}`);
        if (tree(ws.outside) !== before.outside) problems.push(`a file outside the state dir changed: ${label}`);
        const tornByDesign = target.endsWith('journal.ndjson') && how === 'garbage appended';
        const refused = hash(journal) === before.journal && r.stderr.includes(join(ws.stateDir, target));
        // The deployment's folder deleted whole: the deployment is gone, and "not found" (exit 2) is then the truth.
        const gone = target === id && how === 'deleted' && r.code === 2;
        if (!tornByDesign && !gone && r.code !== 3 && !refused) problems.push(`neither as undamaged nor refused untouched: ${label}`);
        rmSync(ws.dir, { recursive: true, force: true });
      }
    }
    expect(problems).toEqual([]);
  }, 900_000);

  it('as a user who may not read or write an entry: every command says which path and the fix (chown/chmod), resume journals nothing', async () => {
    const problems: string[] = [];
    const stale = (ws: { stateDir: string }): string => {
      // A lock left by a run that died: resume reads it to see whether its holder lives.
      const { inputs } = JSON.parse(readFileSync(join(ws.stateDir, id, 'snapshot.json'), 'utf8')) as { inputs: { project: string; environment: string } };
      const path = join(ws.stateDir, 'locks', lockFileName(inputs));
      writeFileSync(path, JSON.stringify({ pid: 999_999, host: 'gone', deploymentId: id, since: new Date(0).toISOString(), command: 'deploy' }));
      return relative(ws.stateDir, path);
    };
    const cases: Array<{ name: string; set(ws: ReturnType<typeof copy>): string; mode: number }> = [
      { name: 'journal unreadable', set: () => join(id, 'journal.ndjson'), mode: 0 },
      { name: 'snapshot unreadable', set: () => join(id, 'snapshot.json'), mode: 0 },
      { name: 'control folder unreadable', set: () => join(id, 'control'), mode: 0 },
      { name: 'a lock file unreadable', set: stale, mode: 0 },
      { name: 'terraform-state unreadable', set: () => 'terraform-state', mode: 0 },
      { name: 'deployment folder unwritable', set: () => id, mode: 0o555 },
    ];
    for (const c of cases) {
      const ws = copy();
      const rel = c.set(ws);
      giveAway(ws.dir);
      chmodSync(join(ws.stateDir, rel), c.mode);
      const journal = join(ws.stateDir, id, 'journal.ndjson');
      const before = readFileSync(journal);
      const common = ['--config', ws.config, '--state-dir', ws.stateDir];
      for (const args of [['status', ...common], ['status', '--all', ...common], ['status', id, ...common, '--output', 'json'], ['report', id, ...common, '--output', '-'], ['resume', id, ...common]]) {
        const r = await runAsUser(args);
        const label = `${c.name}: ${args[0]} ${args[1]} → ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`;
        if (!EXIT_CODES.includes(r.code ?? -1) || INTERNAL.test(r.stderr) || INTERNAL.test(r.stdout)) problems.push(`undocumented exit or internal error: ${label}`);
        if (r.code !== 0 && r.code !== 3 && !(r.stderr.includes(join(ws.stateDir, rel)) && /chown|chmod/.test(r.stderr))) problems.push(`fails without the path and the fix: ${label}`);
        if (args[0] === 'resume' && r.code !== 3 && !readFileSync(journal).equals(before)) problems.push(`journaled, then failed: ${label}`);
      }
      chmodSync(join(ws.stateDir, rel), 0o755);
      rmSync(ws.dir, { recursive: true, force: true });
    }
    expect(problems).toEqual([]);
  }, 600_000);
});

