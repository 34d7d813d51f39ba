/**
 * Generation 1 of the sandbox, deployed once per suite and copied for each case.
 *
 * A first deploy (real terraform, helm, registry) costs half a minute of a loaded
 * machine, and most e2e cases only need "generation 1 is up" before the deploy
 * they test. A state dir is relocatable (test/e2e/state-dir-copy.test.ts proves
 * it), so a suite deploys it once into a template workspace and each case gets
 * `cp -r` of that workspace — its own state dir, sandbox registry and config —
 * so the cases are independent of each other and may run concurrently.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli, sandboxWorkspace } from './cli.js';

export interface SandboxCopy {
  dir: string;
  /** The copy's config file (as generation 1 was deployed with; a case rewrites it, e.g. from {@link example}). */
  config: string;
  stateDir: string;
  /** `--config <config> --state-dir <stateDir>`. */
  common: string[];
  /** The sandbox example as shipped (examples/sandbox.yaml), to derive a case's config from. */
  example: string;
  cleanup(): void;
}

export interface GenerationOne {
  /** A fresh copy of the template workspace with generation 1 deployed in its state dir. */
  copy(): SandboxCopy;
  cleanup(): void;
}

/**
 * Deploys generation 1 (`eu<clusterId>`, `us<clusterId>`) with the sandbox example rewritten by `config`.
 * Fails the calling hook when the deploy fails.
 */
export async function deployGenerationOne(clusterId: number, config: (example: string) => string = (e) => e): Promise<GenerationOne> {
  const template = sandboxWorkspace();
  const example = readFileSync(template.config, 'utf8');
  writeFileSync(template.config, config(example));
  const first = await runCli(['deploy', '--config', template.config, '--state-dir', template.stateDir, '--cluster-id', String(clusterId)]);
  expect(first.code, first.stderr).toBe(0);
  return {
    copy: () => {
      const dir = mkdtempSync(join(tmpdir(), 'wsd-e2e-'));
      cpSync(template.dir, dir, { recursive: true });
      const copied = { config: join(dir, 'examples', 'sandbox.yaml'), stateDir: join(dir, 'state') };
      return { dir, ...copied, common: ['--config', copied.config, '--state-dir', copied.stateDir], example, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
    cleanup: template.cleanup,
  };
}

/** At most `slots` tasks at a time (each case runs real terraform and a deploy process; CI has two cores). */
export function limit(slots: number): <T>(task: () => Promise<T>) => Promise<T> {
  const waiting: Array<() => void> = [];
  let free = slots;
  return async (task) => {
    if (free > 0) free--;
    else await new Promise<void>((res) => waiting.push(res));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}
