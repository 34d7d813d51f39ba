/**
 * Entry point: builds the program, runs it, and maps every error to an exit
 * code in one place. Sets `process.exitCode` instead of exiting so `finally`
 * blocks (journal writes, lock release) always run.
 */
import { JsonRenderer } from './render/line-renderer.js';
import { ignoreClosedPipes } from './render/closed-pipes.js';
import { asciiOnNonUtf8Terminals } from './render/charset.js';
import { ErrorOutput, jsonLogRequested } from './render/error-output.js';
import { routeProcessWarnings } from './process-warnings.js';
import { buildProgram } from './program.js';
import { guardStopSignals } from './stop-signals.js';
import { guardJobControl } from './job-control.js';
import { WsdError } from '../core/errors.js';
import { interruptedMessage } from './interrupted-message.js';

export async function main(argv: string[]): Promise<void> {
  // First, so a reader closing the pipe early can never kill a running deployment.
  ignoreClosedPipes();
  // A terminal whose locale is not UTF-8 (LANG=C) gets ASCII, not mojibake (render/charset.ts).
  const restoreCharset = asciiOnNonUtf8Terminals();
  const errors = new ErrorOutput(jsonLogRequested(argv));
  // A signal no command handles (before a run's runtime exists, in a read-only command, while the process stops)
  // exits at once with a documented code, never Node's death by signal (143, 129). While the command runs: 130,
  // said like any error. Once it is over (the second of a runner's SIGINT-then-SIGTERM while the sandbox registries
  // stop): its outcome is settled and journaled, exit with it (none set: it succeeded, 0).
  let settled = false;
  const unguard = guardStopSignals((name) => {
    process.exit(settled ? (process.exitCode ?? 0) : errors.report(new WsdError('Interrupted', interruptedMessage(name, argv))));
  });
  // Ctrl-Z (or a supervisor's SIGTSTP) stops the tools too, each in a process group of its own.
  const unguardJobControl = guardJobControl();
  // With --json-log every stderr line is NDJSON, Node's own warnings included (commands that
  // build a runtime route them again, to their sink, while they run).
  const restoreWarnings = errors.jsonLog ? routeProcessWarnings(new JsonRenderer(process.stderr, false)) : undefined;
  const program = buildProgram({ errors });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = errors.report(error);
  } finally {
    settled = true;
    try {
      // Embedded sandbox registries (gRPC servers) would keep the process alive.
      const { stopSandboxRegistries } = await import('../sandbox/sandbox-registry.js');
      await stopSandboxRegistries();
    } finally {
      unguard();
      unguardJobControl();
      restoreWarnings?.();
      restoreCharset();
    }
  }
}

