/**
 * The bridge region of each workspace cluster must be known before anything
 * is created: derived from its GCP region, or set with `bridgeRegion` (on the
 * cluster, or on every meta cluster).
 */
import { bridgeRegionOf } from '../../registry/region.js';
import { quote } from '../messages.js';
import { gcpRegion } from '../sections/primitives.js';
import { asList, asRecord, validString, type CrossRule, type RuleIssue } from './rule.js';

const regionSchema = gcpRegion();

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
