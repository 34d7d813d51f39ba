/**
 * The module a retire destroy runs with: the journaled one while its folder exists (or it is not a local
 * folder), else the running config's module for that cluster type with a warning, else one refusal naming
 * every such cluster before any is touched.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { destroyModuleInputs } from '../../../src/steps/retire/destroy-module.js';
import type { PlanContext } from '../../../src/steps/step.js';
import type { RootModuleInput } from '../../../src/tools/terraform/generator.js';
import { SANDBOX_MODULE_DIR } from '../../../src/tools/terraform/sandbox-module.js';

const here = mkdtempSync(join(tmpdir(), 'wsd-destroy-module-'));
afterAll(() => rmSync(here, { recursive: true, force: true }));
const input = (moduleSource: string, type: string) =>
  ({ moduleSource, variables: { cluster_type: type }, backend: { type: 'local', path: '/s/x.tfstate' } }) as unknown as RootModuleInput;
const ctx = (module?: { source: string; version?: string }) => ({ config: { terraform: module ? { module } : {} } }) as unknown as Pick<PlanContext, 'config'>;
const gone = join(here, 'old-checkout', 'modules', 'cluster');

describe('the module of a retire destroy', () => {
  it('is the journaled one while its folder exists, and a remote source always', () => {
    const sink = new MemorySink();
    const needs = [
      { cluster: 'eu1', createdBy: 'd1', moduleInput: input(here, 'gke') },
      { cluster: 'us1', createdBy: 'd1', moduleInput: input('gitpod-io/workspace-cluster/google', 'gke') },
    ];
    const out = destroyModuleInputs(needs, ctx({ source: SANDBOX_MODULE_DIR }), sink);
    expect(out.get('eu1')).toBe(needs[0]!.moduleInput);
    expect(out.get('us1')).toBe(needs[1]!.moduleInput);
    expect(sink.events).toEqual([]);
  });

  it("is the running config's module when the journaled folder is gone, said in a warning", () => {
    const sink = new MemorySink();
    const out = destroyModuleInputs([{ cluster: 'eu1', createdBy: 'd1', moduleInput: { ...input(gone, 'gke'), moduleVersion: '1.0' } }], ctx({ source: here }), sink);
    expect(out.get('eu1')).toEqual({ ...input(here, 'gke'), moduleVersion: undefined });
    expect(sink.events).toMatchObject([{ level: 'warn', code: 'retire.module-replaced', cluster: 'eu1', data: { journaled: gone, used: here } }]);
    expect(sink.events[0]!.message).toContain(`the terraform module that created eu1 (deployment d1), ${gone}, is gone; its destroy uses the module the config names now, ${here}`);
    // A sandbox cluster falls back to the bundled module when the config names none.
    expect(destroyModuleInputs([{ cluster: 'eu2', createdBy: 'd1', moduleInput: input(gone, 'sandbox') }], ctx(), sink).get('eu2')?.moduleSource).toBe(SANDBOX_MODULE_DIR);
  });

  it('refuses every cluster whose folder is gone with nothing in its place, in one error naming both ways out', () => {
    const needs = [
      { cluster: 'eu1', createdBy: 'd1', moduleInput: input(gone, 'gke') },
      { cluster: 'us1', createdBy: 'd0', moduleInput: input(`${gone}-2`, 'gke') },
    ];
    const sink = new MemorySink();
    expect(() => destroyModuleInputs(needs, ctx(), sink)).toThrow(
      `cluster eu1 was created (deployment d1) with the terraform module ${gone}, which is gone; cluster us1 was created (deployment d0) with the terraform module ${gone}-2, which is gone, and the config names no module that exists for them; the retirement has not touched them (no cordon, drain, deregistration or destroy). Restore that folder, or set terraform.module.source to the module that created it, then run again`,
    );
    expect(() => destroyModuleInputs(needs, ctx({ source: join(here, 'also-gone') }))).toThrow(/which is gone, and the config names no module that exists for them/);
    expect(sink.events).toEqual([]);
  });
});
