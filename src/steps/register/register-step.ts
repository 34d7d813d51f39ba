/**
 * RegisterCluster: registers the new cluster with every meta cluster's
 * ws-manager-bridge (cordoned, one governor), journaling each meta cluster as
 * it succeeds so `resume` finishes only the rest.
 */
import type { MetaAccessInput } from '../../registry/connect.js';
import { registrationSchema, type RegistrationConfig } from '../../registry/config.js';
import { checkRegistration, regionFor, registerCluster, registrationUrl, type RegisterClusterInput } from '../../registry/register-cluster.js';
import { fileTlsReader, kubeSecretTlsReader, type TlsReader } from '../../registry/tls-source.js';
import { resolveMetaAccess, type MetaClusterEntry } from '../../sandbox/meta-access.js';
import { ensureSandboxTls, sandboxTlsDir } from '../../sandbox/sandbox-tls.js';
import type { CheckResult, PlanContext, PlannedAction, Step, StepContext, StepOutputs } from '../step.js';

function metaClusters(ctx: Pick<PlanContext, 'config'>): MetaClusterEntry[] {
  return ctx.config.metaClusters;
}

/** Parsed once per loaded config: `plan` of 500 clusters asked 500 times (the config is not changed after loading). */
const parsedRegistration = new WeakMap<object, RegistrationConfig>();

function registration(ctx: Pick<PlanContext, 'config'>): RegistrationConfig {
  const known = parsedRegistration.get(ctx.config);
  if (known) return known;
  const parsed = Object.freeze(registrationSchema.parse((ctx.config as { registration?: unknown }).registration ?? {}));
  parsedRegistration.set(ctx.config, parsed);
  return parsed;
}

/** The config's `bridgeRegion` of this workspace cluster, if set. */
function clusterBridgeRegion(ctx: Pick<PlanContext, 'config' | 'cluster'>): string | undefined {
  return ctx.config.workspaceClusters[ctx.cluster.index]?.bridgeRegion;
}

function metaRegions(ctx: Pick<PlanContext, 'config'>): Record<string, string | undefined> {
  return Object.fromEntries(ctx.config.metaClusters.map((m) => [m.name, m.bridgeRegion]));
}

async function resolveAccess(ctx: StepContext): Promise<MetaAccessInput[]> {
  return Promise.all(metaClusters(ctx).map((meta) => resolveMetaAccess(meta, ctx.sharedDir)));
}

async function tlsReader(ctx: StepContext, reg: RegistrationConfig): Promise<TlsReader> {
  if (ctx.cluster.type === 'sandbox') return fileTlsReader(await ensureSandboxTls(ctx));
  const kubeconfig = ctx.outputs['create-cluster']?.kubeconfig as string | undefined;
  return kubeSecretTlsReader({ kubeconfig, namespace: reg.tlsSecret.namespace, name: reg.tlsSecret.name });
}

/**
 * The meta clusters this deployment sent (or may have sent) a Register of this cluster to, from its journal: the
 * `registerSent` checkpoint, journaled before each Register, and the meta clusters it journaled as done. Only an entry
 * there is adopted as this deployment's registration; elsewhere one of the same name and url is someone else's.
 */
function sentTo(ctx: StepContext): Set<string> {
  return new Set([...((ctx.previous?.registerSent as string[] | undefined) ?? []), ...((ctx.previous?.registeredWith as string[] | undefined) ?? [])]);
}

/**
 * In the pre-run check (whose `attempt` counts this step's earlier attempts in the journal): an earlier attempt
 * journaled no `registerSent`, so a ws-deployment from before it ran this step and may have sent a Register anywhere
 * without a record (run() journals `registerSent` before anything else). Every meta cluster then counts as sent to,
 * as that version had it, journaled so the run and later attempts read the same.
 */
async function adoptOlderJournal(ctx: StepContext): Promise<void> {
  if (ctx.attempt <= 1 || ctx.previous?.registerSent !== undefined) return;
  const metas = metaClusters(ctx).map((m) => m.name);
  ctx.sink.emit({
    level: 'warn',
    code: 'registry.older-journal',
    message: `this step ran before under a ws-deployment that did not journal its Registers: an entry of ${ctx.cluster.shortName} at its url on ${metas.join(', ')} is taken as this deployment's, as that version did`,
  });
  await ctx.checkpoint({ registerSent: metas });
  ctx.previous = { ...ctx.previous, registerSent: metas };
}

