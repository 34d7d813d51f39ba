/**
 * Every file and folder of a state dir, damaged every way, under every reader.
 *
 * Three real state dirs from the sandbox flow: a finished deployment; one failed half-way (one
 * cluster's alive test); and a second generation whose shift holds (paused by `shift pause`, no
 * one to answer in CI) over the first. For each entry the dir holds (listed from the dir, never
 * from a list of names here) each damage is applied to a fresh copy — deleted, truncated to 0,
 * truncated mid-line, garbage appended, replaced by a folder (a folder: by a file), chmod 000, another one's copy
 * (the same file of another deployment or cluster copied over it),
 * replaced by a symlink to a copy outside the state dir — and every reading command runs on it
 * (in-process: hundreds of runs). Per case:
 *   - the exit code is a documented one, and nothing prints a stack trace or raw internal error;
 *   - a command that fails where it succeeded undamaged names the damaged path;
 *   - every journal is byte-identical afterwards, and nothing outside the state dir changed;
 *   - damage to anything but a journal (a cache, a working file) never changes what `status` says.
 * A deployment's working files below its own entries (a cluster's generated Terraform, rendered
 * releases, kubeconfig, logs) are damaged all at once per damage (files, then folders) rather than
 * one by one, under status and status --all only; an entry repeated per cluster is taken once (the
 * first cluster's). That bounds the run (about a minute per state on a loaded 2-core box).
 *
 * chmod 000 does not bite as root (CAP_DAC_OVERRIDE): the case then checks it really reads as
 * before rather than skipping; read-only dirs are covered by read-only-liveness.test.ts and the
 * immutable-parent case below (chattr +i, which binds root too).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, sandboxWorkspace, startCli } from '../../helpers/cli.js';
import { runInProcess } from '../../helpers/in-process-cli.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { damage, DAMAGES } from '../../helpers/state-damage.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');
const EXIT_CODES = [0, 1, 2, 3, 130];
/** Text no operator should see: a stack frame, a JS error class, Node's raw errno words. */
const INTERNAL = /^\s+at .+:\d+:\d+\)?$|TypeError|RangeError|ReferenceError|SyntaxError|Cannot read propert|is not a function|UNCAUGHT|Unexpected token|Unexpected end of JSON|illegal operation on a directory|EISDIR|ENOTDIR|ELOOP|EACCES/m;

const root = mkdtempSync(join(tmpdir(), 'wsd-state-damage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface State {
  /** A workspace: examples/sandbox.yaml (the config it ran with) and state/. */
  dir: string;
}
const states: Record<'finished' | 'failed' | 'held', State> = { finished: { dir: '' }, failed: { dir: '' }, held: { dir: '' } };

function workspaceCopy(from: string): { dir: string; config: string; stateDir: string; outside: string } {
  const dir = mkdtempSync(join(root, 'case-'));
  cpSync(from, dir, { recursive: true });
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  return { dir, config: join(dir, 'examples', 'sandbox.yaml'), stateDir: join(dir, 'state'), outside };
}

/** Relative paths of every entry under `dir`, parents first. */
function entries(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    const rel = relative(base, path);
    return e.isDirectory() ? [rel, ...entries(path, base)] : [rel];
  });
}

const GENERATED_ID = /^\d{8}-\d{6}-[0-9a-f]{4}$/;
const CLUSTER = /gp-dev-ws-[a-z]+\d+-[a-z]+-[a-z]+\d+/g;
/** Inside a deployment folder below its own entries: a cluster's working files and logs, which no reader reads. */
const working = (rel: string): boolean => GENERATED_ID.test(rel.split(sep)[0]!) && rel.split(sep).length > 2 && rel.split(sep)[1] !== 'control';
/**
 * What a case damages: each entry one by one (one per cluster-repeated shape), except a deployment's working
 * files below its own entries, which are damaged all at once per damage (the files; then the folders).
 */
function targets(stateDir: string): string[][] {
  const all = entries(stateDir);
  const seen = new Set<string>();
  const single = all.filter((rel) => {
    if (working(rel)) return false;
    const shape = rel.replace(CLUSTER, 'CLUSTER');
    if (seen.has(shape)) return false;
    seen.add(shape);
    return true;
  });
  const files = all.filter((rel) => working(rel) && lstatSync(join(stateDir, rel)).isFile());
  const folders = all.filter((rel) => working(rel) && rel.split(sep).length === 3 && lstatSync(join(stateDir, rel)).isDirectory());
  return [...single.map((rel) => [rel]), ...[files, folders].filter((t) => t.length > 0)];
}

