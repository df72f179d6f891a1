/**
 * How a continuous deployment policy routes viewers, read once from its `TrafficConfig`: a header that selects
 * staging, or a weight (with optional session stickiness). The gate's hints and the reviewer variables both use it.
 */
import type { ContinuousDeploymentPolicyConfig } from '@aws-sdk/client-cloudfront';

export type Routing =
  | { type: 'header'; header: string; value: string }
  | { type: 'weight'; weight: number; stickiness?: { idleTTL: number | undefined; maximumTTL: number | undefined } }
  | { type: 'unknown'; trafficType: string };

/** The policy's routing, by its traffic type. */
export function routingOf(policy: ContinuousDeploymentPolicyConfig): Routing {
  const traffic = policy.TrafficConfig;
  if (traffic?.Type === 'SingleHeader') {
    const header = traffic.SingleHeaderConfig;
    return { type: 'header', header: header?.Header ?? '?', value: header?.Value ?? '?' };
  }
  if (traffic?.Type === 'SingleWeight') {
    const { Weight, SessionStickinessConfig: sticky } = traffic.SingleWeightConfig ?? {};
    return {
      type: 'weight',
      weight: Weight ?? 0,
      ...(sticky ? { stickiness: { idleTTL: sticky.IdleTTL, maximumTTL: sticky.MaximumTTL } } : {}),
    };
  }
  return { type: 'unknown', trafficType: traffic?.Type ?? 'none' };
}