async function input(ctx: StepContext): Promise<RegisterClusterInput> {
  const reg = registration(ctx);
  const done = (ctx.previous?.registeredWith as string[] | undefined) ?? [];
  const sent = sentTo(ctx);
  return {
    cluster: { name: ctx.cluster.name, shortName: ctx.cluster.shortName, region: ctx.cluster.region, bridgeRegion: clusterBridgeRegion(ctx) },
    metaRegions: metaRegions(ctx),
    domain: ctx.config.project.dnsZone,
    metaClusters: await resolveAccess(ctx),
    governedBy: ctx.cluster.governedBy,
    registration: reg,
    tls: await tlsReader(ctx, reg),
    done,
    onRegistered: async (meta) => {
      done.push(meta);
      await ctx.checkpoint({ registeredWith: [...done] });
    },
    ours: (meta) => sent.has(meta),
    onSending: async (meta) => {
      if (sent.has(meta)) return;
      sent.add(meta);
      await ctx.checkpoint({ registerSent: [...sent] });
    },
    overwrite: ctx.options.overwrite,
    sink: ctx.sink,
    redactor: ctx.redactor,
    signal: ctx.signal,
    baseDir: ctx.clusterDir,
  };
}

export const registerClusterStep: Step = {
  name: 'register-cluster',
  retry: { attempts: 3, initialDelayMs: 2_000, maxDelayMs: 20_000 },

  applies: () => true,

  describe(ctx: PlanContext): PlannedAction[] {
    const reg = registration(ctx);
    const url = registrationUrl({ cluster: ctx.cluster, domain: ctx.config.project.dnsZone, registration: reg });
    const tls = ctx.cluster.type === 'sandbox' ? `files in ${sandboxTlsDir(ctx.clusterDir)}` : `secret ${reg.tlsSecret.namespace}/${reg.tlsSecret.name} of the new cluster`;
    return [
      { kind: 'check', description: 'List on every meta cluster: name and url unused (same name and url = already registered)' },
      ...metaClusters(ctx).map((meta): PlannedAction => ({
        kind: 'call',
        description: `ClusterService.Register on ${meta.name}${meta.type === 'sandbox' ? ' (sandbox registry)' : ''}`,
        data: {
          name: ctx.cluster.shortName,
          url,
          govern: meta.name === ctx.cluster.governedBy,
          region: regionFor({ cluster: { ...ctx.cluster, bridgeRegion: clusterBridgeRegion(ctx) }, metaRegions: metaRegions(ctx) }, meta.name),
          cordoned: reg.cordoned,
          preferability: reg.preferability,
          admissionConstraints: reg.admissionConstraints,
          tls,
        },
      })),
    ];
  },

  async check(ctx: StepContext): Promise<CheckResult> {
    await adoptOlderJournal(ctx);
    const verdict = await checkRegistration(await input(ctx));
    if (verdict.action === 'skip') return { action: 'skip', evidence: verdict.reason, outputs: { url: registrationUrl({ cluster: ctx.cluster, domain: ctx.config.project.dnsZone, registration: registration(ctx) }), registeredWith: metaClusters(ctx).map((m) => m.name) } };
    if (verdict.action === 'refuse') return { action: 'refuse', reason: verdict.reason };
    return { action: 'proceed', reason: verdict.reason };
  },

  async run(ctx: StepContext): Promise<StepOutputs> {
    // Journaled before anything else: a later attempt reads it as "this version records every Register it sends".
    if (ctx.previous?.registerSent === undefined) await ctx.checkpoint({ registerSent: [...sentTo(ctx)] });
    const result = await registerCluster(await input(ctx));
    return { url: result.url, registeredWith: result.outcomes.map((o) => o.meta), outcomes: result.outcomes.map((o) => ({ meta: o.meta, outcome: o.outcome, detail: o.detail })) };
  },
};
