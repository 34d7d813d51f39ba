/** `ws-deployment status [ID]`: one deployment as a table or JSON (default: the newest). */
import type { Command } from 'commander';
import { WsdError } from '../../core/errors.js';
import { renderSummary, statusDocument } from '../../report/summary.js';
import { openStore } from '../open-store.js';
import { globalOptions } from '../options.js';
import { outputFormat } from './shared.js';

export default async function status(command: Command, id?: string): Promise<void> {
  const options = globalOptions(command);
  const format = outputFormat(command);
  const store = await openStore(options);
  try {
    const chosen = id ?? (await store.list())[0]?.id;
    if (!chosen) throw new WsdError('DeploymentNotFound', `no deployments in ${options.state ? 'the state database' : options.stateDir}; start one with \`ws-deployment deploy\``);
    const snap = (await store.open(chosen)).snapshot();
    process.stdout.write(format === 'json' ? `${JSON.stringify(statusDocument(snap), null, 2)}\n` : renderSummary(snap));
  } finally {
    await store.close();
  }
}
