/**
 * One helm release, helmfile-style: prepare (values files in order + generated
 * values → merged values → digest), decide from `helm status` (skip / install /
 * upgrade / recover a release left pending by an interrupted run), apply, then
 * wait for the release's workloads through the Kubernetes API.
 */
import type { HelmRelease, ReleaseSpec } from '../../tools/helm.js';
import type { ChartConfig } from './config.js';
import { generatedValuesPath, writeGeneratedValues } from './generated-values.js';
import { checkLocalChartVersion, sameChartVersion } from './chart-version.js';
import { splitSecrets } from '../../core/secret-names.js';
import { secretValuesPath } from '../../tools/helm-secret-values.js';
import { repoAlias, repoCredentials, repositoriesPath } from '../../tools/helm-repo-credentials.js';
import { applySet, digestFromDescription, mergeValues, mergeValuesFiles, releaseDescription, valuesDigest, type DigestKind } from './values.js';
import type { Values } from '../../config/files/values-file.js';
import { REDACTED, type Redactor } from '../../core/redact.js';

/** What a step wants installed. `valuesFiles` are absolute: global first, then the cluster's own. */
interface ReleaseInput {
  release: string;
  namespace: string;
  chart: ChartConfig;
  timeoutSeconds: number;
  valuesFiles: readonly string[];
  set: Readonly<Record<string, string | number | boolean>>;
  /** `set` keys that are secret besides the credential-named ones: passed in a 0600 values file, not in argv. */
  secretSet?: readonly string[];
  /** Written to `<clusterDir>/values/<release>.generated.yaml` and applied last. */
  generated?: Values;
}

/** A release ready to apply: the helm spec plus the merged values and their digest. */
export interface PreparedRelease {
  spec: ReleaseSpec;
  /** Hex; keyed when the values hold secrets, '' when they do and no key exists yet (see {@link DigestKind}). */
  digest: string;
  digestKind: DigestKind;
  values: Values;
  generatedFile?: string;
  generated?: Values;
}

/** What the summary shows about a release (journaled as step output). */
export interface ReleaseRecord {
  name: string;
  namespace: string;
  chart: string;
  version: string;
  digest: string;
  /** Absent: `sha256`. A keyed digest tells nothing about the values without the state dir's key. */
  digestKind?: DigestKind;
  status: 'deployed' | 'unchanged' | 'rendered';
  revision?: number;
  valuesFiles: string[];
}

/**
 * Builds the release from config without side effects (reads the values files). `digestKey`: the
 * state dir's values digest key (values-digest-key.ts), needed when the values hold secrets.
 */
export function prepareRelease(clusterDir: string, input: ReleaseInput, digestKey?: Buffer): PreparedRelease {
  checkLocalChartVersion(input.chart);
  const generatedFile = input.generated ? generatedValuesPath(clusterDir, input.release) : undefined;
  const valuesFiles = [...input.valuesFiles, ...(generatedFile ? [generatedFile] : [])];
  const inline = new Map<string, Values>(generatedFile && input.generated ? [[generatedFile, input.generated]] : []);
  const values = mergeValuesFiles(valuesFiles, input.set, inline);
  const { plain, secret } = splitSecrets(input.set, input.secretSet);
  const hasSecrets = Object.keys(secret).length > 0;
  // The digest covers every value, secret ones included, so a rotated secret upgrades the release;
  // with secrets it is keyed, since a plain hash shown in the plan would let anyone test guesses of them.
  const { digest, kind } = valuesDigest(values, hasSecrets, digestKey);
  return {
    spec: {
      release: input.release,
      namespace: input.namespace,
      chart: input.chart,
      valuesFiles,
      set: plain,
      ...(hasSecrets ? { secretValues: applySet({}, secret), secretValuesFile: secretValuesPath(clusterDir, input.release) } : {}),
      // Credentials in the repository URL go to helm in a 0600 file, never in its argv.
      ...(repoCredentials(input.chart.repository) ? { repositoryConfig: { alias: repoAlias(input.release), file: repositoriesPath(clusterDir, input.release) } } : {}),
      timeoutSeconds: input.timeoutSeconds,
      description: releaseDescription(digest, kind),
    },
    digest,
    digestKind: kind,
    values,
    generatedFile,
    generated: input.generated,
  };
}

/** `values` with every leaf replaced by {@link REDACTED} (maps kept, so it overlays exactly those keys). */
function masked(values: Values): Values {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, value !== null && typeof value === 'object' && !Array.isArray(value) ? masked(value as Values) : REDACTED]));
}

