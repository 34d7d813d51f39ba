/** `ws-deployment deploy`: run a new deployment (or, with --dry-run, preview it). */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { dryRun } from '../../engine/dry-run.js';
import { startDeployment } from '../../engine/deployment.js';
import { renderPlan } from '../../report/plan-text.js';
import { checkFaultSpecs } from '../../sandbox/sandbox-traffic.js';
import { renderSummary } from '../../report/summary.js';
import { ExitCode } from '../../core/errors.js';
import { globalOptions } from '../options.js';
import { createRuntime } from '../runtime.js';
import { engineDeps } from './engine-deps.js';
import { applyCliOverrides, engineOptions, exitCodeOf } from './shared.js';
import { emitConfigWarnings, registerSecrets, withSecretFreeHash } from './secrets.js';
import { runObservers } from './observers.js';

export default async function deploy(command: Command): Promise<void> {
  const options = globalOptions(command);
  const raw = await loadConfig(options.config, { versionsManifest: options.versionsManifest, pathFromEnv: options.configEnv });
  // The commands it suggests (summary, errors, webhooks) name this config, also where it is the default one: read
  // in a CI log or a chat far from here, a bare one would read another default config (core/next-command.ts).
  options.next.useConfig(raw.file);
  const { injectFault = [] } = command.opts<{ injectFault?: string[] }>();
  // Before anything runs: a mistyped fault must not be found out after the clusters exist.
  checkFaultSpecs(injectFault, raw.config.workspaceClusters.map((c) => c.prefix));
  const runtime = await createRuntime(options);
  try {
    const loaded = applyCliOverrides(withSecretFreeHash(raw, registerSecrets(runtime.redactor, raw.config)), options);
    emitConfigWarnings(runtime.sink, loaded);
    const observed = await runObservers(runtime, loaded.config, options.otlpEndpoint);
    const deps = engineDeps(runtime, loaded, { injectFault, observers: observed.observers });
    const { allowUnfinished } = command.opts<{ allowUnfinished: boolean }>();
    if (options.dryRun) {
      const { plan, refusals } = await dryRun(loaded, engineOptions({ ...options, dryRun: true }, { allowUnfinished }), deps);
      // The real deploy would stop before changing anything: say why (before the live area closes), and exit as it would (3).
      for (const reason of refusals) runtime.sink.emit({ level: 'error', code: 'dry-run.refused', message: `the deploy would be refused: ${reason}` });
      await runtime.close();
      process.stdout.write(renderPlan(plan));
      if (refusals.length > 0) process.exitCode = ExitCode.Refused;
      return;
    }
    // Also when the run throws: what was traced (and notified) so far still goes out.
    const snap = await startDeployment(loaded, engineOptions(options, { allowUnfinished }), deps).finally(() => observed.finish());
    // First the live area goes (and a gate question still on screen): nothing may redraw over the summary.
    await runtime.close();
    process.stdout.write(runtime.next.text(renderSummary(snap)));
    process.exitCode = exitCodeOf(snap);
  } finally {
    await runtime.close();
  }
}
