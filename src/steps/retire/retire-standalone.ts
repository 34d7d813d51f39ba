/**
 * `ws-deployment retire --cluster NAME`: the retirement of one cluster outside a
 * deployment, with the same logic as the retire-old-clusters step. It holds the
 * environment lock (no deployment changes the registries meanwhile) and keeps
 * its progress in `<state-dir>/retire/<name>.json`, so a second run continues.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { WsdError } from '../../core/errors.js';
import { scopedSink, type EventSink } from '../../core/events.js';
import type { Redactor } from '../../core/redact.js';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { openDeploymentsUsing } from '../../state/resumable.js';
import type { StateStore } from '../../state/store.js';
import { realClock } from '../../traffic/clock.js';
import type { Clock } from '../../traffic/shift-ports.js';
import { pgConnStr, terraformSection } from '../create-cluster/terraform-setup.js';
import { destroyTerraformEnvs } from './destroy-env.js';
import { destroyModuleInputs } from './destroy-module.js';
import type { DeployConfigView } from '../step.js';
import { openShiftSession } from '../traffic/shift-session.js';
import { findCreatedBy, findOtherCreator } from './find-module-input.js';
import { progressFile, readProgress, staleProgress } from './retire-files.js';
import { assertRetireWritable, assertSandboxFolderWritable } from '../../state/deployment-dir-check.js';
import { usesSandbox } from '../../sandbox/uses-sandbox.js';
import { retireCluster, retireWorkDir, type RetireProgress } from './retire-cluster.js';
import { assertOthersTakeTraffic } from './retire-guards.js';

interface RetireStandaloneInput {
  config: DeployConfigView;
  store: StateStore;
  /** Registry short name (or the full name of a cluster an earlier deployment created). */
  name: string;
  /** The human confirmed (`--yes`). */
  yes: boolean;
  drainTimeoutMs?: number;
  destroy?: boolean;
  pollMs?: number;
  sink: EventSink;
  redactor: Redactor;
  signal: AbortSignal;
  clock?: Clock;
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * A cluster an unfinished deployment still counts on must not vanish under it: its
 * resume would fail at the registry (or, for a new cluster, retire what it built).
 */
async function assertNoOpenDeploymentUses(store: StateStore, key: { project: string; environment: string }, name: string): Promise<void> {
  const users = await openDeploymentsUsing(store, key, name);
  const first = users[0];
  if (!first) return;
  throw new WsdError(
    'PreCheckRefused',
    `cluster ${name} is part of unfinished deployment ${users.map((u) => `${u.id} (as ${u.as})`).join(', ')}; finish it first with \`ws-deployment resume ${first.id}\`` +
      (first.as === 'old cluster' ? ', which retires its old clusters itself once the new ones are promoted' : ''),
    { details: { deployments: users } },
  );
}

/**
 * Names are `<prefix><id>` with one prefix per region (design §2): when no other
 * registered cluster shares the prefix, this retirement leaves the region
 * without a cluster and its users' new workspaces start elsewhere. A warning,
 * not a refusal: closing a region can be the point.
 */
function warnIfLastOfRegion(sink: EventSink, name: string, region: string | undefined, registered: ReadonlySet<string>): void {
  const prefix = name.replace(/\d+$/, '');
  if (prefix === name) return;
  const sameRegion = [...registered].filter((n) => n !== name && n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)));
  if (sameRegion.length > 0) return;
  sink.emit({
    level: 'warn',
    code: 'retire.last-of-region',
    cluster: name,
    message: `${name} is the only registered cluster of prefix ${prefix}${region ? ` (region ${region})` : ''}: after it is retired, new workspaces of that region start in other regions`,
  });
}

