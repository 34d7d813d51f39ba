/** Rules about where Terraform state lives. */
import { asList, asRecord, type CrossRule } from './rule.js';

/** Cluster types whose state goes to gcs unless `terraform.backend` says otherwise. */
const GCS_BY_DEFAULT = new Set(['gke', 'k3s']);

/** A gcs backend (explicit, or the gke/k3s default) needs `project.bucket`. */
export const bucketForGcsBackend: CrossRule = (config) => {
  const root = asRecord(config);
  const project = asRecord(root?.project);
  if (!project || project.bucket !== undefined) return [];
  const backendType = asRecord(asRecord(root?.terraform)?.backend)?.type;
  let reason: string | undefined;
  if (backendType === 'gcs') reason = 'terraform.backend.type is gcs';
  else if (backendType === undefined) {
    const users = asList(root?.workspaceClusters).flatMap((item, index) => {
      const type = asRecord(item)?.type ?? 'gke';
      return typeof type === 'string' && GCS_BY_DEFAULT.has(type) ? [`workspaceClusters[${index}] (${type})`] : [];
    });
    if (users.length > 0) reason = `${users.join(', ')} use the gcs backend, the default for gke and k3s`;
  }
  if (reason === undefined) return [];
  return [{ path: ['project', 'bucket'], message: `missing required key "bucket": ${reason}; set project.bucket or terraform.backend.type local or pg` }];
};
