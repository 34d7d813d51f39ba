/**
 * Regions: every GCP region is a real one (or one the operator vouches for in
 * `project.extraRegions`), and the bridge region of each workspace cluster is
 * known before anything is created: derived from its GCP region, or set with
 * `bridgeRegion` (on the cluster, or on every meta cluster).
 */
import { bridgeRegionOf } from '../../registry/region.js';
import { GCP_REGIONS, GCP_REGIONS_AS_OF } from '../gcp-regions.js';
import { nearest, quote } from '../messages.js';
import { gcpRegion } from '../sections/primitives.js';
import { asList, asRecord, validString, type CrossRule, type RuleIssue } from './rule.js';

const regionSchema = gcpRegion();

/** Lists whose items carry a GCP `region`. */
const REGION_LISTS = ['metaClusters', 'workspaceClusters'] as const;

/**
 * A region of the right shape that Google does not have is a typo until the operator says
 * otherwise: gcloud and Terraform would refuse it only after the run started.
 */
export const regionsKnown: CrossRule = (config) => {
  const root = asRecord(config);
  const extra = asList(asRecord(root?.['project'])?.['extraRegions']).filter((r): r is string => typeof r === 'string');
  const known = new Set([...GCP_REGIONS, ...extra]);
  const issues: RuleIssue[] = [];
  for (const list of REGION_LISTS) {
    asList(root?.[list]).forEach((item, index) => {
      const region = validString(regionSchema, asRecord(item)?.['region']);
      if (region === undefined || known.has(region)) return;
      const guess = nearest(region, GCP_REGIONS);
      issues.push({
        path: [list, index, 'region'],
        message:
          `unknown gcp region ${quote(region)}` +
          (guess === undefined ? '' : `; did you mean ${quote(guess)}?`) +
          ` if it is a region newer than this build's list (google cloud regions as of ${GCP_REGIONS_AS_OF}), add it to project.extraRegions`,
      });
    });
  }
  return issues;
};

export const bridgeRegionDerivable: CrossRule = (config) => {
  const root = asRecord(config);
  const metas = asList(root?.['metaClusters']).map(asRecord);
  if (metas.length > 0 && metas.every((m) => m?.['bridgeRegion'] !== undefined)) return [];
  const issues: RuleIssue[] = [];
  asList(root?.['workspaceClusters']).forEach((value, index) => {
    const fields = asRecord(value);
    const region = validString(regionSchema, fields?.['region']);
    if (!fields || region === undefined || fields['bridgeRegion'] !== undefined || bridgeRegionOf(region)) return;
    issues.push({
      path: ['workspaceClusters', index, 'region'],
      message: `cannot derive a bridge region from ${quote(region)}; set bridgeRegion to europe, north-america, south-america, africa, asia or "" (any region)`,
    });
  });
  return issues;
};
