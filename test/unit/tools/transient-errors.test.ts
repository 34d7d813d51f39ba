import { describe, expect, it } from 'vitest';
import { TRANSIENT_PATTERNS, classifyTerraformError } from '../../../src/tools/terraform/transient-errors.js';

/** One realistic error per pattern, as Terraform / the Google provider print it. */
const SAMPLES: Record<string, string> = {
  'rate-limit-429':
    'Error: Error creating Network: googleapi: Error 429: Too many requests, please slow down.',
  'rate-limit-exceeded':
    'Error: Error reading Project Service: googleapi: Error 403: Rate Limit Exceeded, rateLimitExceeded',
  'rate-quota-per-interval':
    "Error: Error when reading or editing Subnetwork: googleapi: Error 403: Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'compute.googleapis.com' for consumer 'project_number:123'., rateLimited",
  'googleapi-500':
    'Error: error creating NodePool: googleapi: Error 500: Internal error encountered., internalError',
  'googleapi-502':
    'Error: Error reading ContainerCluster "projects/p/locations/europe-west1/clusters/c": googleapi: Error 502: Bad Gateway',
  'googleapi-503':
    'Error: Error waiting for creating GKE cluster: googleapi: Error 503: The service is currently unavailable.',
  'googleapi-504':
    'Error: Error creating Router: googleapi: Error 504: Deadline exceeded, gatewayTimeout',
  'backend-error':
    'Error: Error waiting to create Subnetwork: Error waiting for Creating Subnetwork: Internal error. Please try again or contact Google Support. (Code: backendError)',
  'operation-aborted':
    'Error: Error updating NodePool: googleapi: Error 409: The operation was aborted due to a concurrent change., aborted',
  'gke-operation-in-progress':
    'Error: googleapi: Error 400: Operation operation-1700000000000-abcdef is currently upgrading cluster gp-prod-ws-eu17-eu-west1. Please wait and try again once it is done., failedPrecondition',
  'resource-in-use':
    "Error: Error when reading or editing Network: googleapi: Error 400: The network resource 'projects/p/global/networks/ws' is already being used by 'projects/p/global/firewalls/gke-x', resourceInUseByAnotherResource",
  'zone-resource-exhausted':
    "Error: Error waiting for creating GKE NodePool: Try a different location, or try again later: Google Compute Engine: Instance 'gke-x' creation failed: The zone 'projects/p/zones/europe-west1-b' does not have enough resources available to fulfill the request. (resource type:compute) ZONE_RESOURCE_POOL_EXHAUSTED.",
  'connection-reset':
    'Error: Get "https://container.googleapis.com/v1/projects/p/locations/europe-west1/clusters/c?alt=json": read tcp 10.0.0.2:51234->142.250.1.95:443: read: connection reset by peer',
  'connection-refused':
    'Error: Post "https://34.1.2.3/api/v1/namespaces": dial tcp 34.1.2.3:443: connect: connection refused',
  'tls-handshake-timeout':
    'Error: Get "https://compute.googleapis.com/compute/v1/projects/p/global/networks/ws?alt=json": net/http: TLS handshake timeout',
  'io-timeout':
    'Error: Post "https://oauth2.googleapis.com/token": dial tcp 142.250.74.106:443: i/o timeout',
  'client-timeout':
    'Error: Get "https://dns.googleapis.com/dns/v1/projects/p/managedZones/z?alt=json": net/http: request canceled (Client.Timeout exceeded while awaiting headers)',
  'context-deadline':
    'Error: error waiting for GKE operation: context deadline exceeded',
  'unexpected-eof':
    'Error: Get "https://storage.googleapis.com/storage/v1/b/state?alt=json": unexpected EOF',
  'http2-goaway':
    'Error: Error reading Instance Group Manager: Get "https://compute.googleapis.com/...": http2: server sent GOAWAY and closed the connection; LastStreamID=1999, ErrCode=NO_ERROR, debug=""',
  'dns-lookup':
    'Error: Get "https://container.googleapis.com/v1/projects/p/locations/r/clusters/c": dial tcp: lookup container.googleapis.com on 127.0.0.53:53: server misbehaving',
  'state-lock': [
    'Error: Error acquiring the state lock',
    '',
    'Error message: writing "gs://gitpod-tf-state/ws/default.tflock" failed: googleapi: Error 412: At least one of the pre-conditions you specified did not hold., conditionNotMet',
    'Lock Info:',
    '  ID:        1700000000000000',
  ].join('\n'),
  'state-load-network': [
    'Error: Failed to load state: Failed to open state file at gs://gitpod-tf-state/ws/default.tfstate:',
    'Get "https://storage.googleapis.com/gitpod-tf-state/ws/default.tfstate": read tcp 10.0.0.2:443: read: operation timed out (timeout)',
  ].join('\n'),
  'provider-query-network': [
    'Error: Failed to query available provider packages',
    '',
    'Could not retrieve the list of available versions for provider hashicorp/google: could not query provider registry for registry.terraform.io/hashicorp/google: the request failed after 2 attempts, please try again later',
  ].join('\n'),
  'provider-install-network': [
    'Error: Failed to install provider',
    '',
    'Error while installing hashicorp/google v5.10.0: stream error: read: operation timed out (timeout)',
  ].join('\n'),
  'module-download-network': [
    'Error: Failed to download module',
    '',
    'Could not download module "cluster" source code from "git::https://github.com/gitpod-io/ops.git": error downloading: fatal: unable to access: Could not resolve host: github.com',
  ].join('\n'),
};