/** Retires one cluster; returns its final progress. */
export async function retireStandalone(given: RetireStandaloneInput): Promise<RetireProgress & { name: string; fullName?: string }> {
  // Every line it prints belongs to `retire` (outside a deployment there is no step to name).
  const input = { ...given, sink: scopedSink(given.sink, { step: 'retire' }) };
  if (!NAME.test(input.name)) throw new WsdError('UsageError', `--cluster "${input.name}" is not a cluster name; use the short name the registry lists (e.g. eu17)`);
  const created = await findCreatedBy(input.store, input.name, { project: input.config.project.id, environment: input.config.environment });
  const shortName = created?.shortName ?? input.name;
  const retire = input.config.trafficShift?.retire;
  const destroy = input.destroy ?? retire?.destroy ?? false;
  const confirm = (): void => {
    if (input.yes) return;
    throw new WsdError('UsageError', `retiring ${shortName} cordons it, waits for its sessions to end, deregisters it${destroy ? ' and destroys it' : ''}; pass --yes to confirm`);
  };
  const key = { project: input.config.project.id, environment: input.config.environment };
  const lock = await input.store.lock(key, { deploymentId: `retire-${shortName}`, command: 'retire' });
  try {
    // Before any change or progress written: what this retirement writes in is of the state dir.
    assertRetireWritable(input.store.root, shortName);
    if (usesSandbox(input.config)) assertSandboxFolderWritable(input.store.root);
    await assertNoOpenDeploymentUses(input.store, key, shortName);
  } catch (error) {
    await lock.release();
    throw error;
  }
  const session = await openShiftSession({ config: input.config, sharedDir: input.store.root, clusters: [], sink: input.sink, redactor: input.redactor, signal: input.signal, traffic: true });
  try {
    const file = progressFile(input.store.root, shortName);
    const stored = existsSync(file) ? readProgress(file, shortName) : undefined;
    let registeredOn: Map<string, Set<string>> | undefined;
    const registeredByMeta = async (): Promise<Map<string, Set<string>>> =>
      (registeredOn ??= new Map(await Promise.all(session.registry.metas.map(async (m) => [m, new Set((await session.registry.list(m, input.signal)).map((c) => c.name))] as const))));
    const registeredNow = async (): Promise<Set<string>> => new Set([...(await registeredByMeta()).values()].flatMap((names) => [...names]));
    // A finished retirement is kept so that running it again changes nothing; but a cluster registered
    // under that name now is another one (ids come round again, --cluster-id reuses one): retire it anew
    // rather than answer "destroyed" for a cluster that still takes workspaces. So too for progress that is
    // not finished: one that says the cluster left a meta cluster that lists it now is of an earlier cluster
    // of that name (its retirement interrupted) or was copied in, and acting on it skipped the deregister and
    // the destroy and said both were done.
    const stale = stored ? staleProgress(stored, shortName, await registeredByMeta()) : undefined;
    if (stale) input.sink.emit({ level: 'warn', code: 'retire.stale-progress', cluster: shortName, message: `${file} ${stale}: it is not the progress of this ${shortName}, so its retirement starts anew` });
    const previous = stale ? undefined : stored;
    // Before any change: a destroy that would lack a secret variable, or whose module is gone with nothing to take
    // its place, stops now (destroy-env.ts, destroy-module.ts).
    const needs = destroy && created?.moduleInput?.backend && !previous?.destroyed && !previous?.done ? [{ cluster: shortName, createdBy: created.deploymentId, moduleInput: created.moduleInput }] : [];
    const terraformEnv = destroyTerraformEnvs(needs, { config: input.config }, input.redactor).get(shortName);
    const moduleInput = destroyModuleInputs(needs, { config: input.config }, input.sink).get(shortName) ?? created?.moduleInput;
    if (!previous) {
      const known = await registeredNow();
      // Existence first: asking to confirm the retirement of a cluster that is not there helps nobody.
      // Not created in this environment, but in another one of this state dir (an environment renamed in the config,
      // or a config of the wrong environment): short names carry no environment, so that cluster is not retired from
      // here (it may serve the other environment). Said with the journal found and the fix, before anything changes.
      const other = created ? undefined : await findOtherCreator(input.store, input.name, { project: input.config.project.id, environment: input.config.environment });
      if (other) {
        const of = `environment ${other.environment}${other.project === input.config.project.id ? '' : ` of project ${other.project}`}`;
        throw new WsdError(
          'PreCheckRefused',
          `cluster ${shortName} was created by deployment ${other.deploymentId} of ${of} in ${input.store.root} (${other.name}), not by one of this config's environment ${input.config.environment}; short names carry no environment, so it is not retired as this environment's. If the environment was renamed from ${other.environment}, run this with a config naming ${of}: its journal has the cluster's terraform module and backend; nothing was changed`,
          { details: { cluster: shortName, createdBy: other.deploymentId, environment: other.environment, project: other.project } },
        );
      }
      if (!known.has(shortName) && !created) {
        throw new WsdError('UsageError', `cluster ${shortName} is registered with no meta cluster and no deployment in ${input.store.root} created it; check the name with \`ws-deployment clusters list\``);
      }
      warnIfLastOfRegion(input.sink, shortName, created?.region, known);
      confirm();
      await assertOthersTakeTraffic(session.registry, [shortName], input.signal);
    } else {
      confirm();
    }
    mkdirSync(dirname(file), { recursive: true });
    const progress = await retireCluster({
      target: { name: shortName, fullName: created?.name, region: created?.region },
      step: 'retire',
      registry: session.registry,
      project: input.config.project.id,
      drainTimeoutMs: input.drainTimeoutMs ?? retire?.drainTimeout ?? 24 * 3_600_000,
      pollMs: input.pollMs ?? (session.simulators.length > 0 ? 1_000 : 30_000),
      destroy,
      moduleInput,
      otherCreator: moduleInput?.backend ? undefined : await findOtherCreator(input.store, input.name, { project: input.config.project.id, environment: input.config.environment }),
      workDir: retireWorkDir(input.store.root, shortName),
      stateDir: input.store.root,
      credFile: input.config.project.gcpSACredFile,
      pgConnStr: pgConnStr({ config: input.config }),
      providerMirror: terraformSection({ config: input.config }).providerMirror,
      terraformEnv,
      progress: previous,
      save: async (p) => writeFileAtomic(file, `${JSON.stringify(p, null, 2)}\n`),
      record: async (code, message, data) => input.sink.emit({ level: 'info', code, cluster: shortName, message, data }),
      clock: input.clock ?? realClock,
      sink: input.sink,
      redactor: input.redactor,
      signal: input.signal,
    });
    return { ...progress, name: shortName, fullName: created?.name };
  } finally {
    await session.close();
    await lock.release();
  }
}
