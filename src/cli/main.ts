/**
 * Entry point: builds the program, runs it, and maps every error to an exit
 * code in one place. Sets `process.exitCode` instead of exiting so `finally`
 * blocks (journal writes, lock release) always run.
 */
import { CommanderError } from 'commander';
import { exitCodeFor, ExitCode, isWsdError } from '../core/errors.js';
import { buildProgram } from './program.js';

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error);
  } finally {
    // Embedded sandbox registries (gRPC servers) would keep the process alive.
    const { stopSandboxRegistries } = await import('../sandbox/sandbox-registry.js');
    await stopSandboxRegistries();
  }
}

/** Prints an error the way a user can act on it; returns the exit code. */
export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed its message (or help / version).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.Success;
    return ExitCode.Usage;
  }
  if (isWsdError(error)) {
    process.stderr.write(`error: ${error.message}\n`);
    if (error.source === 'internal' && process.env.WSD_DEBUG) process.stderr.write(`${error.stack}\n`);
    return exitCodeFor(error);
  }
  // Not ours: a bug. Say so, with the stack, since a user can only report it.
  process.stderr.write(`internal error (please report): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.DeploymentFailed;
}
