/**
 * Entry point: builds the program, runs it, and maps every error to an exit
 * code in one place. Sets `process.exitCode` instead of exiting so `finally`
 * blocks (journal writes, lock release) always run.
 */
import { JsonRenderer } from './render/line-renderer.js';
import { ignoreClosedPipes } from './render/closed-pipes.js';
import { ErrorOutput, jsonLogRequested } from './render/error-output.js';
import { routeProcessWarnings } from './process-warnings.js';
import { buildProgram } from './program.js';

export async function main(argv: string[]): Promise<void> {
  // First, so a reader closing the pipe early can never kill a running deployment.
  ignoreClosedPipes();
  const errors = new ErrorOutput(jsonLogRequested(argv));
  // With --json-log every stderr line is NDJSON, Node's own warnings included (commands that
  // build a runtime route them again, to their sink, while they run).
  const restoreWarnings = errors.jsonLog ? routeProcessWarnings(new JsonRenderer(process.stderr, false)) : undefined;
  const program = buildProgram({ errors });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = errors.report(error);
  } finally {
    // The command is over (its runtime's signal handlers are gone), but stopping takes a moment more. A signal
    // now (the second of a runner's SIGINT-then-SIGTERM, a second Ctrl-C) would otherwise kill the process with
    // Node's default: death by signal (143, 129), an exit code no table documents. Its outcome is settled and
    // journaled: exit with it at once.
    const exitNow = (): void => process.exit(process.exitCode ?? 130);
    for (const signal of WIND_DOWN_SIGNALS) process.on(signal, exitNow);
    try {
      // Embedded sandbox registries (gRPC servers) would keep the process alive.
      const { stopSandboxRegistries } = await import('../sandbox/sandbox-registry.js');
      await stopSandboxRegistries();
    } finally {
      for (const signal of WIND_DOWN_SIGNALS) process.off(signal, exitNow);
      restoreWarnings?.();
    }
  }
}

/** The signals a run stops on (cli/runtime.ts). */
const WIND_DOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
