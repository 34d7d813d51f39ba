/**
 * The shape shared by install-gitpod, install-jaeger and install-monitoring: an
 * optional helm release, then optional plain manifests applied server-side
 * (the Jaeger resource, monitoring-satellite as a directory). Sandbox clusters
 * and `--dry-run` render instead of applying.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { join } from 'node:path';
import { applyManifests, objectLabel, waitForCrdsEstablished } from '../../tools/kube/apply.js';
import { loadClusterKubeConfig } from '../../tools/kube/kube-config.js';
import { WORKLOAD_KINDS, waitForRollout, type WorkloadKind } from '../../tools/kube/rollout.js';
import { lintArgv, repoUpdateArgv, templateArgv, upgradeArgv } from '../../tools/helm-argv.js';
import type { CheckResult, DeployConfigView, PlanContext, PlannedAction, RetryPolicy, Step, StepContext, StepName, StepOutputs } from '../step.js';
import { applyRelease, observeRelease, pendingVerdictFor } from './apply-release.js';
import { helmFor, isSandbox, kubeconfigFor } from './cluster-context.js';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { releaseRecord, type PreparedRelease, type ReleaseRecord } from './release.js';
import { assertSchemaClean, releaseDir, renderRelease, SANDBOX_KUBECONFIG } from './render-release.js';
import { checkObjects } from '../../tools/kube/schema-check.js';
import { canonicalJson } from './values.js';
import { digestKeyPath, ensureDigestKey } from './values-digest-key.js';
import { RELEASE_STEPS, RELEASES_LAYER, releaseDependsOn, type ReleaseSection } from './release-order.js';
import { createHash } from 'node:crypto';

/** Plain objects applied after the release. */
export interface ManifestSet {
  /** Name in outputs and in `<clusterDir>/releases/<name>/`. */
  name: string;
  namespace: string;
  source: string;
  objects: KubernetesObject[];
  /** CRDs (installed by the release) that must be Established before these objects are applied. */
  waitForCrds: string[];
  timeoutSeconds: number;
}

/** What a concrete install step supplies. */
interface ComponentDefinition {
  name: StepName;
  enabled(ctx: PlanContext): boolean;
  release(ctx: PlanContext): PreparedRelease | undefined;
  manifests?(ctx: PlanContext): ManifestSet | undefined;
  /** See {@link Step.notNeededForTraffic}. */
  notNeededForTraffic?: boolean;
}

export interface InstallStepOptions {
  /** Poll interval for roll-out and CRD waits (tests use a few ms). Default 5 s. */
  pollMs?: number;
}

/** Transient helm/API failures: 3 attempts, 5 s apart, capped (as Terragrunt users expect). */
const INSTALL_RETRY: RetryPolicy = { attempts: 3, initialDelayMs: 5_000, maxDelayMs: 30_000 };

function manifestRecord(set: ManifestSet, status: ReleaseRecord['status']): ReleaseRecord {
  return {
    name: set.name,
    namespace: set.namespace,
    chart: `manifests:${set.source}`,
    version: '-',
    digest: createHash('sha256').update(canonicalJson(set.objects)).digest('hex'),
    status,
    valuesFiles: [],
  };
}

function releaseSectionOf(step: StepName): ReleaseSection | undefined {
  return (Object.keys(RELEASE_STEPS) as ReleaseSection[]).find((k) => RELEASE_STEPS[k] === step);
}

