/** `ws-deployment validate`: every problem at once, exit 0 or 2. */
import type { Command } from 'commander';
import { formatIssue } from '../../config/issues.js';
import { loadConfig } from '../../config/load.js';
import { globalOptions } from '../options.js';

export default async function validate(command: Command): Promise<void> {
  const options = globalOptions(command);
  const { config, file, warnings } = await loadConfig(options.config, { versionsManifest: options.versionsManifest, pathFromEnv: options.configEnv });
  // Valid all the same: warnings go to stderr, the verdict to stdout.
  for (const warning of warnings) process.stderr.write(`warning: ${formatIssue(warning)}\n`);
  process.stdout.write(
    `${file}: valid (${config.workspaceClusters.length} workspace cluster(s), ${config.metaClusters.length} meta cluster(s), environment ${config.environment})\n`,
  );
}