describe('classifyTerraformError: transient patterns', () => {
  it('has a sample for every pattern (and no sample without a pattern)', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(TRANSIENT_PATTERNS.map((p) => p.name).sort());
  });

  for (const { name } of TRANSIENT_PATTERNS) {
    it(`recognises ${name}`, () => {
      const sample = SAMPLES[name];
      expect(sample, `missing sample for ${name}`).toBeDefined();
      const result = classifyTerraformError(sample!);
      expect(result.transient).toBe(true);
      // The sample must be caught by its own pattern, not by a neighbour.
      expect(TRANSIENT_PATTERNS.find((p) => p.name === name)!.pattern.test(sample!)).toBe(true);
    });
  }
});

describe('classifyTerraformError: permanent errors', () => {
  const PERMANENT: Array<[string, string]> = [
    ['hcl syntax error', 'Error: Unclosed configuration block\n\n  on main.tf line 1, in resource "x" "y":\n   1: resource "x" "y" {\n\nThere is no closing brace for this block before the end of the file.'],
    ['json syntax error', 'Error: Unclosed object\n\nNo closing brace was found for this JSON object.'],
    ['unsupported argument', 'Error: Unsupported argument\n\n  on main.tf.json line 3: An argument named "nodes" is not expected here.'],
    ['invalid credentials', 'Error: Attempted to load application default credentials since neither `credentials` nor `access_token` was set in the provider block. No credentials loaded. To use your gcloud credentials, run \'gcloud auth application-default login\'.'],
    ['invalid grant', 'Error: Post "https://oauth2.googleapis.com/token": oauth2: cannot fetch token: 400 Bad Request\nResponse: {"error":"invalid_grant","error_description":"Invalid JWT Signature."}'],
    ['permission denied', "Error: Error creating Network: googleapi: Error 403: Required 'compute.networks.create' permission for 'projects/p/global/networks/ws', forbidden"],
    ['hard quota', "Error: Error waiting for creating GKE cluster: Insufficient regional quota to satisfy request: resource \"CPUS\": request requires '48.0' and is short '24.0'. project has a quota of '24.0' with '24.0' available."],
    ['already exists', "Error: googleapi: Error 409: Already exists: projects/p/locations/europe-west1/clusters/gp-prod-ws-eu17-eu-west1., alreadyExists"],
    ['provider not found', 'Error: Failed to query available provider packages\n\nCould not retrieve the list of available versions for provider hashicorp/gogle: provider registry registry.terraform.io does not have a provider named registry.terraform.io/hashicorp/gogle'],
    ['validation failure', 'Error: Invalid value for variable\n\nThe region must look like europe-west1.'],
    ['empty output', ''],
  ];
  it.each(PERMANENT)('treats %s as permanent', (_label, output) => {
    expect(classifyTerraformError(output)).toEqual({ transient: false });
  });
});

describe('classifyTerraformError: quotas', () => {
  // Only a per-interval request quota refills by itself; a daily or absolute quota
  // stays exhausted for hours (or until a human raises it), so retrying only delays the failure.
  it('treats a daily quota as permanent', () => {
    const daily =
      "Error: Error creating Subnetwork: googleapi: Error 403: Quota exceeded for quota metric 'Write requests' and limit 'Write requests per day' of service 'compute.googleapis.com' for consumer 'project_number:123'., dailyLimitExceeded";
    expect(classifyTerraformError(daily)).toEqual({ transient: false });
  });

  it('treats a per-project quota group limit as permanent', () => {
    const hard =
      "Error: googleapi: Error 403: Quota exceeded for quota group 'default' and limit 'Clusters per project' of service 'container.googleapis.com' for consumer 'project_number:123'., quotaExceeded";
    expect(classifyTerraformError(hard)).toEqual({ transient: false });
  });

  it.each([
    ['per minute', "limit 'Read requests per minute'"],
    ['per second', "limit 'Operations per second'"],
    ['per 100 seconds', "limit 'Queries per 100 seconds'"],
    ['per user per minute', "limit 'Read requests per user per minute'"],
  ])('treats a quota %s as transient', (_label, limit) => {
    const output = `Error: googleapi: Error 403: Quota exceeded for quota metric 'Reads' and ${limit} of service 'compute.googleapis.com' for consumer 'project_number:123'., quotaExceeded`;
    expect(classifyTerraformError(output)).toMatchObject({ transient: true, pattern: 'rate-quota-per-interval' });
  });
});
