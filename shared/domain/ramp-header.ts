/**
 * The header routing a ramp starts from and goes back to (`RampHeader`): enable-cd enables a ramped pipeline's policy
 * on it, the ramp's rollback and promote after a ramped promotion put the policy back on it. One parser and one shape
 * for the three functions.
 */
import { InputError } from './errors.js';
import { describe, present } from './params.js';
import type { PolicyState } from './resources.js';

/** A header routing: requests carrying `header: value` reach the staging. */
export interface StagingHeader {
  header: string;
  value: string;
}

/**
 * The header name CloudFront accepts for header routing (its aws-cf-cd- prefix) and a plain value: the patterns of the
 * staging templates' StagingHeaderName and StagingHeaderValue (infra/staging-header.yml).
 */
const RAMP_HEADER = /^(aws-cf-cd-[A-Za-z0-9-]+): ?([A-Za-z0-9._-]+)$/;

/**
 * Reads `RampHeader`: `"<name>: <value>"`, such as `"aws-cf-cd-staging: true"` (the staging templates' default), or
 * absent / `""` when no ramp owns the weights. Throws an InputError naming the field.
 */
export function parseRampHeader(raw: unknown, field = 'RampHeader'): StagingHeader | undefined {
  if (!present(raw)) return undefined;
  const match = typeof raw === 'string' ? RAMP_HEADER.exec(raw.trim()) : null;
  if (!match)
    throw new InputError(
      field,
      'must be a header and its value such as "aws-cf-cd-staging: true" (the name starts with aws-cf-cd-, ' +
        `CloudFront's rule; the value of letters, digits and . _ -), or "" with no ramp; got ${describe(raw)}`,
    );
  return { header: match[1] as string, value: match[2] as string };
}

/** The policy's config enabled on header routing `header: value`; everything else is sent as read. */
export function withHeaderRouting(config: PolicyState['config'], header: StagingHeader): PolicyState['config'] {
  return {
    ...config,
    Enabled: true,
    TrafficConfig: { Type: 'SingleHeader', SingleHeaderConfig: { Header: header.header, Value: header.value } },
  };
}