/**
 * The merged values as they may be written down (the rendered `values.yaml`): secret `set` keys
 * hidden by key, then everything else through the redactor. Text redaction alone would miss a
 * secret number (it only rewrites strings) and one shorter than the redactor's minimum length.
 */
export function shownValues(prepared: PreparedRelease, redactor: Redactor): Values {
  const secret = prepared.spec.secretValues;
  return redactor.redactValue(secret ? mergeValues(prepared.values, masked(secret as Values)) : prepared.values);
}

/** Writes the generated values file (before helm reads it). */
export function writePrepared(prepared: PreparedRelease): void {
  if (prepared.generatedFile && prepared.generated) writeGeneratedValues(prepared.generatedFile, prepared.generated);
}

/** The chart version we want, or what a local chart says once deployed. */
function wantedVersion(prepared: PreparedRelease, deployed?: HelmRelease): string {
  return prepared.spec.chart.version ?? deployed?.chart?.metadata?.version ?? 'local';
}

export function releaseRecord(prepared: PreparedRelease, status: ReleaseRecord['status'], deployed?: HelmRelease): ReleaseRecord {
  return {
    name: prepared.spec.release,
    namespace: prepared.spec.namespace,
    chart: prepared.spec.chart.name,
    version: wantedVersion(prepared, deployed),
    digest: prepared.digest,
    ...(prepared.digestKind === 'sha256' ? {} : { digestKind: prepared.digestKind }),
    status,
    ...(deployed ? { revision: deployed.version } : {}),
    valuesFiles: [...prepared.spec.valuesFiles],
  };
}

/** What to do about a release, decided from `helm status` alone. */
export type ReleaseDecision =
  | { action: 'skip'; evidence: string }
  | { action: 'install'; reason: string }
  | { action: 'upgrade'; reason: string }
  | { action: 'recover-uninstall'; reason: string }
  | { action: 'recover-rollback'; reason: string };

/**
 * Pure decision table (shared/design.md §5: a `pending-*` release needs recovery, never a blind retry;
 * whether recovering it is safe — no live helm run owns it — is pending-release.ts's call).
 */
export function decideRelease(current: HelmRelease | undefined, prepared: PreparedRelease): ReleaseDecision {
  const { release, namespace } = prepared.spec;
  const where = `release ${release} in namespace ${namespace}`;
  if (!current) return { action: 'install', reason: `${where} does not exist` };
  const status = current.info.status;
  const revision = current.version;
  switch (status) {
    case 'pending-install':
      return { action: 'recover-uninstall', reason: `${where} is pending-install at revision ${revision}` };
    case 'pending-upgrade':
    case 'pending-rollback':
      return { action: 'recover-rollback', reason: `${where} is ${status} at revision ${revision}` };
    case 'uninstalling':
      // A helm uninstall killed mid-way (ours, an atomic first install's own, or an operator's) leaves it so
      // for good: like pending-*, it is finished (uninstalled again) once no live helm run can own it.
      return { action: 'recover-uninstall', reason: `${where} is uninstalling at revision ${revision}` };
    case 'deployed': {
      const deployedVersion = current.chart?.metadata?.version;
      const deployedDigest = digestFromDescription(current.info.description);
      const wanted = prepared.spec.chart.version;
      if (wanted === undefined) return { action: 'upgrade', reason: `${where} uses a local chart without a pinned version, so it is always upgraded` };
      if (!sameChartVersion(deployedVersion, wanted)) return { action: 'upgrade', reason: `${where} runs chart version ${deployedVersion ?? 'unknown'}, want ${wanted}` };
      if (prepared.digestKind === 'unkeyed') return { action: 'upgrade', reason: `${where}: its values hold secrets and the state dir has no values digest key yet` };
      if (deployedDigest !== `${prepared.digestKind}=${prepared.digest}`) {
        const shown = deployedDigest === undefined ? 'unknown' : deployedDigest.slice(0, deployedDigest.indexOf('=') + 13);
        return { action: 'upgrade', reason: `${where} was deployed with values digest ${shown}, want ${prepared.digestKind}=${prepared.digest.slice(0, 12)}` };
      }
      return {
        action: 'skip',
        evidence: `${where} is deployed at revision ${revision} with chart ${prepared.spec.chart.name} ${wanted} and values digest ${prepared.digest.slice(0, 12)}`,
      };
    }
    default:
      return { action: 'upgrade', reason: `${where} is ${status} at revision ${revision}` };
  }
}
