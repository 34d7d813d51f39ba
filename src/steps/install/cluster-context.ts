/**
 * What the install and alive steps need from the step context: the cluster's
 * own kubeconfig (from create-cluster's outputs), a helm bound to this cluster's
 * private helm home, and small helpers (paths, URL templates).
 */
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { WsdError } from '../../core/errors.js';
import { KUBECONFIG_OUTPUTS, writeClusterKubeconfig } from '../create-cluster/kubeconfig.js';
import { foreignKubeconfig, kubeconfigTarget } from '../create-cluster/kubeconfig-owner.js';
import { Helm } from '../../tools/helm.js';
import type { ClusterTarget, PlanContext, StepContext, StepName } from '../step.js';

/** Sandbox clusters have no Kubernetes API: releases are rendered, health is simulated. */
export function isSandbox(ctx: Pick<PlanContext, 'cluster'>): boolean {
  return ctx.cluster.type === 'sandbox';
}

/** Rewrites in flight, by file: a cluster's releases install together and each may find the kubeconfig gone. */
const rewriting = new Map<string, Promise<void>>();

/**
 * GKE kubeconfigs written again by gcloud in this process whose server or CA differ from what create-cluster
 * journaled: gcloud's answer for this very name, project and region is the cluster's now (its control plane's IP was
 * rotated), so it stands for the rest of the run instead of being written again by every step.
 */
const rotated = new Map<string, { kubeServer?: string; kubeCa?: string }>();

/**
 * The cluster's kubeconfig file, as create-cluster recorded it. Never the default ~/.kube/config. Where the file is
 * gone, or points at another cluster (create-cluster/kubeconfig-owner.ts), it is written again as create-cluster wrote
 * it (create-cluster/kubeconfig.ts: it is a cache), once for all the steps that ask at the same time.
 */
export async function kubeconfigFor(ctx: Pick<StepContext, 'outputs' | 'cluster' | 'config' | 'sink' | 'signal' | 'logFile' | 'redactor'>): Promise<string> {
  const journaled = ctx.outputs['create-cluster'] ?? {};
  const created = typeof journaled.kubeconfig === 'string' ? { ...journaled, ...rotated.get(journaled.kubeconfig) } : journaled;
  const kubeconfig = created.kubeconfig;
  if (typeof kubeconfig !== 'string' || kubeconfig.length === 0) {
    throw new WsdError('StepFailed', `cluster ${ctx.cluster.name} has no kubeconfig: create-cluster recorded none in its outputs; run create-cluster for it first`, {
      details: { cluster: ctx.cluster.name },
    });
  }
  let pending = rewriting.get(kubeconfig);
  if (!pending) {
    // Checked and claimed in one turn (synchronous reads): the steps asking together share one verdict and one rewrite.
    const foreign = existsSync(kubeconfig) ? foreignKubeconfig(kubeconfig, ctx.cluster, ctx.config, created) : undefined;
    if (existsSync(kubeconfig) && !foreign) return kubeconfig;
    pending = rewriteKubeconfig(ctx, kubeconfig, created, foreign).finally(() => rewriting.delete(kubeconfig));
    rewriting.set(kubeconfig, pending);
  }
  await pending;
  return kubeconfig;
}

