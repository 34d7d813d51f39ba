# Same input contract as a real workspace-cluster module (GKE), so the root
# module ws-deployment generates is identical for both. The sandbox_* inputs are
# test knobs a real module does not have; the root module only passes them when
# the caller sets them as passthrough variables.

variable "project" {
  description = "GCP project id the cluster lives in."
  type        = string
  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.project))
    error_message = "The project must be a GCP project id (6-30 lowercase letters, digits and dashes)."
  }
}

variable "region" {
  description = "GCP region, e.g. europe-west1."
  type        = string
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "The region must look like europe-west1."
  }
}

variable "name" {
  description = "Full GKE cluster name, e.g. gp-prod-ws-eu17-eu-west1."
  type        = string
  validation {
    condition     = length(var.name) <= 40 && can(regex("^[a-z]([-a-z0-9]*[a-z0-9])?$", var.name))
    error_message = "The name must be a valid GKE name: at most 40 lowercase letters, digits and dashes."
  }
}

variable "short_name" {
  description = "Installation short name, e.g. eu17 (registry name and workspace host label)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,19}$", var.short_name))
    error_message = "The short_name must be lowercase letters and digits, starting with a letter."
  }
}

variable "network" {
  description = "VPC network the cluster joins."
  type        = string
}

variable "dns_zone" {
  description = "DNS zone the workspace hosts live under, e.g. gitpod.io."
  type        = string
  validation {
    condition     = can(regex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z]{2,}\\.?$", var.dns_zone))
    error_message = "The dns_zone must be a DNS name such as gitpod.io."
  }
}

variable "cluster_type" {
  description = "Kind of workspace cluster (e.g. gke, k3s)."
  type        = string
}

variable "sandbox_endpoint" {
  description = "Sandbox only: API endpoint to report (e.g. a local test cluster). Default: derived from the name."
  type        = string
  default     = ""
}

variable "sandbox_ca_certificate" {
  description = "Sandbox only: base64 PEM CA to report. Default: a fixed placeholder."
  type        = string
  default     = ""
}

variable "sandbox_apply_seconds" {
  description = "Sandbox only: seconds a resource takes to create, to exercise interrupts."
  type        = number
  default     = 0
  validation {
    condition     = var.sandbox_apply_seconds >= 0 && var.sandbox_apply_seconds <= 600 && floor(var.sandbox_apply_seconds) == var.sandbox_apply_seconds
    error_message = "The sandbox_apply_seconds must be a whole number between 0 and 600."
  }
}

variable "sandbox_fail_with" {
  description = "Sandbox only: when set, apply fails with this message (to exercise error classification)."
  type        = string
  default     = ""
}

variable "sandbox_secret" {
  description = "Sandbox only: a secret passthrough value. Its sha256 (never the value) is kept in the state, so tests can see it reached terraform."
  type        = string
  default     = ""
  sensitive   = true
}
