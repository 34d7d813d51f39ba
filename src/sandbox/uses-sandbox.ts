/** Whether a run of `config` uses the sandbox's files in the state dir (`sandbox/`): a sandbox workspace or meta cluster. */
import type { Config } from '../config/schema.js';

export function usesSandbox(config: Pick<Config, 'workspaceClusters' | 'metaClusters'>): boolean {
  return config.workspaceClusters.some((c) => c.type === 'sandbox') || config.metaClusters.some((m) => m.type === 'sandbox');
}
