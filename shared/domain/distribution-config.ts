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

/** True when an origin domain is the S3 REST endpoint of `bucket` (global or regional), as OAC origins are. */
export function isBucketOrigin(domainName: string, bucket: string): boolean {
  const escaped = bucket.replace(/[.]/g, '\\.');
  return new RegExp(`^${escaped}\\.s3([.-][a-z0-9-]+)?\\.amazonaws\\.com(\\.cn)?$`).test(domainName);
}

/**
 * The object a viewer of `/` gets from the bucket origin: `<OriginPath>/<DefaultRootObject>` without the leading
 * slash. Undefined when the config serves no default root object or has no origin on that bucket.
 */
export function rootObjectKey(config: DistributionConfig, bucket: string): string | undefined {
  const root = config.DefaultRootObject;
  const origin = config.Origins?.Items?.find((o) => o.DomainName && isBucketOrigin(o.DomainName, bucket));
  if (!root || !origin) return undefined;
  const path = (origin.OriginPath ?? '').replace(/^\/+|\/+$/g, '');
  return path ? `${path}/${root}` : root;
}
