/**
 * The journal's observers for a run (`deploy`, `resume`): webhooks from the
 * config's `notifications:`, wired in front of the store, drained (bounded)
 * before the command ends.
 */
import type { Config } from '../../config/schema.js';
import { Notifier } from '../../notify/notifier.js';
import type { JournalObserver } from '../../state/observed-store.js';
import type { Runtime } from '../runtime.js';

/** How long the end of a run waits for notifications still being delivered. */
const DRAIN_MS = 30_000;

export interface RunObservers {
  observers: JournalObserver[];
  /** Waits (bounded) for deliveries in flight. */
  finish(): Promise<void>;
}

export function runObservers(runtime: Runtime, config: Config): RunObservers {
  const hooks = config.notifications?.webhooks ?? [];
  // Tokens live in webhook URLs (Slack, Teams): never in any output.
  runtime.redactor.add(...hooks.map((h) => h.url), ...hooks.flatMap((h) => urlSecrets(h.url)));
  if (hooks.length === 0) return { observers: [], finish: async () => undefined };
  const notifier = new Notifier({ webhooks: hooks }, runtime.sink);
  return { observers: [(record, journal) => notifier.observe(record, journal)], finish: () => notifier.drain(DRAIN_MS) };
}

/** The path and query of a URL: where webhook tokens are. */
function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    return [u.pathname.length > 1 ? u.pathname : '', u.search.slice(1), u.password].filter((s) => s.length >= 8);
  } catch {
    return [];
  }
}
