/** The CloudFront resources our actions read, as plain data: what a plan is computed from. */
import type { ContinuousDeploymentPolicyConfig, DistributionConfig } from '@aws-sdk/client-cloudfront';

/** A distribution as read, with the ETag needed to update it. */
export interface DistributionState {
  id: string;
  etag: string;
  /** `Deployed` or `InProgress`. */
  status: string;
  domainName: string;
  arn: string;
  /** When the distribution's config last changed (undefined if CloudFront did not say). */
  lastModified?: Date | undefined;
  config: DistributionConfig;
}

/** A continuous deployment policy as read, with the ETag needed to update it. */
export interface PolicyState {
  id: string;
  etag: string;
  config: ContinuousDeploymentPolicyConfig;
}

/** True when CloudFront reports the distribution fully propagated. */
export function isDeployed(d: DistributionState): boolean {
  return d.status === 'Deployed';
}

/** A distribution as one field of a log line: what the person on call compares from one line to the next. */
export function distributionLogFields(d: DistributionState): Record<string, unknown> {
  return {
    id: d.id,
    status: d.status,
    etag: d.etag,
    staging: d.config.Staging ?? false,
    policyId: d.config.ContinuousDeploymentPolicyId || null,
    domainName: d.domainName,
  };
}

/** The staging config a pipeline execution put up for review (enable-CD's StagingDistributionId and StagingETag). */
export interface ReviewedRelease {
  pipelineName: string;
  executionId: string;
  stagingId: string;
  stagingEtag: string;
  /**
   * Whether enable-CD left viewers routed to that staging (its `PolicyEnabled` output): false when the staging served
   * what production serves, so there was no canary to review; undefined when the action reported no such variable.
   */
  routed?: boolean | undefined;
}