/** Content hash of every file under `dir` (symlinks not followed), by relative path. */
function tree(dir: string, match: (rel: string) => boolean = () => true): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      const rel = relative(dir, path);
      if (e.isDirectory()) walk(path);
      else if (e.isFile() && match(rel)) {
        try {
          out[rel] = createHash('sha256').update(readFileSync(path)).digest('hex');
        } catch {
          out[rel] = 'unreadable';
        }
      } else if (e.isSymbolicLink() && match(rel)) out[rel] = 'symlink';
    }
  };
  walk(dir);
  return out;
}
const isJournal = (rel: string): boolean => rel.endsWith('journal.ndjson');

/** Every reading command, with the args that point it at a workspace copy; `wide`: left out for the working files damaged all at once (the report reads journals and snapshots as status does; plan and clusters list cost a sandbox registry each). */
function readers(ws: { config: string; stateDir: string }): Array<{ name: string; args: string[]; wide?: true }> {
  const common = ['--config', ws.config, '--state-dir', ws.stateDir];
  return [
    { name: 'status', args: ['status', ...common] },
    { name: 'status json', args: ['status', ...common, '--output', 'json'] },
    { name: 'status --all', args: ['status', '--all', ...common] },
    { name: 'status --all json', args: ['status', '--all', ...common, '--output', 'json'] },
    { name: 'report', args: ['report', ...common, '--output', '-'], wide: true },
    { name: 'plan json', args: ['plan', ...common, '--output', 'json'], wide: true },
    { name: 'clusters list', args: ['clusters', 'list', ...common, '--output', 'json'], wide: true },
  ];
}

/** Output that varies run to run on the same state (the report file name, elapsed clocks, the copy's path). */
function normalise(text: string, ws: { dir: string }): string {
  return text.split(ws.dir).join('WS').replace(/\d+(\.\d+)? ?(ms|s|min|h|d)( ago)?\b/g, 'T').replace(/"(at|startedAt|finishedAt|since|updatedAt|time)":\s*"[^"]*"/g, '"$1":"T"');
}

async function runReaders(ws: ReturnType<typeof workspaceCopy>, all = true): Promise<Record<string, { code: number | null; out: string; stderr: string }>> {
  const results: Record<string, { code: number | null; out: string; stderr: string }> = {};
  for (const r of readers(ws).filter((r) => all || !r.wide)) {
    const res = await runInProcess(r.args);
    results[r.name] = { code: res.code, out: normalise(res.stdout, ws), stderr: res.stderr };
  }
  return results;
}

