/**
 * What the install and alive steps need from the step context: the cluster's
 * own kubeconfig (from create-cluster's outputs), a helm bound to this cluster's
 * private helm home, and small helpers (paths, URL templates).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WsdError } from '../../core/errors.js';
import { Helm } from '../../tools/helm.js';
import type { ClusterTarget, PlanContext, StepContext, StepName } from '../step.js';

/** Sandbox clusters have no Kubernetes API: releases are rendered, health is simulated. */
export function isSandbox(ctx: Pick<PlanContext, 'cluster'>): boolean {
  return ctx.cluster.type === 'sandbox';
}

/** The cluster's kubeconfig file, as create-cluster recorded it. Never the default ~/.kube/config. */
export function kubeconfigFor(ctx: Pick<StepContext, 'outputs' | 'cluster'>): string {
  const kubeconfig = ctx.outputs['create-cluster']?.kubeconfig;
  if (typeof kubeconfig !== 'string' || kubeconfig.length === 0) {
    throw new WsdError('StepFailed', `cluster ${ctx.cluster.name} has no kubeconfig: create-cluster recorded none in its outputs; run create-cluster for it first`, {
      details: { cluster: ctx.cluster.name },
    });
  }
  if (!existsSync(kubeconfig)) {
    throw new WsdError('StepFailed', `kubeconfig ${kubeconfig} of cluster ${ctx.cluster.name} does not exist; run create-cluster again to write it`, {
      details: { cluster: ctx.cluster.name, kubeconfig },
    });
  }
  return kubeconfig;
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
