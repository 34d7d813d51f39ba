/**
 * Tool children that outlive a killed run. A run killed with SIGKILL (OOM, a CI
 * runner stopped) cannot stop its children: a `helm upgrade` or `terraform apply`
 * it started goes on working on its release or state. A resume that ran its own
 * tool against that target meanwhile would act under it (roll back the revision
 * helm is still installing, wait on terraform's state lock and fail).
 *
 * So a tool call that changes or locks a target (runTool's `target`) is journaled
 * in its step's checkpoint as soon as it is spawned: the child's identity (pid,
 * start time, boot, host), the tool, the target, and how long the run would have
 * let it go on (its timeout plus kill grace). Before a step runs again, its
 * journaled children that still run are waited for, with a line naming each; one
 * that outlives its bound stops the resume with its pid and the fix. One that is
 * stopped (its job was suspended with Ctrl-Z, then the CLI was killed: nothing is left
 * to continue it) stops the resume at once: it would never exit. A pid reused
 * by an unrelated process has another start time and is not waited for.
 *
 * The step runner sets the journal for the duration of a step (AsyncLocalStorage),
 * so every tool wrapper's calls are covered without each passing it on.
 *
 * The call is journaled twice: before the spawn, with a token the child gets in its
 * environment (`WSD_TOOL_RUN`) and no pid yet, and after it, with the pid. A run
 * killed between the spawn and the second write leaves a child that only the token
 * names: a resume finds it (and anything it started, which inherits the variable) by
 * that token in /proc/PID/environ. So no child that changes a target is ever
 * unjournaled; the price is one more checkpoint per terraform or helm call, which
 * take seconds to minutes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { WsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { hostname } from 'node:os';
import { leadsProcessGroup, processesWithEnv, processStopped, stillRunning, type ProcessIdentity, type StopState } from '../core/process-identity.js';
import { sleep as abortableSleep } from '../core/sleep.js';

/** The checkpoint key under which a step's tool children are journaled. */
export const CHILDREN_KEY = 'children';

/** The variable that carries a tool call's token into its child's environment (and its children's). */
export const CHILD_TOKEN_ENV = 'WSD_TOOL_RUN';

/**
 * One tool call as journaled: before its spawn with `token` and no `pid`, after it with the child's
 * identity. Marks of journals written before the token have a pid and no token.
 */
export interface ChildMark extends Partial<ProcessIdentity> {
  host: string;
  /** A random id in the child's environment as `WSD_TOOL_RUN`. */
  token?: string;
  /** `helm upgrade`, `terraform apply`. */
  tool: string;
  /** What it works on: `release gitpod in namespace default`, a terraform working dir. */
  target: string;
  startedAt: string;
  /** How long after `startedAt` the run that started it would have killed it (timeout plus kill grace). */
  boundMs: number;
}

/** Where a step's children are journaled. */
interface ChildJournal {
  /** Journals `mark`, before the spawn (no pid) and after it (resolves once durable). */
  spawned(mark: ChildMark): Promise<void>;
}

const current = new AsyncLocalStorage<ChildJournal>();

const crashTool = process.env.WSD_CRASH_AFTER_SPAWN;

/**
 * Fault injection for the crash suites, like `state/crash-point.ts`: with `WSD_CRASH_AFTER_SPAWN=TOOL`
 * (`terraform apply`) the process kills itself with SIGKILL right after spawning that tool, before
 * the child's pid can be journaled. Unset (always, outside those tests) it costs one comparison.
 */
export function crashAfterSpawn(tool: string): void {
  if (crashTool !== undefined && tool === crashTool) process.kill(process.pid, 'SIGKILL');
}

/** Runs `fn` with its tool children journaled through `journal`. */
export function withChildJournal<T>(journal: ChildJournal, fn: () => Promise<T>): Promise<T> {
  return current.run(journal, fn);
}

/** The journal of the step this code runs in, if any. */
export function activeChildJournal(): ChildJournal | undefined {
  return current.getStore();
}

/**
 * A step's child journal over its checkpoint: the children of this run, the latest per target (a
 * target's calls run one after another, so an earlier one has ended), written whole and one at a time
 * (checkpoints merge at the top level only).
 */
