/**
 * `metaClusters:` and `workspaceClusters:`. Rules that span clusters (names
 * unique, governedBy exists, derived names valid) live in `../rules/`.
 */
import * as z from 'zod';
import { bridgeAccessSchemaWith, bridgeRegionSchema, metaClusterAccessShape } from '../../registry/config.js';
import { configPath } from './paths.js';
import { clusterPrefix, gcpRegion, gkeName } from './primitives.js';

const CLUSTER_TYPES = ['gke', 'k3s', 'sandbox'] as const;

const META_CLUSTER_TYPES = ['gke', 'sandbox'] as const;

const metaClusterSchema = z.strictObject({
  name: gkeName().describe('GKE name of the meta cluster.'),
  region: gcpRegion().describe('GCP region, e.g. europe-west1.'),
  type: z
    .enum(META_CLUSTER_TYPES)
    .default('gke')
    .describe('gke: reach its ws-manager-bridge as configured below; sandbox: the embedded registry of the sandbox.'),
  ...metaClusterAccessShape,
  bridge: bridgeAccessSchemaWith((what) => configPath('file', what))
    .optional()
    .describe('Direct access to the bridge (address, tls: ca, cert, key files), instead of a port-forward.'),
  kubeconfig: configPath('file', 'kubeconfig').optional().describe('Kubeconfig of the meta cluster (for the port-forward to ws-manager-bridge).'),
  bridgeRegion: bridgeRegionSchema
    .optional()
    .describe('Region sent to this meta cluster for every workspace cluster (europe, north-america, south-america, africa, asia, or "" = any); wins over the workspace cluster\'s.'),
});

const workspaceClusterSchema = z.strictObject({
  name: gkeName().optional().describe('Explicit full cluster name; wins over the derived gp-<env>-ws-<prefix><id>-<region>.'),
  region: gcpRegion().describe('GCP region, e.g. europe-west1.'),
  prefix: clusterPrefix().describe('Short-name letters (eu in eu17): 1–8 lowercase letters, unique per region.'),
  governedBy: gkeName().describe('Name of the meta cluster that governs this cluster.'),
  create: z.boolean().default(true).describe('Create the cluster (false: it exists already).'),
  type: z.enum(CLUSTER_TYPES).default('gke').describe('Cluster kind: gke, k3s or sandbox.'),
  valuesFiles: z
    .array(configPath('file', 'values file'))
    .default([])
    .describe('Extra Helm values files; relative paths resolve against the config folder.'),
  bridgeRegion: bridgeRegionSchema
    .optional()
    .describe('Region registered with the bridges (europe, north-america, south-america, africa, asia, or "" = any); default: derived from region.'),
});

export const metaClustersSection = z
  .array(metaClusterSchema)
  .min(1, { error: 'at least one meta cluster is required' })
  .describe('Meta clusters: every workspace cluster registers with each of them.');

export const workspaceClustersSection = z
  .array(workspaceClusterSchema)
  .min(1, { error: 'at least one workspace cluster is required' })
  .describe('Workspace clusters to create.');
