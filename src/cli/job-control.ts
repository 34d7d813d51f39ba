/**
 * Ctrl-Z and `fg` for the whole job. Every tool leads its own process group (tools/exec.ts), so the terminal's
 * SIGTSTP reaches the CLI alone: left to the default, helm, gcloud, kubectl and terraform went on unseen while the
 * shell said "Stopped". So on SIGTSTP (the key, or `kill -TSTP` from a supervisor: with or without a terminal) the
 * CLI gives the terminal back in its normal mode, stops every tool's group, then itself; once continued, it
 * continues those groups and takes its terminal mode back.
 *
 * SIGSTOP, not SIGTSTP, to the tool groups: each is a session of its own, an orphaned process group to the kernel,
 * which discards SIGTSTP for such a group (nothing there could continue it). SIGSTOP to ourselves too: a SIGTSTP
 * listener replaces the default stop, and SIGSTOP cannot be caught, so it stops us before `kill` returns; the SIGCONT
 * that continues us (`fg`, a supervisor's `kill -CONT`) lets `kill` return, and the tools are continued right then.
 *
 * The time stopped is recorded (core/job-pause.ts): tool timeouts and step deadlines count running time only.
 *
 * SIGTTIN/SIGTTOU are left to their default: tools read and write pipes, never the terminal, so only the CLI can
 * get them, and a listener would make the kernel retry the terminal write that raised them for ever.
 */
import { recordPause } from '../core/job-pause.js';
import { ownProcessGroupOrphaned } from '../core/process-identity.js';
import { forEachLiveToolGroup } from '../tools/exec.js';

/** A terminal mode held now (raw mode of a question, the alternate screen of a watch): left on stop, retaken on continue. */
export interface TerminalMode {
  leave(): void;
  retake(): void;
}

const modes: TerminalMode[] = [];

function signalToolGroups(signal: NodeJS.Signals): void {
  forEachLiveToolGroup((pgid) => {
    try {
      process.kill(-pgid, signal);
    } catch {
      // that group is gone meanwhile
    }
  });
}

/** Holds `mode` until the returned function is called: a stop of the job leaves it meanwhile. */
export function holdTerminalMode(mode: TerminalMode): () => void {
  modes.push(mode);
  return () => {
    const at = modes.lastIndexOf(mode);
    if (at >= 0) modes.splice(at, 1);
  };
}

/**
 * Stops the whole job now (the terminal back in its normal mode, the tools, this process); returns once continued.
 * Not in an orphaned process group (no job control: `sh -c`, a terminal without a job-control shell, `setsid`):
 * nothing could continue it there, and the kernel drops such a SIGTSTP for the same reason, so it is ignored.
 */
export function stopJob(): void {
  if (ownProcessGroupOrphaned()) return;
  for (const mode of [...modes].reverse()) mode.leave();
  signalToolGroups('SIGSTOP');
  // Timed around our own stop (monotonic clock), credited before any timer can run: tool timeouts and step deadlines
  // do not count it (core/job-pause.ts), as the tools made no progress meanwhile.
  const stoppedAt = performance.now();
  process.kill(process.pid, 'SIGSTOP');
  recordPause(performance.now() - stoppedAt);
  signalToolGroups('SIGCONT');
  for (const mode of modes) mode.retake();
}

/** main(): from now on a SIGTSTP stops the whole job; returns the function that gives SIGTSTP its default back. */
export function guardJobControl(): () => void {
  process.on('SIGTSTP', stopJob);
  return () => process.off('SIGTSTP', stopJob);
}
