/**
 * One error hierarchy for the whole tool. Every error we raise on purpose is a
 * {@link WsdError} with a stable string code, so the CLI maps codes to exit codes
 * and tests assert on codes, never on message text.
 */

/** Stable error codes. Add new ones here; never rename an existing one. */
type ErrorCode =
  | 'ConfigInvalid'
  | 'UsageError'
  | 'ClusterExists'
  | 'PreCheckRefused'
  | 'LockHeld'
  | 'ToolFailed'
  | 'ToolMissing'
  | 'ToolTimeout'
  | 'Interrupted'
  | 'StateCorrupt'
  | 'StateIo'
  | 'DeploymentNotFound'
  | 'ResumeRefused'
  | 'StepFailed'
  | 'DeploymentFailed'
  | 'RegistryUnavailable'
  | 'RegistryNotFound'
  | 'RegistryConflict'
  | 'RegistryRefused'
  | 'RegistryError'
  | 'KubernetesError'
  | 'AliveTestFailed'
  | 'GateFailed'
  | 'MetricsUnavailable'
  | 'Internal';

/** Who has to act: the user (bad input, refused precondition) or us (a bug). */
type ErrorSource = 'user' | 'internal';

interface WsdErrorOptions {
  source?: ErrorSource;
  /** True when retrying the same operation may succeed (network blips, API quota). */
  transient?: boolean;
  /** Structured facts for the journal and `--json-log`; must never hold secrets. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** Base class of every error the tool raises deliberately. */
export class WsdError extends Error {
  readonly code: ErrorCode;
  readonly source: ErrorSource;
  readonly transient: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: WsdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WsdError';
    this.code = code;
    this.source = options.source ?? 'user';
    this.transient = options.transient ?? false;
    this.details = options.details ?? {};
  }
}

/** True for any error raised by this tool (as opposed to a bug or a library throw). */
export function isWsdError(error: unknown): error is WsdError {
  return error instanceof WsdError;
}

/**
 * A full or read-only disk met by a write deep in a step (a rendered release, a kubeconfig) is the
 * operator's to fix, not a bug to report: say which file and what to do.
 */
function diskError(error: unknown): WsdError | undefined {
  const { code, path } = (error ?? {}) as NodeJS.ErrnoException;
  const where = typeof path === 'string' ? ` ${path}` : '';
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new WsdError('StateIo', `cannot write${where} (${code}): the disk holding the state dir is full; free space, then continue the deployment with \`resume\` and its id (\`ws-deployment status --all\` lists them)`, { cause: error });
  }
  if (code === 'EROFS') {
    return new WsdError('StateIo', `cannot write${where} (EROFS): the state dir is on a read-only filesystem; pass --state-dir DIR with a writable folder`, { cause: error });
  }
  return undefined;
}

/** Wraps an unknown throw into an internal error, keeping the original as `cause`. */
export function toWsdError(error: unknown): WsdError {
  if (isWsdError(error)) return error;
  if (isAbortError(error)) return new WsdError('Interrupted', 'interrupted', { cause: error });
  const disk = diskError(error);
  if (disk) return disk;
  const message = error instanceof Error ? error.message : String(error);
  return new WsdError('Internal', `internal error: ${message}`, { source: 'internal', cause: error });
}

/** AbortSignal-driven cancellations surface as DOMException/Error named AbortError. */
export function isAbortError(error: unknown): boolean {
  return (
    (error instanceof Error && error.name === 'AbortError') ||
    (isWsdError(error) && error.code === 'Interrupted')
  );
}

/** Process exit codes (README "Exit codes"). */
export const ExitCode = {
  Success: 0,
  DeploymentFailed: 1,
  Usage: 2,
  Refused: 3,
  Interrupted: 130,
} as const;

/** Maps an error to the exit code the README promises. */
export function exitCodeFor(error: unknown): number {
  if (!isWsdError(error)) return ExitCode.DeploymentFailed;
  switch (error.code) {
    // Not found: the user named something that is not there (a deployment id, a registered cluster),
    // or asked for "the newest" of none; the fix is a different command line, as for a usage error.
    case 'ConfigInvalid':
    case 'UsageError':
    case 'DeploymentNotFound':
    case 'RegistryNotFound':
      return ExitCode.Usage;
    case 'ClusterExists':
    case 'PreCheckRefused':
    case 'LockHeld':
    case 'ResumeRefused':
    case 'RegistryConflict':
    case 'RegistryRefused':
      return ExitCode.Refused;
    case 'Interrupted':
      return ExitCode.Interrupted;
    default:
      return ExitCode.DeploymentFailed;
  }
}
