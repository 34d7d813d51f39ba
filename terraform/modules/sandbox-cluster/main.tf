# A stand-in for a GKE workspace cluster that needs no provider download:
# only the built-in terraform_data resource and the local-exec provisioner.
# Applying it takes a few hundred milliseconds; its outputs have the shapes a
# real cluster module returns, so every later step sees realistic values.

terraform {
  required_version = ">= 1.4"
}

locals {
  zone = trimsuffix(var.dns_zone, ".")
  # Deterministic, documentation-range address (RFC 5737) derived from the name.
  name_hash = sha256(var.name)
  endpoint = var.sandbox_endpoint != "" ? var.sandbox_endpoint : format(
    "203.0.113.%d", parseint(substr(local.name_hash, 0, 2), 16) % 254 + 1
  )
  ca_certificate = var.sandbox_ca_certificate != "" ? var.sandbox_ca_certificate : base64encode(
    "-----BEGIN CERTIFICATE-----\nsandbox-${var.name}-${substr(local.name_hash, 0, 16)}\n-----END CERTIFICATE-----\n"
  )
}

# The "cluster": its input fields are what a real module sends to the GKE API.
resource "terraform_data" "cluster" {
  input = {
    project      = var.project
    region       = var.region
    name         = var.name
    short_name   = var.short_name
    network      = var.network
    cluster_type = var.cluster_type
  }

  lifecycle {
    precondition {
      condition     = var.sandbox_fail_with == ""
      error_message = var.sandbox_fail_with
    }
  }
}

# The DNS records a real module creates for ws-manager and the workspaces.
resource "terraform_data" "dns" {
  input = {
    zone            = local.zone
    ws_manager_host = "ws-${var.short_name}.${local.zone}"
    workspace_host  = "*.ws-${var.short_name}.${local.zone}"
    cluster         = terraform_data.cluster.id
  }
}

# A slow resource, only when asked for: `sleep` runs directly (interpreter argv,
# no shell) and terraform cancels it on SIGINT like a provider call. It comes
# after the cluster, like a real node pool, so an interrupted apply always
# leaves a cluster that exists and a node pool that does not.
resource "terraform_data" "slow" {
  count            = var.sandbox_apply_seconds > 0 ? 1 : 0
  triggers_replace = [var.name]
  depends_on       = [terraform_data.cluster]

  provisioner "local-exec" {
    interpreter = ["sleep"]
    command     = tostring(var.sandbox_apply_seconds)
  }
}

# Proof that a secret variable (passed as TF_VAR_, never written to a file) reached the module:
# its digest, not the value, lands in the state.
resource "terraform_data" "secret_digest" {
  count = nonsensitive(var.sandbox_secret != "") ? 1 : 0
  input = nonsensitive(sha256(var.sandbox_secret))
}
