/**
 * Curated list of Terraform + Google Cloud errors that a bounded retry may cure
 * (network blips, API rate limits, backend hiccups, a state lock held for a
 * moment). Modelled on Terragrunt's default retryable errors, rewritten for GCP.
 * Anything not listed is permanent: syntax errors, invalid credentials,
 * permission denied and hard quotas need a human, and retrying them only delays
 * the failure.
 */

interface TransientPattern {
  /** Stable name, reported in events and error details. */
  name: string;
  pattern: RegExp;
  /** Why retrying helps. */
  why: string;
}

/**
 * Matched against the whole output (`[\s\S]` spans lines, since Terraform wraps
 * diagnostics over several lines). Order matters only for the reported name.
 */
export const TRANSIENT_PATTERNS: readonly TransientPattern[] = [
  { name: 'rate-limit-429', pattern: /googleapi: Error 429\b|\b429 Too Many Requests\b/i, why: 'the API is throttling requests' },
  {
    name: 'rate-limit-exceeded',
    pattern: /\b(?:rateLimitExceeded|userRateLimitExceeded|RATE_LIMIT_EXCEEDED)\b/,
    why: 'per-user or per-project request rate limit',
  },
  {
    name: 'rate-quota-per-interval',
    pattern: /Quota exceeded for quota (?:metric|group)[^\n]*?per (?:minute|second|100 seconds|user per minute)/i,
    why: 'a per-minute request quota refills by itself',
  },
  { name: 'googleapi-500', pattern: /googleapi: Error 500\b/, why: 'Google API internal error' },
  { name: 'googleapi-502', pattern: /googleapi: Error 502\b|\b502 Bad Gateway\b/, why: 'bad gateway in front of the API' },
  { name: 'googleapi-503', pattern: /googleapi: Error 503\b|\b503 Service Unavailable\b/, why: 'the API is briefly unavailable' },
  { name: 'googleapi-504', pattern: /googleapi: Error 504\b|\b504 Gateway Time-?out\b/i, why: 'the API gateway timed out' },
  { name: 'backend-error', pattern: /\bbackendError\b/, why: 'Google reports a backend error' },
  {
    name: 'operation-aborted',
    pattern: /googleapi: Error 409:[^\n]*(?:, aborted\b|operation was aborted)/i,
    why: 'Google aborted a conflicting concurrent operation',
  },
  {
    name: 'gke-operation-in-progress',
    pattern: /Operation operation-[\w-]+ is currently [^\n]*(?:Please wait and try again|try again once it is done)/i,
    why: 'another operation holds the cluster',
  },
  {
    name: 'resource-in-use',
    pattern: /\bresourceInUseByAnotherResource\b/,
    why: 'a dependent resource is still being deleted (typical during destroy)',
  },
  {
    name: 'zone-resource-exhausted',
    pattern: /\bZONE_RESOURCE_POOL_EXHAUSTED(?:_WITH_DETAILS)?\b|does not have enough resources available to fulfill the request/,
    why: 'the zone is temporarily out of capacity',
  },
  { name: 'connection-reset', pattern: /connection reset by peer/i, why: 'the connection was reset' },
  { name: 'connection-refused', pattern: /dial tcp [^\n]*: connect: connection refused/i, why: 'the endpoint refused a connection' },
  { name: 'tls-handshake-timeout', pattern: /TLS handshake timeout/i, why: 'TLS handshake did not finish in time' },
  { name: 'io-timeout', pattern: /\bi\/o timeout\b/i, why: 'a network read or write timed out' },
  {
    name: 'client-timeout',
    pattern: /Client\.Timeout exceeded while awaiting headers|request canceled while waiting for connection/,
    why: 'an HTTP client timed out',
  },
  { name: 'context-deadline', pattern: /context deadline exceeded/i, why: 'a request deadline expired' },
  { name: 'unexpected-eof', pattern: /\bunexpected EOF\b/, why: 'a connection closed mid-response' },
  {
    name: 'http2-goaway',
    pattern: /http2: server sent GOAWAY|stream error: stream ID \d+; (?:INTERNAL_ERROR|REFUSED_STREAM)/,
    why: 'the server closed an HTTP/2 connection',
  },
  {
    name: 'dns-lookup',
    pattern: /dial tcp: lookup [^\s:]+[^\n]*?: (?:no such host|server misbehaving|Temporary failure in name resolution|i\/o timeout)/i,
    why: 'name resolution failed',
  },
  {
    name: 'state-lock',
    pattern: /Error acquiring the state lock/,
    why: 'another run holds the state lock; it is usually released within moments (persisting locks exhaust the retries)',
  },
  {
    name: 'state-load-network',
    pattern: /(?:Failed to load state|Error loading state|Failed to get existing workspaces|Error refreshing state)[\s\S]*?(?:timeout|connection reset|EOF|Error 50[0234]|no such host)/i,
    why: 'the state backend was unreachable for a moment',
  },
  {
    name: 'provider-query-network',
    pattern: /Failed to query available provider packages[\s\S]*?(?:timeout|timed out|connection reset|no such host|EOF|connection refused|50[234]|429|request failed after \d+ attempts)/i,
    why: 'the provider registry was unreachable',
  },
  {
    name: 'provider-install-network',
    pattern: /(?:Failed to install provider|Error installing provider)[\s\S]*?(?:timeout|connection reset|unexpected EOF|50[234])/i,
    why: 'a provider download broke off',
  },
  {
    name: 'module-download-network',
    pattern: /(?:Failed to download module|Could not download module)[\s\S]*?(?:timeout|connection reset|unexpected EOF|error: 429|error: 50[234]|Could not resolve host)/i,
    why: 'a module download broke off',
  },
];

interface Classification {
  transient: boolean;
  /** Name of the first matching transient pattern. */
  pattern?: string;
}

/** Says whether Terraform's output shows an error worth retrying. */
export function classifyTerraformError(output: string): Classification {
  for (const entry of TRANSIENT_PATTERNS) {
    if (entry.pattern.test(output)) return { transient: true, pattern: entry.name };
  }
  return { transient: false };
}
