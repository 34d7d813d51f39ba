/**
 * The register-cluster step's logic: register a new workspace cluster with
 * EVERY meta cluster — cordoned by default, with its coarse bridge region, the
 * legacy `govern` hint only on the one named in `governedBy` (bridges before
 * 2023-03 obey it, current ones govern every cluster) — and a pre-run check
 * that makes re-runs safe.
 *
 * Resumable: the caller passes the meta clusters already done (from its journal)
 * and journals each new one through `onRegistered`, so an interrupted run
 * finishes the rest. A failure on one meta cluster does not stop the others;
 * the error at the end lists each meta cluster's outcome.
 */
import { WsdError, isWsdError, toWsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { Redactor } from '../core/redact.js';
import { parseConstraint } from './constraints.js';
import { replacedEntryText, stateText, unknownDeregisterWhy, unknownStateSeen } from './format.js';
import { renderUrlTemplate, type RegistrationConfig } from './config.js';
import { connectToMeta, type MetaAccessInput, type RegistryConnection } from './connect.js';
import { registrationRegion } from './region.js';
import type { TlsReader } from './tls-source.js';
import type { ClusterStatus, RegisterInput, TlsMaterial } from './types.js';

/** How one meta cluster's registry relates to the cluster we want to register. */
type RegistryFinding =
  | { kind: 'absent' }
  | { kind: 'registered'; evidence: string }
  | { kind: 'conflict'; reason: string; conflicting: string[]; overwrite?: string; entries: ClusterStatus[] };

/**
 * Classifies a List answer: same name and url = done; name or url taken otherwise = conflict. `ours` false: the
 * caller's journal shows no Register of `name` to `meta`, so an entry of that name and url is someone else's
 * (another state dir's deployment, an operator's hand): a conflict, as terraform refuses a resource that exists but
 * is not in its state, not a registration to take over (its traffic would then be shifted, and its cluster retired).
 */
export function classifyRegistry(clusters: readonly ClusterStatus[], name: string, url: string, meta: string, ours = true): RegistryFinding {
  const byName = clusters.find((c) => c.name === name);
  const byUrl = clusters.filter((c) => c.url === url && c.name !== name);
  const reasons: string[] = [];
  if (byName && byName.url === url && byUrl.length === 0) {
    // Registered all the same; a state this tool cannot read is said, not taken for the one it registered with.
    const state = byName.unknownState === undefined ? `${byName.state},` : `${stateText(byName)}, a state this ws-deployment does not know;`;
    const evidence = `${meta} lists ${name} with url ${url} (state ${state} score ${byName.score})`;
    if (ours) return { kind: 'registered', evidence };
    reasons.push(`${evidence}, but this deployment did not register it there (its journal has no Register of ${name} to ${meta}): another state dir or an operator did, and ws-deployment adopts only entries it registered`);
  }
  if (byName && byName.url !== url) reasons.push(`${meta} already has ${name} with url ${byName.url}, not ${url}`);
  for (const other of byUrl) reasons.push(`${meta} already has url ${url} registered as ${other.name}`);
  if (reasons.length === 0) return { kind: 'absent' };
  const conflicting = [...(byName && (byName.url !== url || !ours) ? [name] : []), ...byUrl.map((c) => c.name)];
  const statics = clusters.filter((c) => conflicting.includes(c.name) && c.static);
  if (statics.length > 0) reasons.push('the conflicting entry is static (bridge config) and cannot be replaced');
  const overwrite = statics.length > 0 ? staticOverwriteProblem(statics, name, meta) : undefined;
  const entries = clusters.filter((c) => conflicting.includes(c.name) && !c.static);
  return { kind: 'conflict', reason: reasons.join('; '), conflicting, entries, ...(overwrite ? { overwrite } : {}) };
}

/**
 * Why --overwrite must not deregister the conflicting entries of `finding`, or undefined: one is in a state this tool
 * cannot read, and `clusters deregister` of it asks for its name or --yes. A run's --yes is not that answer: it
 * approves the run's manual gates, and a CI job passes it for those, never having seen this entry. So the step
 * refuses and sends nothing, and the operator, having checked the entry, deregisters it by name and runs again.
 */
function unknownStateOverwrite(finding: Extract<RegistryFinding, { kind: 'conflict' }>, meta: string): string | undefined {
  const unknown = finding.entries.filter((c) => c.state === 'UNKNOWN');
  if (unknown.length === 0) return undefined;
  const seen = unknown.map((c) => unknownDeregisterWhy(unknownStateSeen(c, meta))).join('; ');
  const byName = unknown.map((c) => `\`ws-deployment clusters deregister --meta ${meta} --name ${c.name}\``).join(' and ');
  return (
    `--overwrite would deregister ${unknown.map((c) => c.name).join(' and ')} first, and ${seen}; --overwrite does not replace such an entry, ` +
    `and a run's --yes approves its gates, not this: check the cluster with the bridge that set it, deregister it by name (${byName}, ` +
    'which asks, or takes --yes), then run again'
  );
}

/** What --overwrite replaces on `meta`: every field of the old entries, none of which the new one keeps. */
function replacing(finding: Extract<RegistryFinding, { kind: 'conflict' }>, meta: string): string {
  return `--overwrite deregisters ${finding.entries.map(replacedEntryText).join(' and ')} from ${meta}, then registers the new entry with the config's settings`;
}

/**
 * Why --overwrite cannot take the place of a static entry (facts from the deployed bridge, read only): its
 * Register and Deregister look at its database only, where static clusters are not. The Deregister overwrite sends
 * deletes nothing and answers OK; the Register is taken, and then List shows the database entry of that name and no
 * longer the static one, while the bridge, looking a cluster up by name, still finds the static one first; at a
 * static entry's url it lists the url twice.
 */
function staticOverwriteProblem(statics: readonly ClusterStatus[], name: string, meta: string): string {
  return statics
    .map(
      (c) =>
        `--overwrite cannot replace ${c.name} either: it is static on ${meta} (the bridge's own config), which Deregister leaves in place, and ` +
        (c.name === name ? 'a Register of its name would only hide it in List while the bridge still dials the static one' : 'a Register at its url would list that url twice'),
    )
    .join('; ')
    .concat('; remove it from the bridge config or choose another name');
}

/**
 * Why a hand-run Register of `name` at `url` must not be sent (the name or url is listed already), or undefined.
 * Bridges before 2022-02 would not refuse it: they overwrite the entry of that name, or add a second one at that url.
 */
export function takenFinding(clusters: readonly ClusterStatus[], name: string, url: string, meta: string): WsdError | undefined {
  const finding = classifyRegistry(clusters, name, url, meta);
  if (finding.kind === 'registered') {
    return new WsdError('RegistryConflict', `${finding.evidence}: already registered, nothing was changed (deregister it first only to register it with other settings)`, {
      details: { meta, cluster: name, alreadyRegistered: true },
    });
  }
  if (finding.kind === 'conflict') {
    // A static entry cannot be deregistered (the bridge's Deregister leaves it): only its config removes it.
    const fix = finding.overwrite ? 'remove the static entry from the bridge config or choose another name' : 'deregister the old entry or choose another name';
    return new WsdError('RegistryConflict', `${finding.reason}; nothing was changed — ${fix}`, { details: { meta, cluster: name } });
  }
  return undefined;
}

export interface RegisterClusterInput {
  /** `region` is the GCP region; `bridgeRegion` the config's override of the derived bridge region. */
  cluster: { name: string; shortName: string; region: string; bridgeRegion?: string };
  /** Per meta cluster name: the config's `bridgeRegion` override for that registry. */
  metaRegions?: Readonly<Record<string, string | undefined>>;
  /** Domain of the workspace cluster's hosts, for the url template. */
  domain: string;
  /** Every meta cluster of the installation. */
  metaClusters: readonly MetaAccessInput[];
  /** The one meta cluster that governs the new cluster. */
  governedBy: string;
  registration: RegistrationConfig;
  tls: TlsReader;
  /** Meta clusters registered by an earlier attempt (journal). */
  done?: readonly string[];
  /** Called after each meta cluster accepted (or already had) the cluster; journal it before returning. */
  onRegistered?: (meta: string) => Promise<void>;
  /**
   * Whether the caller's journal shows a Register of this cluster sent (or possibly sent) to `meta`: only then is an
   * entry of its name and url there taken as done (see {@link classifyRegistry}). Absent: every such entry is.
   */
  ours?: (meta: string) => boolean;
  /** Called before a Register is sent to `meta`; journal it before returning (what {@link ours} reads after a crash). */
  onSending?: (meta: string) => Promise<void>;
  /** Replace conflicting entries (deregistered without force first) instead of refusing. */
  overwrite?: boolean;
  sink?: EventSink;
  redactor?: Redactor;
  signal?: AbortSignal;
  baseDir?: string;
  /** Injectable for tests; default {@link connectToMeta}. */
  connect?: (meta: MetaAccessInput) => Promise<RegistryConnection>;
}

interface MetaOutcome {
  meta: string;
  outcome: 'registered' | 'already-registered' | 'journaled' | 'failed';
  detail: string;
  error?: WsdError;
}

interface RegisterClusterResult {
  url: string;
  outcomes: MetaOutcome[];
}

/** The bridge region sent to `meta` (see `region.ts` for the mapping and precedence). */
export function regionFor(input: Pick<RegisterClusterInput, 'cluster' | 'metaRegions'>, meta: string): string {
  return registrationRegion({ gcpRegion: input.cluster.region, clusterOverride: input.cluster.bridgeRegion, metaOverride: input.metaRegions?.[meta] });
}

/** The ws-manager url the bridges will dial. */
export function registrationUrl(input: Pick<RegisterClusterInput, 'cluster' | 'domain' | 'registration'>): string {
  const { cluster, domain, registration } = input;
  return renderUrlTemplate(registration.urlTemplate, { shortName: cluster.shortName, name: cluster.name, domain, region: cluster.region });
}

function assertOneGovernor(input: RegisterClusterInput): void {
  const names = input.metaClusters.map((m) => m.name);
  if (!names.includes(input.governedBy)) {
    throw new WsdError('ConfigInvalid', `governedBy "${input.governedBy}" of ${input.cluster.name} is not a meta cluster; use one of ${names.join(', ')}`);
  }
}

function connector(input: RegisterClusterInput): (meta: MetaAccessInput) => Promise<RegistryConnection> {
  return input.connect ?? ((meta) => connectToMeta(meta, { baseDir: input.baseDir, sink: input.sink, redactor: input.redactor, signal: input.signal }));
}

/** Pre-run check: List on every meta cluster. Skip when all have it, refuse on conflicts (unless overwrite). */
export async function checkRegistration(input: RegisterClusterInput): Promise<{ action: 'proceed' | 'skip' | 'refuse'; findings: Record<string, RegistryFinding>; reason: string }> {
  assertOneGovernor(input);
  const url = registrationUrl(input);
  const findings: Record<string, RegistryFinding> = {};
  for (const meta of input.metaClusters) {
    const connection = await connector(input)(meta);
    try {
      findings[meta.name] = classifyRegistry(await connection.client.list(), input.cluster.shortName, url, meta.name, input.ours?.(meta.name) ?? true);
    } finally {
      await connection.close();
    }
  }
  const all = Object.values(findings);
  const conflicts = Object.values(findings).filter((f): f is Extract<RegistryFinding, { kind: 'conflict' }> => f.kind === 'conflict');
  const unreplaceable = conflicts.filter((c) => c.overwrite !== undefined);
  if (unreplaceable.length > 0) return { action: 'refuse', findings, reason: unreplaceable.map((c) => `${c.reason}; ${c.overwrite}`).join('; ') };
  if (conflicts.length > 0 && !input.overwrite) {
    return { action: 'refuse', findings, reason: `${conflicts.map((c) => c.reason).join('; ')}; deregister the old entry or re-run with --overwrite` };
  }
  const conflicted = Object.entries(findings).flatMap(([meta, f]) => (f.kind === 'conflict' ? [{ meta, f }] : []));
  const unconfirmed = conflicted.flatMap(({ meta, f }) => {
    const refusal = unknownStateOverwrite(f, meta);
    return refusal ? [`${f.reason}; ${refusal}`] : [];
  });
  if (unconfirmed.length > 0) return { action: 'refuse', findings, reason: unconfirmed.join('; ') };
  if (conflicted.length > 0) return { action: 'proceed', findings, reason: conflicted.map(({ meta, f }) => `${f.reason}; ${replacing(f, meta)}`).join('; ') };
  if (all.every((f) => f.kind === 'registered')) {
    return { action: 'skip', findings, reason: all.map((f) => (f.kind === 'registered' ? f.evidence : '')).join('; ') };
  }
  return { action: 'proceed', findings, reason: `${input.cluster.shortName} is not registered with every meta cluster yet` };
}

/** Registers with every meta cluster not yet done; throws after trying all of them if any failed. */
export async function registerCluster(input: RegisterClusterInput): Promise<RegisterClusterResult> {
  assertOneGovernor(input);
  const redactor = input.redactor ?? new Redactor();
  // Every connection (and so every client) shares this redactor: the key registered once is scrubbed everywhere.
  input = { ...input, redactor };
  const url = registrationUrl(input);
  const name = input.cluster.shortName;
  const outcomes: MetaOutcome[] = [];
  let tls: TlsMaterial | undefined;
  const emit = (level: 'info' | 'warn' | 'error', code: string, message: string, meta: string) =>
    input.sink?.emit({ level, code, cluster: input.cluster.name, step: 'register-cluster', message: redactor.redact(message), data: { meta, url } });

  for (const meta of input.metaClusters) {
    if (input.signal?.aborted) throw new WsdError('Interrupted', `interrupted before registering ${name} with ${meta.name}`);
    if (input.done?.includes(meta.name)) {
      outcomes.push({ meta: meta.name, outcome: 'journaled', detail: 'registered by an earlier run' });
      continue;
    }
    try {
      const detail = await registerWithOne(input, meta, url, async () => {
        if (!tls) {
          tls = await input.tls.read();
          redactor.add(tls.key);
        }
        return tls;
      }, redactor);
      outcomes.push({ meta: meta.name, outcome: detail.already ? 'already-registered' : 'registered', detail: detail.text });
      emit('info', detail.already ? 'registry.already-registered' : 'registry.registered', detail.text, meta.name);
      await input.onRegistered?.(meta.name);
    } catch (raw) {
      const error = toWsdError(raw);
      if (error.code === 'Interrupted') throw error;
      outcomes.push({ meta: meta.name, outcome: 'failed', detail: redactor.redact(error.message), error });
      emit('error', 'registry.register-failed', `registering ${name} with ${meta.name} failed: ${error.message}`, meta.name);
    }
  }

  const failed = outcomes.filter((o) => o.outcome === 'failed');
  if (failed.length > 0) {
    const codes = new Set(failed.map((f) => f.error?.code));
    const [only] = codes;
    throw new WsdError(
      codes.size === 1 && only ? only : 'RegistryError',
      `registering ${name} failed on ${failed.map((f) => f.meta).join(', ')} (${failed.map((f) => `${f.meta}: ${f.detail}`).join('; ')}); ` +
        `the other meta clusters are done and journaled — fix the cause and resume`,
      {
        transient: failed.every((f) => f.error?.transient),
        details: { url, outcomes: outcomes.map(({ meta, outcome, detail }) => ({ meta, outcome, detail })) },
      },
    );
  }
  return { url, outcomes };
}

async function registerWithOne(
  input: RegisterClusterInput,
  meta: MetaAccessInput,
  url: string,
  readTls: () => Promise<TlsMaterial>,
  redactor: Redactor,
): Promise<{ already: boolean; text: string }> {
  const name = input.cluster.shortName;
  const connection = await connector(input)(meta);
  let replaced: ClusterStatus[] = [];
  try {
    const client = connection.client;
    const finding = classifyRegistry(await client.list(), name, url, meta.name, input.ours?.(meta.name) ?? true);
    if (finding.kind === 'registered') return { already: true, text: finding.evidence };
    if (finding.kind === 'conflict') {
      if (finding.overwrite) throw new WsdError('RegistryConflict', `${finding.reason}; ${finding.overwrite}`);
      if (!input.overwrite) throw new WsdError('RegistryConflict', `${finding.reason}; deregister the old entry or re-run with --overwrite`);
      const unconfirmed = unknownStateOverwrite(finding, meta.name);
      if (unconfirmed) throw new WsdError('RegistryRefused', `${finding.reason}; ${unconfirmed}`, { details: { meta: meta.name, cluster: name } });
      // Without force: the bridge still refuses while users run on the old entry.
      for (const old of finding.entries) {
        await client.deregister({ name: old.name, force: false });
        // Said as it happens: should the Register fail, the old entry is gone all the same.
        input.sink?.emit({
          level: 'warn',
          code: 'registry.overwritten',
          cluster: input.cluster.name,
          step: 'register-cluster',
          message: redactor.redact(`--overwrite deregistered ${replacedEntryText(old)} from ${meta.name} to register ${name} (${url}) in its place`),
          data: { meta: meta.name, url, replaced: old.name },
        });
      }
      replaced = finding.entries;
    }
    const govern = meta.name === input.governedBy;
    const region = regionFor(input, meta.name);
    const request: RegisterInput = {
      name,
      url,
      tls: await readTls(),
      hints: { preferability: input.registration.preferability, cordoned: input.registration.cordoned, govern },
      admissionConstraints: input.registration.admissionConstraints.map(parseConstraint),
      region,
    };
    let answerLost: string | undefined;
    await input.onSending?.(meta.name);
    try {
      ({ answerLost } = await client.register(request));
    } catch (error) {
      // Listed absent, then ALREADY_EXISTS with our very name and url: an earlier Register whose answer was lost
      // finished in between (a bridge still dialing ws-manager when we gave up). That is the outcome we want.
      if (!(isWsdError(error) && error.details['alreadyRegistered'] === true)) throw error;
      return { already: true, text: redactor.redact(error.message) };
    }
    const state = request.hints.cordoned ? 'cordoned' : 'available';
    const governs = govern ? 'governor' : 'not the governor (bridges since 2023-03 govern it anyway)';
    // Lost with its connection or past its deadline, or answered with a database error: List had the last word.
    const lost = answerLost ? ` (${/with an error of its database/.test(answerLost) ? 'its database failed' : 'its answer was lost'}; List shows it registered)` : '';
    const gap = region ? await regionDropped(client, name, region, meta.name) : undefined;
    const instead = replaced.length > 0 ? `, replacing ${replaced.map(replacedEntryText).join(' and ')}` : '';
    if (gap) input.sink?.emit({ level: 'warn', code: 'registry.region-ignored', cluster: input.cluster.name, step: 'register-cluster', message: gap, data: { meta: meta.name, region } });
    return {
      already: false,
      text: redactor.redact(`registered ${name} (${url}) with ${meta.name}: ${state}, region ${gap ? `none (${region} sent, not kept)` : region || '"" (any)'}, ${governs}${lost}${instead}`),
    };
  } finally {
    await connection.close();
  }
}

/**
 * Bridges before 2023-02 have no RegisterRequest.region: they skip it without a word and list no region, and the
 * cluster takes workspaces from every region. Said, not failed: the registration is what that bridge can do.
 */
async function regionDropped(client: RegistryConnection['client'], name: string, region: string, meta: string): Promise<string | undefined> {
  const listed = (await client.list().catch(() => undefined))?.find((c) => c.name === name);
  if (!listed || listed.region) return undefined;
  return (
    `${meta} registered ${name} without the region ${region}: its ws-manager-bridge predates RegisterRequest.region (2023-02) and skips it, ` +
    `so ${name} may take workspaces from every region; upgrade that bridge to have regions kept`
  );
}
