/**
 * Retry settings shared by every client. `standard` mode retries throttling (`Throttling`, "Rate exceeded") and
 * transient errors with exponential backoff and jitter. `adaptive` would add a client-side rate limiter, but it only
 * learns within one process, and one invocation of our actions makes a handful of calls: it would add nothing but
 * an experimental code path. Five attempts ride out CloudFront's low control-plane rate without approaching the
 * Lambda timeout.
 */
export const RETRY = { retryMode: 'standard', maxAttempts: 5 } as const;