/** `plan` entries: pure, from config and the values files only. */
function describeComponent(def: ComponentDefinition, ctx: PlanContext): PlannedAction[] {
  const actions: PlannedAction[] = [];
  const prepared = def.release(ctx);
  const sandbox = isSandbox(ctx) || ctx.options.dryRun;
  if (prepared) {
    const { spec, digest } = prepared;
    const data = { release: spec.release, namespace: spec.namespace, chart: spec.chart.name, version: spec.chart.version ?? 'local', valuesFiles: spec.valuesFiles, digest, digestKind: prepared.digestKind };
    if (prepared.generatedFile) actions.push({ kind: 'file', description: `write generated values for ${spec.release}`, path: prepared.generatedFile });
    if (prepared.digestKind === 'unkeyed') {
      actions.push({
        kind: 'file',
        description: `create the values digest key (its values hold secrets; a release deployed before is upgraded once, as its recorded digest cannot match)`,
        path: digestKeyPath(ctx.sharedDir),
      });
    }
    if (spec.repositoryConfig) {
      // The repository's credentials reach helm in this file, never in its argv (tools/helm-repo-credentials.ts).
      actions.push({ kind: 'file', description: `write the credentials of ${spec.release}'s chart repository (0600, for the helm calls only)`, path: spec.repositoryConfig.file });
      actions.push({ kind: 'command', description: `fetch the index of ${spec.release}'s chart repository`, argv: ctx.redactor.redactValue(repoUpdateArgv(spec.repositoryConfig, ctx.helmMajor)) });
    }
    if (sandbox) {
      // The argv renderRelease runs (lint only for a chart folder), so plan shows what deploy does.
      if (spec.chart.path !== undefined) actions.push({ kind: 'command', description: `lint the chart of ${spec.release}`, argv: ctx.redactor.redactValue(lintArgv(spec)) });
      actions.push({ kind: 'command', description: `render ${spec.release}`, argv: ctx.redactor.redactValue(templateArgv(spec)) });
      actions.push({ kind: 'file', description: `render release ${spec.release} client-side (helm template)`, path: releaseDir(ctx.clusterDir, spec.release), data });
    } else {
      const same = prepared.digestKind === 'unkeyed' ? 'the values digest made with the new key' : `${prepared.digestKind} digest ${digest.slice(0, 12)}`;
      actions.push({ kind: 'check', description: `helm status ${spec.release}: skip when deployed with chart ${data.version} and ${same}; recover pending-* first`, data });
      // The flags of the helm found now; without one, deploy stops (helm missing) and plan shows helm 3's.
      const flags = ctx.helmMajor ? `helm ${ctx.helmMajor}` : 'no helm found: shown with helm 3 flags';
      // The chart's hooks bound how long helm may run, on an upgrade too (tools/helm-deadline.ts).
      actions.push({ kind: 'command', description: `render ${spec.release} to count its hooks (they bound how long helm may run)`, argv: ctx.redactor.redactValue(templateArgv(spec)) });
      actions.push({ kind: 'command', description: `install or upgrade ${spec.release} (${flags})`, argv: ctx.redactor.redactValue(upgradeArgv(spec, '<kubeconfig from create-cluster>', ctx.helmMajor)), data });
      actions.push({ kind: 'wait', description: `wait for the workloads of ${spec.release} to roll out` });
    }
  }
  const set = def.manifests?.(ctx);
  if (set) {
    const verb = sandbox ? 'render' : 'server-side apply';
    if (set.waitForCrds.length > 0 && !sandbox) actions.push({ kind: 'wait', description: `wait for CRDs ${set.waitForCrds.join(', ')} to be established` });
    actions.push({ kind: sandbox ? 'file' : 'call', description: `${verb} ${set.objects.length} objects of ${set.name} (CRDs first)`, data: { objects: set.objects.map(objectLabel) } });
  }
  return actions;
}

async function applySet(ctx: StepContext, set: ManifestSet, kubeconfig: string, pollMs: number): Promise<string[]> {
  const kc = await loadClusterKubeConfig(kubeconfig);
  const timing = { timeoutMs: set.timeoutSeconds * 1000, pollMs, signal: ctx.signal };
  if (set.waitForCrds.length > 0) await waitForCrdsEstablished(kc, set.waitForCrds, timing);
  const applied = await applyManifests(kc, set.objects, { ...timing, defaultNamespace: set.namespace });
  const workloads = set.objects
    .filter((o) => (WORKLOAD_KINDS as readonly string[]).includes(o.kind ?? ''))
    .map((o) => ({ kind: o.kind as WorkloadKind, name: o.metadata?.name ?? '', namespace: o.metadata?.namespace ?? set.namespace }));
  if (workloads.length > 0) await waitForRollout(kc, workloads, timing);
  return applied;
}