export function checkpointChildJournal(checkpoint: (partial: Record<string, unknown>) => Promise<void>): ChildJournal {
  const marks = new Map<string, ChildMark>();
  let writes: Promise<void> = Promise.resolve();
  return {
    spawned(mark) {
      marks.set(mark.target, mark);
      const snapshot = [...marks.values()];
      writes = writes.catch(() => undefined).then(() => checkpoint({ [CHILDREN_KEY]: snapshot }));
      return writes;
    },
  };
}

function asMarks(value: unknown): ChildMark[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (m): m is ChildMark =>
      typeof m === 'object' &&
      m !== null &&
      (Number.isInteger((m as ChildMark).pid) || typeof (m as ChildMark).token === 'string') &&
      typeof (m as ChildMark).host === 'string' &&
      typeof (m as ChildMark).tool === 'string' &&
      typeof (m as ChildMark).target === 'string',
  );
}

/** A process to wait for: the journaled child, or one found by its call's token. */
type Orphan = ProcessIdentity & Pick<ChildMark, 'tool' | 'target' | 'startedAt' | 'boundMs'>;

function describeChild(child: Orphan): string {
  return `pid ${child.pid} (${child.tool}, ${child.target}, started ${child.startedAt})`;
}

/**
 * The processes of a journaled call that may still run here: its journaled child, and every process
 * whose environment holds the call's token (the child if the run was killed before its pid was
 * journaled, and what the child started).
 */
function orphansOf(mark: ChildMark): Orphan[] {
  const found = new Map<number, Orphan>();
  const as = (id: ProcessIdentity): Orphan => ({ ...id, tool: mark.tool, target: mark.target, startedAt: mark.startedAt, boundMs: mark.boundMs });
  if (mark.pid !== undefined && stillRunning(mark as ProcessIdentity) === 'running') found.set(mark.pid, as(mark as ProcessIdentity));
  if (mark.token !== undefined) {
    for (const id of processesWithEnv(`${CHILD_TOKEN_ENV}=${mark.token}`)) if (!found.has(id.pid)) found.set(id.pid, as(id));
  }
  return [...found.values()];
}

/**
 * A tool call an earlier run journaled that may still work on its target: one found running here (by its pid or its
 * call's token), or one started on another host, which cannot be checked from here. What `status` says of a killed
 * run, and what `resume` waits for (or, for another host's, warns about) before the step goes on.
 */
export interface LeftRunning {
  /**
   * The processes of the call: here, each still running (the journaled child first, then what it started, which
   * carries its token); on another host, the journaled pid (none for a call killed before its pid was journaled).
   */
  pids: number[];
  host: string;
  tool: string;
  target: string;
  startedAt: string;
  /** When the run that started it would have killed it: `resume` refuses to wait past it. */
  until: string;
  /** Started on another host: whether it still runs is unknown here. */
  elsewhere?: true;
}

/** The children journaled in `checkpoint` that still run here, and those journaled on another host. */
export function leftRunning(checkpoint: Record<string, unknown> | undefined): LeftRunning[] {
  const here = hostname();
  const until = (m: Pick<ChildMark, 'startedAt' | 'boundMs'>): string => {
    const started = Date.parse(m.startedAt);
    return Number.isFinite(started) && Number.isFinite(m.boundMs) ? new Date(started + m.boundMs).toISOString() : m.startedAt;
  };
  return asMarks(checkpoint?.[CHILDREN_KEY]).flatMap((mark): LeftRunning[] => {
    const about = { host: mark.host, tool: mark.tool, target: mark.target, startedAt: mark.startedAt, until: until(mark) };
    if (mark.host !== here) return [{ pids: mark.pid !== undefined ? [mark.pid] : [], ...about, elsewhere: true }];
    const pids = orphansOf(mark).map((o) => o.pid);
    return pids.length ? [{ pids, ...about }] : [];
  });
}

interface OrphanWait {
  sink: EventSink;
  signal?: AbortSignal;
  /** Test hooks. */
  now?: () => number;
  pollMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  stopped?: (pid: number) => StopState | undefined;
}

/** How often a wait that goes on is said again. */
const REMIND_MS = 60_000;

/**
 * Waits until none of the children journaled in `checkpoint` (an earlier run's) still runs.
 * Throws `PreCheckRefused` naming the pid when one runs past its bound, `Interrupted` when `signal` aborts.
 */
