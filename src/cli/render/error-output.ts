/**
 * The last words of a run: the error that ended it and its exit code. Plain, it
 * is one `error: …` line; with `--json-log` it is one NDJSON event like every
 * other stderr line, so a log collector never meets a line it cannot parse.
 * commander's own parse errors (unknown option, bad value, missing argument)
 * come here too: with `--json-log` commander prints nothing itself.
 */
import { CommanderError, type OutputConfiguration } from 'commander';
import { ExitCode, exitCodeFor, isWsdError } from '../../core/errors.js';
import type { DeployEvent } from '../../core/events.js';
import { Redactor } from '../../core/redact.js';
import { bareCommands, type NextCommands } from '../../core/next-command.js';
import type { Writable } from './line-renderer.js';

/** Stable event code of the final error (`data.error` holds the error's own code). */
const ERROR_EVENT_CODE = 'cli.error';

const USAGE_HINT = 'run with --help for usage';

/**
 * The last error may quote what the user gave (a bad --otlp-endpoint with a password in it, a
 * state url) and is printed outside the run's redactor: secret shapes are masked here too.
 */
const scrub = new Redactor();

/**
 * True when the command line asks for NDJSON on stderr. Read from argv before
 * parsing, because parsing itself may fail and that error must be NDJSON too.
 */
export function jsonLogRequested(argv: readonly string[]): boolean {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).includes('--json-log');
}

export class ErrorOutput {
  /** Set once commander has printed an error itself (plain mode). */
  private commanderPrinted = false;
  /** Completes the commands an error suggests; set once the command line is parsed (program.ts), so a usage error has none. */
  next: NextCommands = bareCommands;

  constructor(
    readonly jsonLog: boolean,
    private readonly err: Writable = process.stderr,
    private readonly out: Writable = process.stdout,
  ) {}

  /** commander's output settings: errors through {@link report} with --json-log, noted otherwise. */
  commanderOutput(): OutputConfiguration {
    return {
      outputError: (text, write) => {
        this.commanderPrinted = true;
        if (!this.jsonLog) write(scrub.redact(text));
      },
      // With --json-log the only other thing commander writes to stderr is the usage shown when a
      // command is missing: that goes to stdout with the rest of the help, stderr stays NDJSON.
      writeErr: (text) => void (this.jsonLog ? this.out : this.err).write(text),
    };
  }

  /** Prints `error` the way a user (or a log collector) can act on it; returns the exit code. */
  report(error: unknown): number {
    if (error instanceof CommanderError) return this.reportCommander(error);
    if (isWsdError(error)) {
      const exitCode = exitCodeFor(error);
      const debugStack = error.source === 'internal' && process.env.WSD_DEBUG ? error.stack : undefined;
      if (this.jsonLog) {
        const details = Object.keys(error.details).length > 0 ? error.details : undefined;
        this.event(error.message, { error: error.code, exitCode, details, stack: debugStack });
      } else {
        this.err.write(this.next.text(scrub.redact(`error: ${error.message}\n`)));
        if (debugStack) this.err.write(scrub.redact(`${debugStack}\n`));
      }
      return exitCode;
    }
    // Not ours: a bug. Say so, with the stack, since a user can only report it.
    const text = error instanceof Error ? error.message : String(error);
    const stack = error instanceof Error ? error.stack : undefined;
    if (this.jsonLog) this.event(`internal error (please report): ${text}`, { error: 'Internal', exitCode: ExitCode.DeploymentFailed, stack });
    else this.err.write(scrub.redact(`internal error (please report): ${stack ?? text}\n`));
    return ExitCode.DeploymentFailed;
  }

  private reportCommander(error: CommanderError): number {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.Success;
    if (error.code === 'commander.help') {
      // `help` asked for is a success; help shown because no command was given is a usage error.
      if (error.exitCode === 0) return ExitCode.Success;
      if (this.jsonLog) this.event(`a command is required; the usage is on stdout (${USAGE_HINT})`, { error: 'UsageError', exitCode: ExitCode.Usage });
      return ExitCode.Usage;
    }
    const message = error.message.replace(/^error: /, '');
    if (this.jsonLog) this.event(`${message} (${USAGE_HINT})`, { error: 'UsageError', exitCode: ExitCode.Usage, reason: error.code });
    // A CommanderError commander did not print (thrown by our own code) must not end the run silently.
    else if (!this.commanderPrinted) this.err.write(scrub.redact(`error: ${message}\n(${USAGE_HINT})\n`));
    return ExitCode.Usage;
  }

  private event(message: string, data: Record<string, unknown>): void {
    const event: DeployEvent = { time: new Date().toISOString(), level: 'error', code: ERROR_EVENT_CODE, message: this.next.text(scrub.redact(message)), data: this.next.value(scrub.redactValue(withoutUndefined(data))) };
    let line: string;
    try {
      line = JSON.stringify(event);
    } catch {
      // Details that do not serialise (a cycle, a BigInt) must not cost the message.
      line = JSON.stringify({ ...event, data: { error: data.error, exitCode: data.exitCode } });
    }
    this.err.write(`${line}\n`);
  }
}

function withoutUndefined(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
}
