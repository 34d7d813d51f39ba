# The output contract every workspace-cluster module fulfils (see
# src/tools/terraform/generator.ts CLUSTER_OUTPUTS).

output "cluster_name" {
  description = "Full GKE cluster name."
  value       = terraform_data.cluster.output.name
}

output "short_name" {
  description = "Installation short name."
  value       = terraform_data.cluster.output.short_name
}

output "region" {
  description = "Region the cluster runs in."
  value       = terraform_data.cluster.output.region
}

output "endpoint" {
  description = "Kubernetes API endpoint (IP or host)."
  value       = local.endpoint
  sensitive   = true
  depends_on  = [terraform_data.slow]
}

output "ca_certificate" {
  description = "Base64 PEM of the cluster CA."
  value       = local.ca_certificate
  sensitive   = true
}

output "ws_manager_host" {
  description = "Host name ws-manager is reachable at for meta clusters."
  value       = terraform_data.dns.output.ws_manager_host
}

output "workspace_host" {
  description = "Wildcard host of the workspaces."
  value       = terraform_data.dns.output.workspace_host
}
