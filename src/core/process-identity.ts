/**
 * Telling one process from another that later got the same pid. Linux's
 * /proc/PID/stat field 22 is the start time in clock ticks since boot: together
 * with the boot id it names one process for good, where a pid is reused by the
 * kernel within minutes on a busy CI box. Elsewhere (no /proc) only the pid is known.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** One process as journaled: pid, and where /proc tells them, its start time and the boot it ran in. */
export interface ProcessIdentity {
  pid: number;
  host: string;
  /** /proc/PID/stat field 22: clock ticks since boot. */
  startTicks?: number;
  /** /proc/sys/kernel/random/boot_id: a reboot restarts the tick count. */
  bootId?: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Fields 3 on of a /proc/PID/stat line. */
function fieldsOf(stat: string): string[] {
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Fields 3 on of /proc/PID/stat; undefined without /proc or once the process is gone. */
function statFields(pid: number): string[] | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : fieldsOf(stat);
}

/**
 * How a process is held still: `stopped` (state T: SIGSTOP, as job control stops a tool's group on Ctrl-Z; it acts on
 * no signal but SIGKILL and SIGCONT until continued), `traced` (t: a debugger or strace holds it; only SIGKILL ends it).
 */
export type StopState = 'stopped' | 'traced';

/** The stop state a /proc/PID/stat line shows (field 3); undefined for a process that runs, sleeps or has exited. */
export function stopStateOf(stat: string): StopState | undefined {
  const state = fieldsOf(stat)[0];
  return state === 'T' ? 'stopped' : state === 't' ? 'traced' : undefined;
}

/**
 * Whether the process `pid` is held still; undefined when it is not, is gone, or there is no /proc. Asked of a tool's
 * group leader this answers for its group: job control stops and continues a tool's whole group at once (SIGSTOP and
 * SIGCONT to -PGID), never one member of it.
 */
export function processStopped(pid: number): StopState | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : stopStateOf(stat);
}

/** Whether the process leads its own process group (field 5 of /proc/PID/stat is its pid): tools do since each was started in one. */
export function leadsProcessGroup(pid: number): boolean {
  return Number(statFields(pid)?.[2]) === pid;
}

/**
 * Whether this process' group is orphaned in POSIX' sense: none of its members has a parent in another group of the
 * same session, so no job-control shell could continue it once stopped (the kernel discards a terminal's SIGTSTP to
 * such a group for that reason). Read from /proc; without it, taken as orphaned (nothing is stopped then).
 */
export function ownProcessGroupOrphaned(): boolean {
  const own = statFields(process.pid);
  if (!own) return true;
  const [pgrp, session] = [own[2], own[3]];
  const hasOutsideParent = (member: string[]): boolean => {
    const parent = statFields(Number(member[1]));
    return parent !== undefined && parent[2] !== pgrp && parent[3] === session;
  };
  if (hasOutsideParent(own)) return false; // a shell's job: its parent is the shell
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  for (const pid of pids) {
    const member = statFields(Number(pid));
    if (member !== undefined && member[2] === pgrp && hasOutsideParent(member)) return false; // a pipeline's other member
  }
  return true;
}

/** Field 22 of /proc/PID/stat (start time, clock ticks since boot); undefined without /proc or once the process is gone. */
export function processStartTicks(pid: number): number | undefined {
  const ticks = Number(statFields(pid)?.[19]);
  return Number.isFinite(ticks) ? ticks : undefined;
}

/**
 * When the process `pid` started (ms since the epoch), from Linux's /proc; undefined
 * elsewhere. Clock ticks are 100 a second on Linux; btime (/proc/stat) is the boot, in seconds.
 */
export function processStartMs(pid: number): number | undefined {
  const ticks = processStartTicks(pid);
  const boot = /^btime (\d+)$/m.exec(readText('/proc/stat') ?? '');
  if (ticks === undefined || !boot) return undefined;
  return Number(boot[1]) * 1000 + ticks * 10;
}

function bootId(): string | undefined {
  return readText('/proc/sys/kernel/random/boot_id')?.trim() || undefined;
}

/** Whether a process with this pid exists (EPERM: it does, owned by another user). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This machine as a journaled process names it: host, and the boot it runs in. */
export function thisMachine(): Pick<ProcessIdentity, 'host' | 'bootId'> {
  const boot = bootId();
  return { host: hostname(), ...(boot ? { bootId: boot } : {}) };
}

/** The identity of the running process `pid` (just spawned: read at once, before it can exit and its pid be reused). */
export function identify(pid: number): ProcessIdentity {
  const startTicks = processStartTicks(pid);
  const boot = bootId();
  return { pid, host: hostname(), ...(startTicks !== undefined ? { startTicks } : {}), ...(boot ? { bootId: boot } : {}) };
}

/**
 * Whether the journaled process still runs: `elsewhere` when it ran on another host (it cannot be
 * seen from here); `gone` when its pid is free, belongs to a process that started at another time,
 * or the machine rebooted since. Without /proc a live pid is taken for it.
 */
export function stillRunning(id: ProcessIdentity): 'running' | 'gone' | 'elsewhere' {
  if (id.host !== hostname()) return 'elsewhere';
  if (id.bootId !== undefined && bootId() !== undefined && id.bootId !== bootId()) return 'gone';
  if (!pidExists(id.pid)) return 'gone';
  const fields = statFields(id.pid);
  // A zombie has finished: only its exit status waits for a parent (one a container's init may never reap).
  if (fields?.[0] === 'Z') return 'gone';
  if (id.startTicks === undefined || fields === undefined) return 'running';
  return Number(fields[19]) === id.startTicks ? 'running' : 'gone';
}

/**
 * The processes here whose environment holds `entry` (`NAME=value`), as /proc shows it to this
 * user (another user's processes are not readable, and a zombie's environment is empty); none
 * without /proc. This process is never one of them.
 */
export function processesWithEnv(entry: string): ProcessIdentity[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const found: ProcessIdentity[] = [];
  for (const name of pids) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    const environ = readText(`/proc/${pid}/environ`);
    if (environ === undefined || !environ.split('\0').includes(entry)) continue;
    const id = identify(pid);
    if (id.startTicks !== undefined || pidExists(pid)) found.push(id);
  }
  return found;
}