/** Writes the kubeconfig again from the journal: it is gone, or (`foreign` says why) it points at another cluster. */
async function rewriteKubeconfig(ctx: Parameters<typeof kubeconfigFor>[0], kubeconfig: string, created: Record<string, unknown>, foreign?: string): Promise<void> {
  const gke = ctx.cluster.type === 'gke';
  if (foreign) {
    // Kept, not deleted: it may hold credentials someone put there by hand.
    const aside = `${kubeconfig}.replaced`;
    renameSync(kubeconfig, aside);
    ctx.sink.emit({
      level: 'warn',
      code: 'kubeconfig.rewritten',
      cluster: ctx.cluster.name,
      message: `kubeconfig of ${ctx.cluster.name} (${kubeconfig}) is another cluster's: ${foreign}; moved it to ${aside} and writing it again ${gke ? 'with gcloud get-credentials' : 'from the endpoint and CA create-cluster journaled'}, so nothing is installed into that cluster`,
      data: { kubeconfig, replaced: aside, reason: foreign },
    });
    await writeClusterKubeconfig(ctx, kubeconfig, created);
    if (gke) acceptRotated(ctx, kubeconfig, created);
    return;
  }
  if (!gke && KUBECONFIG_OUTPUTS.some((k) => typeof created[k] !== 'string')) {
    // Journaled before create-cluster kept the endpoint and CA: nothing here can write it again.
    throw new WsdError(
      'StepFailed',
      `kubeconfig ${kubeconfig} of cluster ${ctx.cluster.name} is gone, and its create-cluster journaled no endpoint and CA to write it again (an older version ran it): write the cluster's kubeconfig to that path (the module's endpoint and ca_certificate outputs), then resume`,
      { details: { cluster: ctx.cluster.name, kubeconfig } },
    );
  }
  ctx.sink.emit({
    level: 'warn',
    code: 'kubeconfig.rewritten',
    cluster: ctx.cluster.name,
    message: `kubeconfig of ${ctx.cluster.name} was gone (${kubeconfig}); writing it again ${gke ? 'with gcloud get-credentials' : 'from the endpoint and CA create-cluster journaled'}`,
    data: { kubeconfig },
  });
  await writeClusterKubeconfig(ctx, kubeconfig, created);
  if (gke) acceptRotated(ctx, kubeconfig, created);
}

/** After gcloud wrote the kubeconfig again: where it still differs from the journal, gcloud's server and CA stand (see {@link rotated}), said once. */
function acceptRotated(ctx: Parameters<typeof kubeconfigFor>[0], kubeconfig: string, created: Record<string, unknown>): void {
  const still = foreignKubeconfig(kubeconfig, ctx.cluster, ctx.config, created);
  if (!still) return;
  rotated.set(kubeconfig, kubeconfigTarget(kubeconfig));
  ctx.sink.emit({
    level: 'warn',
    code: 'kubeconfig.endpoint-changed',
    cluster: ctx.cluster.name,
    message: `gcloud get-credentials of ${ctx.cluster.name} wrote a kubeconfig that still differs from create-cluster's journal (${still}): GKE says this is the cluster's endpoint now (a rotated control plane IP or CA), so this run uses it`,
    data: { kubeconfig },
  });
}

/**
 * Helm's config/cache/data folder of one step of one cluster. The releases of a
 * cluster install concurrently (one step each), and helm writes its cache
 * (repository indexes, downloaded charts) without locking; a folder per step
 * means no two helm processes ever share one, while the calls of a step run
 * one after another.
 */
function helmHomeOf(clusterDir: string, step: StepName): string {
  return join(clusterDir, 'helm', step);
}

/** Helm bound to this cluster and step: its kubeconfig (if any) and its own config/cache/data dirs. */
export function helmFor(ctx: StepContext, step: StepName, kubeconfig?: string): Helm {
  return new Helm({
    kubeconfig,
    homeDir: helmHomeOf(ctx.clusterDir, step),
    signal: ctx.signal,
    sink: ctx.sink,
    cluster: ctx.cluster.name,
    step,
    logFile: ctx.logFile,
    redactor: ctx.redactor,
  });
}

/** Expands `{name}`, `{shortName}`, `{region}`, `{domain}` in a URL template; unknown placeholders are an error. */
export function expandTemplate(template: string, cluster: ClusterTarget, domain: string | undefined): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (match, key: string) => {
    const values: Record<string, string | undefined> = { name: cluster.name, shortName: cluster.shortName, region: cluster.region, domain };
    const value = values[key];
    if (value === undefined) {
      throw new WsdError('ConfigInvalid', `${template}: placeholder ${match} is ${key in values ? 'not set (configure gitpod.domain or domain)' : 'unknown; use {name}, {shortName}, {region} or {domain}'}`);
    }
    return value;
  });
}
