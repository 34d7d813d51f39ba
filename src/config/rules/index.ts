/** Every cross-field rule, run together after the sections are validated. */
import { bucketForGcsBackend } from './backend-rules.js';
import { moduleSourceForCreatedClusters, noBridgeOnSandboxMeta, simulatorNeedsSandboxMetas } from './deploy-rules.js';
import { derivedNamesValid, explicitNamesUnique, governedByExists, metaNamesUnique, prefixUniquePerRegion } from './cluster-rules.js';
import { releaseDependencies } from './release-rules.js';
import { valuesFilesParse, versionsManifestParses } from './referenced-file-rules.js';
import { bridgeRegionDerivable, regionsKnown } from './region-rules.js';
import type { CrossRule } from './rule.js';
import { secretNamesExist } from './secret-rules.js';
import { contractVariablesNotPassed } from './terraform-variable-rules.js';

export const crossRules: readonly CrossRule[] = [
  metaNamesUnique,
  explicitNamesUnique,
  governedByExists,
  prefixUniquePerRegion,
  derivedNamesValid,
  regionsKnown,
  bridgeRegionDerivable,
  bucketForGcsBackend,
  valuesFilesParse,
  versionsManifestParses,
  releaseDependencies,
  noBridgeOnSandboxMeta,
  simulatorNeedsSandboxMetas,
  moduleSourceForCreatedClusters,
  secretNamesExist,
  contractVariablesNotPassed,
];
