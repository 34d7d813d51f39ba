/**
 * What a failed helm run means: transient (the API server was unreachable or slow:
 * retried) or permanent (the chart or values are wrong), and helm's `-o json`
 * output read despite the human lines some versions print before it.
 */
import { WsdError, isWsdError } from '../core/errors.js';
import { ToolFailedError } from './exec.js';

/** What to do when helm is missing or too old (HELM_MIN_VERSION in helm.ts). */
export const HELM_INSTALL_HINT = 'install helm >= 3.12 from https://helm.sh/docs/intro/install/ and make sure it is on PATH';
const INSTALL_HINT = HELM_INSTALL_HINT;
/** Patterns of helm/Kubernetes client errors that a later attempt may not see. */
const TRANSIENT = /connection refused|i\/o timeout|tls handshake timeout|context deadline exceeded|timed out waiting for the condition|connection reset by peer|no such host|server is currently unable to handle the request|etcdserver: request timed out|client\.timeout exceeded|too many requests|service unavailable|http2: server sent goaway|unexpected eof/i;
/**
 * `--atomic` (helm 3) / `--rollback-on-failure` (helm 4) gave up and undid the
 * release. Real helm 3.18 prints `Error: UPGRADE FAILED: release gitpod failed,
 * and has been rolled back due to atomic being set: context deadline exceeded`,
 * helm 4.1 `… due to rollback-on-failure being set: resource StatefulSet/ns/x not
 * ready. status: …, message: … context deadline exceeded`; a first install says
 * `has been uninstalled`. Older helm 3 said `timed out waiting for the condition`.
 */
const ROLLED_BACK = /has been (rolled back|uninstalled) due to (atomic|rollback-on-failure) being set: ([\s\S]*)/i;
/** The cause after ROLLED_BACK that means `--wait` used up the whole timeout. */
const WAIT_TIMEOUT = /context deadline exceeded|timed out waiting for the condition/i;
/** Rendering errors: the chart or values are wrong, retrying cannot help. */
const PERMANENT = /parse error|execution error|template: |yaml: |unable to build kubernetes objects|values don't meet the specifications|chart requires kubeversion/i;

/** Turns a failed helm invocation into a WsdError with the right transient flag. */
export function classifyHelmError(error: unknown, what: string): WsdError {
  if (!isWsdError(error)) return new WsdError('ToolFailed', `${what} failed: ${String(error)}`, { cause: error });
  if (error.code === 'ToolMissing') {
    return new WsdError('ToolMissing', `helm is not installed or not on PATH; ${INSTALL_HINT}`, { details: { command: 'helm' } });
  }
  if (error.code === 'Interrupted') return error;
  if (error.code === 'ToolTimeout') {
    return new WsdError('ToolTimeout', `${what} timed out; the API server may be slow or unreachable, it will be retried`, {
      transient: true,
      details: error.details,
      cause: error,
    });
  }
  const output = error instanceof ToolFailedError ? `${error.stderr}\n${error.stdout}` : error.message;
  const last = output.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  const undone = ROLLED_BACK.exec(output);
  if (undone && WAIT_TIMEOUT.test(undone[3] ?? '')) {
    // The workloads never became ready within --timeout: another attempt would wait the
    // whole timeout again (minutes) for the same result, so this is for a human to look at.
    const state = undone[1] === 'uninstalled' ? 'helm uninstalled the new release' : 'helm rolled the release back to its previous revision';
    return new WsdError(
      'ToolFailed',
      `${what} failed: the release's workloads did not become ready within its timeout, so ${state} (not retried: another attempt would wait the whole timeout again). ` +
        `Look at its workloads for why (kubectl get pods, kubectl describe pod, kubectl logs in the release's namespace), fix that, and run again; helm said: ${last}`,
      { transient: false, details: error.details, cause: error },
    );
  }
  const transient = !PERMANENT.test(output) && TRANSIENT.test(output);
  return new WsdError('ToolFailed', `${what} failed: ${last}${transient ? ' (transient, will be retried)' : ''}`, {
    transient,
    details: error.details,
    cause: error,
  });
}

/**
 * Parses helm's `-o json` output. Some helm versions print a human line such as
 * `Release "x" does not exist. Installing it now.` before the JSON on stdout,
 * so parsing starts at the first line that opens a JSON value.
 */
export function parseJsonOutput<T>(stdout: string, what: string): T {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => /^\s*[[{]/.test(line));
  try {
    if (start < 0) throw new Error('no JSON in the output');
    return JSON.parse(lines.slice(start).join('\n')) as T;
  } catch (error) {
    throw new WsdError('ToolFailed', `${what} printed no valid JSON (${(error as Error).message}); run it by hand to see why`, {
      details: { stdout: stdout.slice(0, 500) },
      cause: error,
    });
  }
}
