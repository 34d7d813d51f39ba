/**
 * The journal's observers for a run (`deploy`, `resume`): webhooks from the
 * config's `notifications:` and, with `--otlp-endpoint`, the trace exporter,
 * wired in front of the store, drained (bounded) before the command ends.
 */
import type { Config } from '../../config/schema.js';
import { Notifier } from '../../notify/notifier.js';
import { defaultDeliverDeps } from '../../notify/deliver.js';
import type { JournalObserver } from '../../state/observed-store.js';
import { WsdError } from '../../core/errors.js';
import { otlpEndpointProblem } from '../options.js';
import type { Runtime } from '../runtime.js';

/** How long the end of a run waits for notifications still being delivered. */
const DRAIN_MS = 30_000;

/** How long the end of a run waits for the trace collector. */
const TRACE_FLUSH_MS = 6_000;

interface RunObservers {
  observers: JournalObserver[];
  /** Waits (bounded) for deliveries in flight. */
  finish(): Promise<void>;
}

export async function runObservers(runtime: Runtime, config: Config, otlpEndpoint?: string): Promise<RunObservers> {
  const hooks = config.notifications?.webhooks ?? [];
  // Tokens live in webhook URLs (Slack, Teams): never in any output.
  runtime.redactor.add(...hooks.map((h) => h.url), ...hooks.flatMap((h) => urlSecrets(h.url)));
  const observers: JournalObserver[] = [];
  const finishers: Array<() => Promise<void>> = [];
  if (hooks.length > 0) {
    const notifier = new Notifier({ webhooks: hooks }, runtime.sink, defaultDeliverDeps, runtime.next);
    observers.push((record, journal) => notifier.observe(record, journal));
    finishers.push(() => notifier.drain(DRAIN_MS));
  }
  if (otlpEndpoint) {
    // A value from OTEL_EXPORTER_OTLP_ENDPOINT is not checked by the option parser (a --otlp-endpoint is, and wins):
    // checked here, before anything runs, naming the variable the bad value came from.
    const problem = otlpEndpointProblem(otlpEndpoint, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    if (problem) throw new WsdError('UsageError', `${problem}; correct or unset it, or give --otlp-endpoint`);
    runtime.redactor.add(...urlSecrets(otlpEndpoint));
    // Loaded only when asked for: a run without tracing never loads the OpenTelemetry SDK.
    const { OtlpTracer } = await import('../../trace/otlp-tracer.js');
    const tracer = new OtlpTracer({ endpoint: otlpEndpoint, redactor: runtime.redactor, sink: runtime.sink });
    observers.push((record, journal) => tracer.observe(record, journal));
    finishers.push(() => tracer.shutdown(TRACE_FLUSH_MS));
  }
  return {
    observers,
    finish: async () => {
      await Promise.all(finishers.map((f) => f()));
    },
  };
}

/**
 * The path, query and userinfo of a URL: where webhook and collector tokens are. Each query value too, raw and
 * percent-encoded: `?token=X&tenant=a` puts `token=X` in some texts and the bare X in others (an exporter's error).
 */
export function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    const values = [...u.searchParams.values()].flatMap((v) => [v, encodeURIComponent(v)]);
    // Userinfo decoded too (the exporter sends it as basic auth): the redactor derives its encoded forms. A token may be the user alone.
    const userinfo = [u.username, u.password].flatMap((v) => [v, safeDecode(v)]);
    return [u.pathname.length > 1 ? u.pathname : '', u.search.slice(1), ...values, ...userinfo].filter((s) => s.length >= 8);
  } catch {
    return [];
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
