/** `ws-deployment validate`: every problem at once, exit 0 or 2. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { globalOptions } from '../options.js';

export default async function validate(command: Command): Promise<void> {
  const options = globalOptions(command);
  const { config, file } = await loadConfig(options.config, { versionsManifest: options.versionsManifest });
  process.stdout.write(
    `${file}: valid (${config.workspaceClusters.length} workspace cluster(s), ${config.metaClusters.length} meta cluster(s), environment ${config.environment})\n`,
  );
}