describe.skipIf(!hasTerraform)('a damaged state dir under every reader', () => {
  beforeAll(async () => {
    // Finished and held in one chain (held starts from a copy of finished); failed half-way in a workspace of its
    // own, deployed meanwhile. allSettled: a failing one must not leave the other running while the files go.
    const finishedThenHeld = async (): Promise<void> => {
      // Finished: generation 1.
      const finished = sandboxWorkspace();
      const first = await runCli(['deploy', '--config', finished.config, '--state-dir', finished.stateDir, '--cluster-id', '241']);
      expect(first.code, first.stderr).toBe(0);
      states.finished.dir = finished.dir;

      // Held: generation 2 over it, paused in its shift with no one to answer (CI).
      const held = workspaceCopy(finished.dir);
      rmSync(held.outside, { recursive: true });
      const run = startCli(['deploy', '--config', held.config, '--state-dir', held.stateDir, '--cluster-id', '242']);
      await run.waitFor(/traffic-shift: started/, 240_000);
      const id = readdirSync(held.stateDir).filter((n) => /^\d{8}-/.test(n)).sort().at(-1)!;
      const pause = await runCli(['shift', 'pause', id, '--config', held.config, '--state-dir', held.stateDir]);
      expect(pause.code, pause.stderr).toBe(0);
      expect((await run.done).code).toBe(3);
      states.held.dir = held.dir;
    };

    // Failed half-way: eu's alive test fails, us goes on.
    const failedHalfWay = async (): Promise<void> => {
      const failed = sandboxWorkspace();
      writeFileSync(failed.config, readFileSync(failed.config, 'utf8').replace(/aliveTest:[\s\S]*?(?=\n\S)/, 'aliveTest:\n  timeoutSeconds: 2\n  pollIntervalSeconds: 0.2'));
      mkdirSync(join(failed.stateDir, 'sandbox', 'health'), { recursive: true });
      writeFileSync(join(failed.stateDir, 'sandbox', 'health', 'gp-dev-ws-eu243-eu-west1.json'), JSON.stringify({ healthy: false, reason: 'ws-manager crash-looping' }));
      const half = await runCli(['deploy', '--config', failed.config, '--state-dir', failed.stateDir, '--cluster-id', '243']);
      expect(half.code, half.stderr).toBe(1);
      states.failed.dir = failed.dir;
    };
    for (const s of await Promise.allSettled([finishedThenHeld(), failedHalfWay()])) if (s.status === 'rejected') throw s.reason;
  }, 600_000);

  for (const name of ['finished', 'failed', 'held'] as const) {
    it(`${name}: every entry, every damage, every reader`, async () => {
      const base = workspaceCopy(states[name].dir);
      const baseline = await runReaders(base);
      for (const [reader, r] of Object.entries(baseline)) expect(r.code, `${name} ${reader} undamaged: ${r.stderr}`).toBe(0);
      const problems: string[] = [];
      let chmodBit = false;

      for (const target of targets(base.stateDir)) {
        for (const how of DAMAGES) {
          const ws = workspaceCopy(states[name].dir);
          const applied = target.map((rel) => damage(join(ws.stateDir, rel), how, ws.outside)).some(Boolean);
          if (!applied) continue;
          if (how === 'chmod 000') {
            const bit = !readable(join(ws.stateDir, target[0]!));
            chmodBit ||= bit;
            // As root (CAP_DAC_OVERRIDE) the mode does not bite: the dir reads exactly as undamaged, nothing to run.
            if (!bit) {
              rmSync(ws.dir, { recursive: true, force: true });
              continue;
            }
          }
          const label = `${name}: ${target.length > 1 ? `${target.length} files at depth 4+` : target[0]} ${how}`;
          const journals = { ...tree(ws.stateDir, isJournal), ...tree(ws.outside) };
          // report, plan and clusters list (plan and clusters list start a sandbox registry each) only where they read: not working files.
          const results = await runReaders(ws, target.length === 1);
          for (const [reader, r] of Object.entries(results)) {
            const said = `${reader} → ${r.code}: ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}`;
            if (!EXIT_CODES.includes(r.code ?? -1)) problems.push(`${label}: undocumented exit code; ${said}`);
            if (INTERNAL.test(r.stderr) || INTERNAL.test(r.out)) problems.push(`${label}: internal error text; ${said}`);
            // A deployment folder deleted whole is gone: "no deployments" is then the truth.
            const gone = how === 'deleted' && GENERATED_ID.test(target[0]!);
            if (r.code !== 0 && target.length === 1 && !gone && !r.stderr.includes(target[0]!)) problems.push(`${label}: fails without naming ${target[0]}; ${said}`);
          }
          const touchesJournal = target.some((rel) => isJournal(rel) || entries(join(base.stateDir)).some((e) => isJournal(e) && e.startsWith(rel + sep)));
          if (!touchesJournal) {
            for (const reader of ['status json', 'status --all json'] as const) {
              if (results[reader]!.code === 0 && results[reader]!.out !== baseline[reader]!.out) problems.push(`${label}: ${reader} says something else than undamaged`);
            }
          }
          const after = { ...tree(ws.stateDir, isJournal), ...tree(ws.outside) };
          if (JSON.stringify(after) !== JSON.stringify(journals)) problems.push(`${label}: a journal or a file outside the state dir changed`);
          rmSync(ws.dir, { recursive: true, force: true });
        }
      }
      console.log(`${name}: chmod 000 ${chmodBit ? 'bit' : 'did not bite (root): those cases read as undamaged'}`);
      expect(problems).toEqual([]);
    }, 600_000);
  }

  it('a state dir that cannot be written in, nor its parent (chattr +i binds root too): every reader works as on the writable one', async () => {
    const ws = workspaceCopy(states.held.dir);
    const baseline = await runReaders(ws);
    const frozen = [ws.dir, ws.stateDir];
    // chattr needs a filesystem that supports it; without it, modes (which bind only a non-root run).
    const immutable = frozen.every((d) => {
      try {
        execFileSync('chattr', ['+i', d], { stdio: 'ignore' });
        return true;
      } catch {
        chmodSync(d, 0o555);
        return false;
      }
    });
    try {
      const results = await runReaders(ws);
      for (const [reader, r] of Object.entries(results)) {
        expect(r.code, `${reader}: ${r.stderr}`).toBe(baseline[reader]!.code);
        expect(INTERNAL.test(r.stderr), `${reader}: ${r.stderr}`).toBe(false);
        if (reader.startsWith('status')) expect(r.out, reader).toBe(baseline[reader]!.out);
      }
      console.log(`read-only state dir: ${immutable ? 'chattr +i' : 'mode 0555 only (root writes through it)'}`);
    } finally {
      for (const d of frozen) {
        if (immutable) execFileSync('chattr', ['-i', d]);
        chmodSync(d, 0o755);
      }
    }
  }, 120_000);
});

function readable(path: string): boolean {
  try {
    if (lstatSync(path).isDirectory()) readdirSync(path);
    else readFileSync(path);
    return true;
  } catch {
    return false;
  }
}
