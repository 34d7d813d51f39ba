/**
 * A state dir is relocatable: deploy, `cp -r` the state dir, deploy the next
 * generation in the copy. Its retirement runs `terraform destroy` on the
 * copy's Terraform state, and the original dir (its state files, its sandbox
 * registry, its journals) is byte-for-byte what it was. The journal names no
 * file of the state dir by an absolute path.
 *
 * A deployment killed after `terraform init` and before `apply` leaves its
 * working dir's `.terraform` naming the original dir's state file; `resume` of
 * its copy re-initialises against the copy's own state (it used to stop at
 * "Backend configuration changed"), and the original stays byte-for-byte the same.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';
import { requireBinary } from '../helpers/require-binary.js';
import { QUICK_GATE, shortenShift } from '../helpers/sandbox-config.js';
import { parse, stringify } from 'yaml';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

/** Every file under `dir` with the sha256 of its content. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe.skipIf(!hasTerraform)('a copied state dir', () => {
  const ws = sandboxWorkspace();
  const copy = join(ws.dir, 'copied-state');
  // Generation 2's shift in seconds (the relocation is tested, not the shift): short waits, a gate that passes on its minSamples.
  shortenShift(ws.config, { confidence: QUICK_GATE });
  afterAll(() => ws.cleanup());

  it('deploys the next generation in the copy without touching the original', async () => {
    const first = await runCli(['deploy', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '230']);
    expect(first.code, first.stderr).toBe(0);
    for (const file of readdirSync(ws.stateDir).filter((d) => /^\d{8}-/.test(d)).flatMap((d) => ['journal.ndjson', 'snapshot.json'].map((f) => join(ws.stateDir, d, f)))) {
      expect(readFileSync(file, 'utf8'), file).not.toContain(ws.stateDir);
    }
    cpSync(ws.stateDir, copy, { recursive: true });
    const before = fingerprint(ws.stateDir);
    expect(Object.keys(before)).toContain(join('terraform-state', 'gp-dev-ws-eu230-eu-west1.tfstate'));
    expect(Object.keys(before)).toContain(join('sandbox', 'registry', 'dev-meta-eu01.json'));

    const second = await runCli(['deploy', '--config', ws.config, '--state-dir', copy, '--cluster-id', '231']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/retire-old-clusters\s+succeeded/);

    // The copy retired and destroyed generation 1 …
    const listed = await runCli(['clusters', 'list', '--config', ws.config, '--state-dir', copy, '--output', 'json']);
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((c) => c.name).sort()).toEqual(['eu231', 'us231']);
    expect(existsSync(join(copy, 'terraform-state', 'gp-dev-ws-eu230-eu-west1.tfstate'))).toBe(false);
    // … and the original is exactly as it was: same files, same bytes.
    expect(fingerprint(ws.stateDir)).toEqual(before);
    const original = await runCli(['clusters', 'list', '--config', ws.config, '--state-dir', ws.stateDir, '--output', 'json']);
    expect((JSON.parse(original.stdout) as Array<{ name: string; state: string; score: number }>).map((c) => `${c.name} ${c.state} ${c.score}`).sort()).toEqual(['eu230 AVAILABLE 100', 'us230 AVAILABLE 100']);
  }, 300_000);
});

describe.skipIf(!hasTerraform)('a copied state dir with a half-created cluster', () => {
  const ws = sandboxWorkspace();
  const copy = join(ws.dir, 'copied-state');
  afterAll(() => ws.cleanup());

  it('resumes in the copy against the copy’s own terraform state; the original stays byte-identical', async () => {
    // One cluster, so when the run dies no other cluster's terraform is still running in the original.
    const doc = parse(readFileSync(ws.config, 'utf8')) as { workspaceClusters: unknown[] };
    doc.workspaceClusters = doc.workspaceClusters.slice(0, 1);
    writeFileSync(ws.config, stringify(doc));
    // Killed right after create-cluster's "apply started" checkpoint: init and plan are done, apply is next.
    const killed = await runCli(['deploy', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '232', '--skip', 'traffic-shift,retire-old-clusters'], { env: { WSD_CRASH_AFTER_MATCH: '"applyStarted":true' } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const [id] = readdirSync(ws.stateDir).filter((d) => /^\d{8}-/.test(d));
    const last = readFileSync(join(ws.stateDir, id as string, 'journal.ndjson'), 'utf8').trimEnd().split('\n').at(-1) ?? '';
    expect(JSON.parse(last)).toMatchObject({ type: 'step.checkpoint', step: 'create-cluster', outputs: { applyStarted: true } });
    const saved = join(ws.stateDir, id as string, 'gp-dev-ws-eu232-eu-west1', 'terraform', '.terraform', 'terraform.tfstate');
    expect(readFileSync(saved, 'utf8')).toContain(join(ws.stateDir, 'terraform-state'));

    cpSync(ws.stateDir, copy, { recursive: true });
    const before = fingerprint(ws.stateDir);
    const resumed = await runCli(['resume', id as string, '--config', ws.config, '--state-dir', copy]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).not.toMatch(/Backend configuration changed/);
    // The cluster is in the copy's state; the original's files, its .terraform included, are as they were.
    expect(readFileSync(join(copy, 'terraform-state', 'gp-dev-ws-eu232-eu-west1.tfstate'), 'utf8')).toContain('terraform_data');
    expect(fingerprint(ws.stateDir)).toEqual(before);
    expect(existsSync(join(ws.stateDir, 'terraform-state', 'gp-dev-ws-eu232-eu-west1.tfstate')) ? readFileSync(join(ws.stateDir, 'terraform-state', 'gp-dev-ws-eu232-eu-west1.tfstate'), 'utf8') : '').not.toContain('terraform_data');
  }, 300_000);
});
