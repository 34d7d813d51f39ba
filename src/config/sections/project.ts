/** `project:` — the GCP project the workspace clusters live in. */
import * as z from 'zod';
import { configPath } from './paths.js';
import { dnsDomain, gcpProjectId, gcpRegion, gcpResourceName, gcsBucket } from './primitives.js';

const projectMapping = z
  .strictObject({
    id: gcpProjectId().describe('GCP project id, e.g. gitpod-191109.'),
    gcpSACredFile: configPath('file', 'service account key file')
      .optional()
      .describe('Service account key file; relative paths resolve against the config folder.'),
    network: gcpResourceName('vpc network').describe('VPC network the clusters join.'),
    dnsZone: dnsDomain().describe('DNS domain workspace hosts live under, e.g. gitpod.io.'),
    bucket: gcsBucket()
      .optional()
      .describe('Terraform state bucket; required when any cluster uses the gcs backend (the default for gke and k3s).'),
    extraRegions: z
      .array(gcpRegion())
      .default([])
      .describe("GCP regions newer than this build's list of regions, accepted as they are (a region in neither list is refused as a likely typo)."),
  })
  .describe('The GCP project the clusters live in.');

/**
 * `project: gitpod-staging` (the original design's spelling, a plain project id) is
 * shorthand for `project: { id: gitpod-staging }`; what is then still missing is
 * reported key by key, as for a mapping.
 */
export const projectSection = z.preprocess((value) => (typeof value === 'string' ? { id: value } : value), projectMapping);