/** Writes the set's manifest and checks it against the Kubernetes schemas (custom resources stay unchecked). */
async function renderSet(ctx: StepContext, set: ManifestSet): Promise<ReleaseRecord & { objects: number; checked: number; uncheckedKinds: string[] }> {
  const text = set.objects.map((o) => stringify(o)).join('---\n');
  writeFileAtomic(join(releaseDir(ctx.clusterDir, set.name), 'manifest.yaml'), ctx.redactor.redact(text));
  const report = await checkObjects(set.objects);
  assertSchemaClean(report, `manifests ${set.name} (${set.source})`);
  return { ...manifestRecord(set, 'rendered'), objects: report.objects, checked: report.checked, uncheckedKinds: report.uncheckedKinds };
}

/** The release as check and run use it: a release whose values hold secrets gets the state dir's digest key, made now if missing. */
function preparedRelease(def: ComponentDefinition, ctx: StepContext): PreparedRelease | undefined {
  const prepared = def.release(ctx);
  if (prepared?.digestKind !== 'unkeyed' || ctx.options.dryRun) return prepared;
  ensureDigestKey(ctx.sharedDir);
  return def.release(ctx);
}

/** Builds the Step from a component definition. */
export function createComponentStep(def: ComponentDefinition, options: InstallStepOptions = {}): Step {
  const pollMs = options.pollMs ?? 5_000;
  const section = releaseSectionOf(def.name);
  return {
    name: def.name,
    retry: INSTALL_RETRY,
    ...(def.notNeededForTraffic ? { notNeededForTraffic: true } : {}),
    // The releases of a cluster install together unless the config says one waits for another.
    ...(section ? { layer: RELEASES_LAYER, dependsOn: (config: DeployConfigView) => releaseDependsOn(config, section) } : {}),
    applies: (ctx) => def.enabled(ctx),
    describe: (ctx) => describeComponent(def, ctx),

    async check(ctx): Promise<CheckResult> {
      if (isSandbox(ctx) || ctx.options.dryRun) return { action: 'proceed', reason: 'rendering client-side' };
      const prepared = preparedRelease(def, ctx);
      // Manifest sets are applied server-side every time: the apply itself is the idempotent check.
      if (!prepared || def.manifests?.(ctx)) return { action: 'proceed' };
      const kubeconfig = await kubeconfigFor(ctx);
      const helm = helmFor(ctx, def.name, kubeconfig);
      const { current, decision } = await observeRelease(helm, prepared);
      if (decision.action === 'skip') return { action: 'skip', evidence: decision.evidence, outputs: { releases: [releaseRecord(prepared, 'unchanged', current)] } };
      if ((decision.action === 'recover-uninstall' || decision.action === 'recover-rollback') && current) {
        // A pending release another helm run may still own is refused before the step starts.
        const verdict = await pendingVerdictFor(ctx, helm, kubeconfig, prepared, current);
        if (!verdict.safe) return { action: 'refuse', reason: verdict.reason };
      }
      return { action: 'proceed', reason: decision.reason };
    },

    async run(ctx): Promise<StepOutputs> {
      const prepared = preparedRelease(def, ctx);
      const set = def.manifests?.(ctx);
      const releases: ReleaseRecord[] = [];
      if (isSandbox(ctx) || ctx.options.dryRun) {
        const helm = helmFor(ctx, def.name);
        const kubeconfig = isSandbox(ctx) ? SANDBOX_KUBECONFIG : '<kubeconfig from create-cluster>';
        if (prepared) releases.push(await renderRelease(ctx, def.name, helm, prepared, kubeconfig));
        if (set) releases.push(await renderSet(ctx, set));
        return { sandbox: isSandbox(ctx), dryRun: ctx.options.dryRun, releases };
      }
      const kubeconfig = await kubeconfigFor(ctx);
      if (prepared) releases.push(await applyRelease(ctx, def.name, helmFor(ctx, def.name, kubeconfig), kubeconfig, prepared, { pollMs }));
      let applied: string[] = [];
      if (set) {
        applied = await applySet(ctx, set, kubeconfig, pollMs);
        releases.push(manifestRecord(set, 'deployed'));
      }
      return { releases, ...(applied.length > 0 ? { applied } : {}) };
    },
  };
}
