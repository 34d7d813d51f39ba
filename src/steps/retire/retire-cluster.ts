/**
 * Retiring one old cluster (design §5): cordon it on every meta cluster, wait
 * until it runs no regular workspaces — the bridge's own precondition: a
 * Deregister without force is refused while any run — up to the drain timeout,
 * deregister everywhere (NOT_FOUND = already gone), then `terraform destroy`
 * when ws-deployment created it, or say exactly what to run when it did not.
 *
 * Every effect is checkpointed as it happens, and every action is idempotent, so
 * a crash or a refused drain resumes where it stopped. Never forces: forcing
 * stops users' sessions.
 */
import { join } from 'node:path';
import { isWsdError, WsdError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import type { Redactor } from '../../core/redact.js';
import type { OtherCreator } from './find-module-input.js';
import type { RootModuleInput } from '../../tools/terraform/generator.js';
import { formatDuration } from '../../traffic/duration.js';
import type { ConnectedRegistry } from '../../traffic/registry-adapter.js';
import type { Clock } from '../../traffic/shift-ports.js';
import { hasUnknownState, unknownStateProblem } from '../../traffic/unknown-state.js';
import { assertInsideStateDir } from '../../state/state-paths.js';
import { destroyCluster } from '../create-cluster/destroy-cluster.js';

/** Where the retirement of one cluster stands (checkpointed). */
export interface RetireProgress {
  cordoned: string[];
  deregistered: string[];
  drainStartedAtMs?: number;
  destroyed?: boolean;
  /** A terraform destroy was started (a resume that finds nothing left to destroy knows why). */
  destroyStarted?: boolean;
  /** What a human must run when we cannot destroy it ourselves. */
  manual?: string[];
  done?: boolean;
}

export interface RetireTarget {
  /** Registry short name. */
  name: string;
  /** Full cluster name, when known. */
  fullName?: string;
  region?: string;
}

interface RetireClusterInput {
  target: RetireTarget;
  /** The step or command its events and tool logs belong to. Default: the retire-old-clusters step. */
  step?: string;
  registry: ConnectedRegistry;
  project: string;
  drainTimeoutMs: number;
  /** How often the drain is checked. */
  pollMs: number;
  destroy: boolean;
  /** The earlier deployment's create-cluster moduleInput, if ws-deployment created the cluster. */
  moduleInput?: RootModuleInput;
  /** Without a creator in this environment: one of another environment in this store (find-module-input.ts), named in the manual-destroy words. */
  otherCreator?: OtherCreator;
  /** A private folder for regenerating the Terraform module. */
  workDir: string;
  /** The state dir of this run (destroy acts on nothing outside it). */
  stateDir: string;
  credFile?: string;
  pgConnStr?: string;
  /** `terraform.providerMirror` of the running config. */
  providerMirror?: string;
  /** `TF_VAR_` values of secret terraform variables (from the running config). */
  terraformEnv?: Record<string, string>;
  progress?: RetireProgress;
  save(progress: RetireProgress): Promise<void>;
  record(code: string, message: string, data: Record<string, unknown>): Promise<void>;
  clock: Clock;
  sink: EventSink;
  redactor?: Redactor;
  logFile?: string;
  signal?: AbortSignal;
}

const isCode = (error: unknown, code: string) => isWsdError(error) && error.code === code;

export async function retireCluster(input: RetireClusterInput): Promise<RetireProgress> {
  const { target, registry, clock } = input;
  let progress: RetireProgress = { cordoned: [], deregistered: [], ...input.progress };
  if (progress.done) return progress;
  // Before any change: a journal from another state dir must not lead this run to its Terraform state.
  const backend = input.moduleInput?.backend;
  if (input.destroy && !progress.destroyed && backend?.type === 'local') assertInsideStateDir(input.stateDir, backend.path, `the terraform state of ${target.name}`);
  const save = async (change: Partial<RetireProgress>) => {
    progress = { ...progress, ...change };
    await input.save(progress);
  };
  const emit = (level: 'info' | 'warn', code: string, message: string, data?: Record<string, unknown>) => input.sink.emit({ level, code, cluster: target.name, message, data });

  // 1. Cordon everywhere: no new starts, running sessions continue. Not over a state this tool cannot read (a newer
  // bridge's): cordoning replaces it, no Update sets it back, and what it means for the cluster's users is unknown.
  const toCordon = registry.metas.filter((meta) => !progress.cordoned.includes(meta) && !progress.deregistered.includes(meta));
  const unknown: string[] = [];
  for (const meta of toCordon) {
    const listed = (await registry.list(meta, input.signal)).find((c) => c.name === target.name);
    if (listed && hasUnknownState(listed)) unknown.push(unknownStateProblem(listed, meta, 'retiring it would cordon it, replacing that state, then deregister it'));
  }
  if (unknown.length > 0) throw new WsdError('PreCheckRefused', `${unknown.join('; ')}; ${target.name} was not retired (nothing changed on it)`, { details: { unknownState: unknown } });
  for (const meta of toCordon) {
    try {
      await registry.update(meta, target.name, { cordoned: true }, input.signal);
      await save({ cordoned: [...progress.cordoned, meta] });
    } catch (error) {
      if (!isCode(error, 'RegistryNotFound')) throw error;
      await save({ deregistered: [...progress.deregistered, meta] });
    }
  }
  await input.record('retire.cordoned', `${target.name} cordoned on ${registry.metas.join(', ')}`, { cluster: target.name });

  // 2. Drain + deregister (no force): the bridge refuses while regular workspaces run.
  if (progress.drainStartedAtMs === undefined) await save({ drainStartedAtMs: clock.now() });
  const started = progress.drainStartedAtMs ?? clock.now();
  let lastRefusal = '';
  let lastReport = 0;
  while (true) {
    for (const meta of registry.metas) {
      if (progress.deregistered.includes(meta)) continue;
      try {
        await registry.client(meta).deregister({ name: target.name, force: false });
        await save({ deregistered: [...progress.deregistered, meta] });
        await input.record('retire.deregistered', `${target.name} deregistered from ${meta}`, { cluster: target.name, meta });
      } catch (error) {
        if (isCode(error, 'RegistryNotFound')) {
          await save({ deregistered: [...progress.deregistered, meta] });
        } else if (isCode(error, 'RegistryRefused') && (error as WsdError).details.grpcCode === 9) {
          lastRefusal = (error as WsdError).message;
        } else {
          throw error;
        }
      }
    }
    if (registry.metas.every((m) => progress.deregistered.includes(m))) break;
    const waited = clock.now() - started;
    if (waited >= input.drainTimeoutMs) {
      throw new WsdError(
        'PreCheckRefused',
        `old cluster ${target.name} still runs regular workspaces after the drain timeout ${formatDuration(input.drainTimeoutMs)} (${lastRefusal}); ` +
          `it stays cordoned and registered where it still runs sessions — resume later (or raise trafficShift.retire.drainTimeout); forcing would break those users' sessions`,
        { details: { cluster: target.name, deregistered: progress.deregistered } },
      );
    }
    if (clock.now() - lastReport >= 60_000 || lastReport === 0) {
      lastReport = clock.now();
      emit('info', 'retire.draining', `waiting for regular workspaces on ${target.name} to end (${formatDuration(waited)} of ${formatDuration(input.drainTimeoutMs)}): ${lastRefusal}`);
    }
    await clock.sleep(Math.min(input.pollMs, Math.max(1, input.drainTimeoutMs - waited)), input.signal);
  }

  // 3. Destroy, or say what to run.
  if (!progress.destroyed && !progress.manual) {
    if (!input.destroy) {
      const manual = manualCommand(input);
      await save({ manual });
      emit('warn', 'retire.destroy-skipped', `${target.name} deregistered; not destroyed (trafficShift.retire.destroy is false): ${manual.join(' ')}`);
    } else if (input.moduleInput?.backend) {
      emit('info', 'retire.destroy', `terraform destroy of ${target.fullName ?? target.name}`);
      const again = progress.destroyStarted === true;
      if (!again) await save({ destroyStarted: true });
      const result = await destroyCluster({
        moduleInput: input.moduleInput,
        workDir: input.workDir,
        stateDir: input.stateDir,
        credFile: input.credFile,
        pgConnStr: input.pgConnStr,
        providerMirror: input.providerMirror,
        terraformEnv: input.terraformEnv,
        sink: input.sink,
        cluster: target.name,
        step: input.step ?? 'retire-old-clusters',
        logFile: input.logFile,
        redactor: input.redactor,
        signal: input.signal,
      });
      await save({ destroyed: true });
      const name = target.fullName ?? target.name;
      if (result.removed === 0) {
        // Terraform destroys what its state lists, and succeeds on an empty one: "destroyed" would be a guess.
        const why = again
          ? 'an earlier attempt of this retirement destroyed them, or the state was lost before it'
          : 'its state holds no resources though ws-deployment created the cluster: the state was lost or moved, and the cluster may still run; look for it in the project and delete it by hand';
        emit('warn', 'retire.destroyed-nothing', `${name}: terraform destroy removed nothing: ${why}`);
      }
      await input.record('retire.destroyed', result.removed === 0 ? `${name}: terraform destroy removed nothing (its state holds no resources)` : `${name} destroyed (${result.removed} resources)`, { cluster: target.name, removed: result.removed });
    } else {
      const manual = manualCommand(input);
      await save({ manual });
      emit('warn', 'retire.manual-destroy', `${notCreatedWords(input)}: ${manual.join(' ')}`);
      await input.record('retire.manual-destroy', `destroy ${target.name} by hand`, { cluster: target.name, argv: manual });
    }
  }
  await save({ done: true });
  return progress;
}

/** Why a cluster is not destroyed here: no creator in this environment, and which other environment's deployment created one of its name. */
function notCreatedWords(input: Pick<RetireClusterInput, 'target' | 'project' | 'otherCreator'>): string {
  const other = input.otherCreator;
  if (!other) return `${input.target.name} was not created by ws-deployment (no create-cluster outputs in this state store); destroy it yourself`;
  const where = other.project === input.project ? `environment ${other.environment}` : `environment ${other.environment} of project ${other.project}`;
  return (
    `${input.target.name} was not created by a deployment of this environment in this state store; deployment ${other.deploymentId} of ${where} created ${other.name} here, ` +
    `and short names carry no environment, so it is not destroyed as this environment's. If this environment was renamed from ${other.environment}, ` +
    `retire it as that environment's cluster: \`ws-deployment retire --cluster ${input.target.name}\` with a config naming environment ${other.environment}${other.project === input.project ? '' : ` and project ${other.project}`}; otherwise destroy it yourself`
  );
}

/** What a human runs to delete a cluster we did not create. */
function manualCommand(input: Pick<RetireClusterInput, 'target' | 'project'>): string[] {
  const { target } = input;
  return ['gcloud', 'container', 'clusters', 'delete', target.fullName ?? target.name, ...(target.region ? ['--region', target.region] : []), '--project', input.project, '--quiet'];
}

/** The folder destroy regenerates the module in. */
export function retireWorkDir(baseDir: string, name: string): string {
  return join(baseDir, 'retire', name, 'terraform');
}
