/**
 * Pure edits of CloudFront configs. UpdateDistribution and UpdateContinuousDeploymentPolicy replace the whole
 * config, so every edit round-trips everything that was read and changes exactly one field.
 */
import type { ContinuousDeploymentPolicyConfig, DistributionConfig } from '@aws-sdk/client-cloudfront';

/**
 * The config with `ContinuousDeploymentPolicyId` set: a policy id attaches, `""` detaches. (Leaving the field
 * out means "no change" in SDK v3, so detaching must send the empty string.)
 */
export function withPolicyId(config: DistributionConfig, policyId: string): DistributionConfig {
  return { ...config, ContinuousDeploymentPolicyId: policyId };
}

/** The policy config with `Enabled` set; everything else (staging DNS names, traffic config) kept as read. */
export function withPolicyEnabled(
  config: ContinuousDeploymentPolicyConfig,
  enabled: boolean,
): ContinuousDeploymentPolicyConfig {
  return { ...config, Enabled: enabled };
}

/** The id of the policy attached to a primary, or undefined when none is (CloudFront reports "" for none). */
export function attachedPolicyId(config: DistributionConfig): string | undefined {
  return config.ContinuousDeploymentPolicyId || undefined;
}

/** True when the config uses HTTP/3, which CloudFront continuous deployment does not support. */
export function usesHttp3(config: DistributionConfig): boolean {
  return config.HttpVersion === 'http3' || config.HttpVersion === 'http2and3';
}

/** The staging distribution domain names a policy routes to. */
export function stagingDomainsOf(policy: ContinuousDeploymentPolicyConfig): string[] {
  return policy.StagingDistributionDnsNames?.Items ?? [];
}
