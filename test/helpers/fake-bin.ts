/**
 * Recording fake binaries for tools that cannot run here for real (gcloud against
 * a live project, helm/kubectl against a cloud cluster). `createFakeBin('gcloud',
 * …)` writes an executable Node script named like the tool into a temp dir; put
 * `bin.dir` first on PATH through runTool's `env` option (`bin.pathEnv()`).
 *
 * Each call appends one JSON line (argv, cwd, selected env, stdin) to a record
 * file and answers from a scripted list of rules: the first rule whose `match`
 * fits the argv and whose `times` is not used up wins. "Fail twice, then succeed"
 * is `[{ exitCode: 1, stderr: '…', times: 2 }, { stdout: 'ok' }]`. A call that
 * no rule answers exits 127 with a message, so a test never passes by accident.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface FakeResponse {
  /** Every string must appear in argv (in any position) for this rule to apply. */
  match?: string[];
  /** How many calls this rule answers. Default: unlimited. */
  times?: number;
  stdout?: string;
  stderr?: string;
  /** Default 0. */
  exitCode?: number;
  /** Wait this long before answering (to test timeouts and interrupts). */
  delayMs?: number;
  /** While delaying, ignore SIGINT and SIGTERM (recorded, as a stuck tool would ignore them): only SIGKILL stops it. */
  ignoreSignals?: boolean;
  /** Write `content` to the file named by this env variable (e.g. KUBECONFIG), as the real tool would. */
  writeToEnvFile?: { env: string; content: string };
}

export interface FakeCall {
  argv: string[];
  cwd: string;
  /** The recorded variables; `null` when the variable was not set. */
  env: Record<string, string | null>;
  stdin: string;
  /** Index of the rule that answered, or -1. */
  rule: number;
  /** Set when the fake was stopped by a signal while delaying (or got one it ignored: rule -3). */
  signal?: string;
  /** The fake's process id. */
  pid: number;
}

export interface FakeBin {
  /** Directory holding the executable. */
  dir: string;
  /** Absolute path of the executable. */
  path: string;
  /** PATH with `dir` first, for runTool's `env` option. */
  pathEnv(): { PATH: string };
  calls(): Promise<FakeCall[]>;
  cleanup(): Promise<void>;
}

export interface FakeBinOptions {
  responses: FakeResponse[];
  /** Environment variables to record on every call. */
  recordEnv?: string[];
}

// The fake itself: plain Node, no dependencies. A mkdir lock serialises the
// "count previous calls, pick a rule, append the record" sequence across
// concurrent invocations.
const SCRIPT = `
const fs = require('node:fs');
const path = require('node:path');
const config = JSON.parse(fs.readFileSync(path.join(__dirname, '.fake-config-' + path.basename(__filename) + '.json'), 'utf8'));
const argv = process.argv.slice(2);
const lock = config.recordFile + '.lock';
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
for (let i = 0; ; i++) {
  try { fs.mkdirSync(lock); break; } catch (e) { if (i > 500) throw e; sleep(10); }
}
let record;
// Handlers go in before the call is recorded: a test aborts as soon as it sees
// the record, and a signal arriving before a handler existed would kill the
// fake unrecorded (seen under load). Sync code runs to the end first, so a
// signal is handled only after the record is written and the lock released.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    const delayed = record && config.responses[record.rule] && config.responses[record.rule].delayMs;
    if (!delayed) { process.removeAllListeners(sig); process.kill(process.pid, sig); return; }
    if (config.responses[record.rule].ignoreSignals) { fs.appendFileSync(config.recordFile, JSON.stringify({ ...record, rule: -3, signal: sig }) + '\\n'); return; }
    fs.appendFileSync(config.recordFile, JSON.stringify({ ...record, rule: -2, signal: sig }) + '\\n');
    process.exit(130);
  });
}
try {
  const previous = fs.existsSync(config.recordFile)
    ? fs.readFileSync(config.recordFile, 'utf8').split('\\n').filter(Boolean).map((l) => JSON.parse(l))
    : [];
  const rule = config.responses.findIndex((r, i) =>
    (r.match || []).every((m) => argv.includes(m)) &&
    (r.times === undefined || previous.filter((c) => c.rule === i).length < r.times));
  const env = {};
  for (const name of config.recordEnv) env[name] = process.env[name] === undefined ? null : process.env[name];
  let stdin = '';
  if (!process.stdin.isTTY) { try { stdin = fs.readFileSync(0, 'utf8'); } catch { stdin = ''; } }
  record = { argv, cwd: process.cwd(), env, stdin, rule, pid: process.pid };
  fs.appendFileSync(config.recordFile, JSON.stringify(record) + '\\n');
} finally {
  fs.rmdirSync(lock);
}
const response = config.responses[record.rule];
if (!response) {
  process.stderr.write('fake ' + path.basename(__filename) + ': no scripted response for: ' + argv.join(' ') + '\\n');
  process.exit(127);
}
const answer = () => {
  if (response.writeToEnvFile) {
    const target = process.env[response.writeToEnvFile.env];
    if (target) fs.writeFileSync(target, response.writeToEnvFile.content);
  }
  if (response.stdout) process.stdout.write(response.stdout);
  if (response.stderr) process.stderr.write(response.stderr);
  process.exitCode = response.exitCode || 0;
};
if (response.delayMs) {
  setTimeout(answer, response.delayMs);
} else {
  answer();
}
`;

/** Creates a fake named `name` (e.g. `gcloud`) answering with `options.responses`. */
export async function createFakeBin(name: string, options: FakeBinOptions): Promise<FakeBin> {
  if (!/^[a-z][-a-z0-9]*$/.test(name)) throw new Error(`fake binary name "${name}" must be a plain command name`);
  const dir = await mkdtemp(join(tmpdir(), `wsd-fake-${name}-`));
  const path = join(dir, name);
  const recordFile = join(dir, `.calls-${name}.jsonl`);
  await writeFile(
    join(dir, `.fake-config-${name}.json`),
    JSON.stringify({ responses: options.responses, recordEnv: options.recordEnv ?? [], recordFile }),
  );
  await writeFile(path, `#!${process.execPath}\n${SCRIPT}`);
  await chmod(path, 0o755);
  return {
    dir,
    path,
    pathEnv: () => ({ PATH: [dir, process.env.PATH ?? ''].join(delimiter) }),
    async calls() {
      const text = await readFile(recordFile, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as FakeCall);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
