/**
 * Rules across clusters: unique names, existing governors, unique prefixes per
 * region, and names that GKE will accept once an id is drawn.
 */
import { CLUSTER_ID_MAX, fullClusterName, gkeNameProblem, type Environment } from '../../names/names.js';
import { quote } from '../messages.js';
import { environmentField } from '../sections/header.js';
import { clusterPrefix, gcpRegion, gkeName } from '../sections/primitives.js';
import { asList, asRecord, itemPath, validString, type CrossRule, type RuleIssue } from './rule.js';

// Standalone instances: a rule must judge a field exactly like the schema does.
const nameSchema = gkeName();
const prefixSchema = clusterPrefix();
const regionSchema = gcpRegion();

interface Item {
  index: number;
  fields: Record<string, unknown>;
}

function items(config: unknown, key: string): Item[] {
  return asList(asRecord(config)?.[key]).flatMap((value, index) => {
    const fields = asRecord(value);
    return fields ? [{ index, fields }] : [];
  });
}

/** Reports the second and later uses of the same value of `field` in list `key`. */
function uniqueField(config: unknown, key: string, field: string, what: string): RuleIssue[] {
  const first = new Map<string, number>();
  const issues: RuleIssue[] = [];
  for (const { index, fields } of items(config, key)) {
    const value = validString(nameSchema, fields[field]);
    if (value === undefined) continue;
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, index);
    else issues.push({ path: [key, index, field], message: `duplicate ${what} ${quote(value)}; ${itemPath(key, earlier)} already uses it` });
  }
  return issues;
}

/** Meta cluster names are unique. */
export const metaNamesUnique: CrossRule = (config) => uniqueField(config, 'metaClusters', 'name', 'meta cluster name');

/** Explicit workspace cluster names are unique. */
export const explicitNamesUnique: CrossRule = (config) => uniqueField(config, 'workspaceClusters', 'name', 'workspace cluster name');

/** `governedBy` names one of the meta clusters. */
export const governedByExists: CrossRule = (config) => {
  const metas = [
    ...new Set(
      items(config, 'metaClusters').flatMap(({ fields }) => {
        const name = validString(nameSchema, fields.name);
        return name === undefined ? [] : [name];
      }),
    ),
  ];
  const issues: RuleIssue[] = [];
  for (const { index, fields } of items(config, 'workspaceClusters')) {
    const governor = validString(nameSchema, fields.governedBy);
    if (governor === undefined || metas.includes(governor)) continue;
    const known = metas.length > 0 ? `meta clusters: ${metas.join(', ')}` : 'no valid meta cluster is defined';
    issues.push({ path: ['workspaceClusters', index, 'governedBy'], message: `${quote(governor)} is not a meta cluster; ${known}` });
  }
  return issues;
};

/** Two workspace clusters in one region never share a prefix: their short names would collide. */
export const prefixUniquePerRegion: CrossRule = (config) => {
  const first = new Map<string, number>();
  const issues: RuleIssue[] = [];
  for (const { index, fields } of items(config, 'workspaceClusters')) {
    const prefix = validString(prefixSchema, fields.prefix);
    const region = validString(regionSchema, fields.region);
    if (prefix === undefined || region === undefined) continue;
    const key = `${region}\u0000${prefix}`;
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, index);
    else {
      issues.push({
        path: ['workspaceClusters', index, 'prefix'],
        message: `prefix ${quote(prefix)} is already used in region ${region} by ${itemPath('workspaceClusters', earlier)}; pick another prefix`,
      });
    }
  }
  return issues;
};

/**
 * Clusters without an explicit name get `gp-<env>-ws-<prefix><id>-<region>`; the
 * longest id must still give a valid GKE name, or creation fails halfway.
 */
export const derivedNamesValid: CrossRule = (config) => {
  const parsedEnv = environmentField.safeParse(asRecord(config)?.environment);
  if (!parsedEnv.success) return [];
  const environment: Environment = parsedEnv.data;
  const issues: RuleIssue[] = [];
  for (const { index, fields } of items(config, 'workspaceClusters')) {
    if (fields.name !== undefined) continue;
    const prefix = validString(prefixSchema, fields.prefix);
    const region = validString(regionSchema, fields.region);
    if (prefix === undefined || region === undefined) continue;
    const problem = gkeNameProblem(fullClusterName(environment, prefix, CLUSTER_ID_MAX, region));
    if (problem !== undefined) {
      issues.push({
        path: ['workspaceClusters', index, 'prefix'],
        message: `the derived cluster name is invalid: ${problem}; shorten the prefix or set an explicit name`,
      });
    }
  }
  return issues;
};
