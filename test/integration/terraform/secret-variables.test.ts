/**
 * Secret passthrough variables with the real terraform binary and the sandbox
 * module: the generated files, the journaled module input and terraform's argv
 * hold no secret value, the value reaches the module all the same (through
 * `TF_VAR_` in terraform's own environment: its digest lands in the state), the
 * plan terraform prints shows it as sensitive, and destroy works with it again.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { rootModuleInput, secretTerraformEnv } from '../../../src/steps/create-cluster/terraform-setup.js';
import type { ClusterTarget, PlanContext } from '../../../src/steps/step.js';
import { writeRootModule } from '../../../src/tools/terraform/generator.js';
import { Terraform } from '../../../src/tools/terraform/terraform.js';
import { tempDir } from './sandbox-fixture.js';

const SECRET = 'hunter2-${not.a.template}-%{nor} this';
const MARKED = 'marked-secret-ca-value';

const cluster = { name: 'gp-dev-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1', type: 'sandbox' } as ClusterTarget;

describe('secret terraform variables', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    root = await tempDir('wsd-tf-secret-');
  });
  afterAll(() => root.cleanup());

  it('reach the module through TF_VAR_ only, declared sensitive, never in a file or argv', async () => {
    const config = {
      project: { id: 'gitpod-dev-123', network: 'workspace-net', dnsZone: 'gitpod-dev.com' },
      terraform: {
        // sandbox_secret is credential-named (secret by default); sandbox_ca_certificate is marked.
        variables: { sandbox_secret: SECRET, sandbox_ca_certificate: MARKED, sandbox_fail_with: '' },
        secretVariables: ['sandbox_ca_certificate'],
        backend: { type: 'local' },
      },
    };
    const ctx = { config, sharedDir: root.dir } as unknown as Pick<PlanContext, 'config' | 'sharedDir'>;
    const input = rootModuleInput(ctx, cluster);
    // The module input is journaled (destroy regenerates from it): names and types, no value.
    expect(JSON.stringify(input)).not.toContain(SECRET);
    expect(JSON.stringify(input)).not.toContain(MARKED);
    expect(input.sensitiveVariables).toEqual({ sandbox_ca_certificate: 'string', sandbox_secret: 'string' });
    expect(input.variables).toMatchObject({ sandbox_fail_with: '' });

    const env = secretTerraformEnv(ctx);
    expect(env).toEqual({ TF_VAR_sandbox_secret: SECRET, TF_VAR_sandbox_ca_certificate: MARKED });

    const workDir = join(root.dir, 'work');
    const logFile = join(root.dir, 'logs', 'create-cluster.log');
    const sink = new MemorySink();
    const redactor = new Redactor().add(SECRET, MARKED);
    const tf = new Terraform({ workDir, env, sink, logFile, redactor, cluster: 'eu17', step: 'create-cluster' });
    await writeRootModule(workDir, input);
    const main = readFileSync(join(workDir, 'main.tf.json'), 'utf8');
    expect(main).not.toContain(SECRET);
    expect(main).not.toContain(MARKED);
    expect(JSON.parse(main)).toMatchObject({
      variable: { sandbox_secret: { type: 'string', sensitive: true } },
      module: { cluster: { sandbox_secret: '${var.sandbox_secret}' } },
    });

    await tf.init();
    expect(await tf.plan('cluster.plan')).toMatchObject({ hasChanges: true, changes: { add: 3 } });
    await tf.apply('cluster.plan');

    // The value reached the module: its digest is in the state (the value is not: the module keeps only the digest).
    const state = readFileSync(join(root.dir, 'terraform-state', `${cluster.name}.tfstate`), 'utf8');
    expect(state).toContain(createHash('sha256').update(SECRET).digest('hex'));
    expect(state).not.toContain(SECRET);
    // The marked one arrived too: the module reports it as its (sensitive) CA output, redacted by our redactor.
    expect((await tf.output()).ca_certificate).toEqual({ value: '[REDACTED]', sensitive: true, type: 'string' });
    expect((await new Terraform({ workDir, env }).output()).ca_certificate?.value).toBe(MARKED);

    // Nothing we wrote or logged holds either value (the plan file is binary and removed by the step).
    for (const file of readdirSync(workDir).filter((f) => f.endsWith('.json'))) expect(readFileSync(join(workDir, file), 'utf8')).not.toContain(SECRET);
    const logged = `${readFileSync(logFile, 'utf8')}\n${JSON.stringify(sink.events)}`;
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(MARKED);

    // Destroy from regenerated files needs the values again: the same environment gives them.
    const destroyDir = join(root.dir, 'destroy');
    await writeRootModule(destroyDir, input);
    const destroyer = new Terraform({ workDir: destroyDir, env, redactor, cluster: 'eu17', step: 'retire' });
    await destroyer.init();
    expect(await destroyer.destroy()).toMatchObject({ remove: 3 });
  });
});