export async function waitForOrphans(checkpoint: Record<string, unknown> | undefined, options: OrphanWait): Promise<void> {
  const now = options.now ?? Date.now;
  const pause = options.sleep ?? abortableSleep;
  const pollMs = options.pollMs ?? 1_000;
  const stopped = options.stopped ?? processStopped;
  const marks = asMarks(checkpoint?.[CHILDREN_KEY]);
  const here = hostname();
  for (const mark of marks.filter((m) => m.host !== here)) {
    const which = mark.pid !== undefined ? `pid ${mark.pid}` : 'a child';
    options.sink.emit({
      level: 'warn',
      code: 'tool.orphan-elsewhere',
      message: `the interrupted run started ${which} (${mark.tool}, ${mark.target}, started ${mark.startedAt}) on host ${mark.host}, which cannot be checked from here; if it still runs there, stop it before going on`,
      data: { ...(mark.pid !== undefined ? { pid: mark.pid } : {}), host: mark.host, tool: mark.tool, target: mark.target },
    });
  }
  for (const mark of marks.filter((m) => m.host === here).flatMap(orphansOf)) {
    const started = Date.parse(mark.startedAt);
    const deadline = (Number.isFinite(started) ? started : now()) + (Number.isFinite(mark.boundMs) ? mark.boundMs : 0);
    const until = new Date(deadline).toISOString();
    refuseStopped(mark, stopped(mark.pid));
    options.sink.emit({
      level: 'warn',
      code: 'tool.orphan-wait',
      message: `waiting for ${describeChild(mark)}: the interrupted run left it running, and it still works on ${mark.target}; nothing runs against it until it exits (at the latest ${until})`,
      data: { pid: mark.pid, tool: mark.tool, target: mark.target, until },
    });
    let reminded = now();
    for (;;) {
      if (now() > deadline) {
        throw new WsdError(
          'PreCheckRefused',
          `${describeChild(mark)}, left running by the interrupted run, still works on ${mark.target} past ${until}, longer than that run would have let it; stop it (\`${killCommand(mark.pid)}\`, and wait for it to exit), then run again`,
          { details: { pid: mark.pid, tool: mark.tool, target: mark.target } },
        );
      }
      await pause(pollMs, options.signal);
      if (stillRunning(mark) !== 'running') break;
      refuseStopped(mark, stopped(mark.pid));
      if (now() - reminded >= REMIND_MS) {
        reminded = now();
        options.sink.emit({ level: 'info', code: 'tool.orphan-wait', message: `still waiting for ${describeChild(mark)} (at the latest until ${until})`, data: { pid: mark.pid } });
      }
    }
    options.sink.emit({ level: 'info', code: 'tool.orphan-gone', message: `pid ${mark.pid} (${mark.tool}) has exited; going on`, data: { pid: mark.pid } });
  }
}

/**
 * A tool held still never exits by itself, so waiting for it is pointless: refuse at once, saying why and the command
 * that ends it. Its own state is read: the leader's is its group's, which job control stops and continues whole.
 */
function refuseStopped(child: Orphan, held: StopState | undefined): void {
  if (held === undefined) return;
  const why =
    held === 'stopped'
      ? `is stopped (its job was suspended with Ctrl-Z and the CLI that would continue it is gone), so it never finishes its work on ${child.target}; end it (\`${killCommand(child.pid, held)}\`: SIGTERM, then SIGCONT so that it acts on it and stops as on a Ctrl-C; a SIGTERM alone waits for a continue that never comes), wait for it to exit, then run again`
      : `is held stopped by a tracer (a debugger or strace attached to it) and does no work on ${child.target}: detach the tracer and run again, or end it (\`${killCommand(child.pid, held)}\`: a traced process acts on no other signal, so it stops without cleaning up), then run again`;
  throw new WsdError('PreCheckRefused', `${describeChild(child)}, left running by the interrupted run, ${why}`, {
    details: { pid: child.pid, tool: child.tool, target: child.target, stopped: held },
  });
}

/**
 * How to stop a tool left running: its whole process group (what it started, terraform's providers, gcloud's python)
 * when it leads one, as every tool started by this version does; the pid alone for one an older version started.
 * A stopped one acts on the SIGTERM only once continued, so the command continues it after queueing the SIGTERM
 * (`-s CONT`: dash's kill takes no `-CONT` before `--`); a traced one acts only on SIGKILL.
 */
function killCommand(pid: number, held?: StopState): string {
  const who = leadsProcessGroup(pid) ? `-- -${pid}` : `${pid}`;
  if (held === 'stopped') return `kill ${who}; kill -s CONT ${who}`;
  if (held === 'traced') return `kill -s KILL ${who}`;
  return `kill ${who}`;
}
