/**
 * CloudFront operations with ETag handling. Every read returns the resource with the ETag it was read at; every
 * write sends that ETag in `If-Match`; apply-plan.ts re-reads and re-plans when another writer got there
 * first (`PreconditionFailed`, HTTP 412 — which the SDK's own retries do not cover).
 */
import {
  type ContinuousDeploymentPolicyConfig,
  DeleteContinuousDeploymentPolicyCommand,
  type DistributionConfig,
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
  UpdateDistributionWithStagingConfigCommand,
} from '@aws-sdk/client-cloudfront';
import { cloudFront } from './clients/cloudfront.js';
import type { DistributionState, PolicyState } from '../domain/resources.js';
import { awsCall, awsErrorOf } from './call.js';

function missing(operation: string, resource: string, what: string): Error {
  return new Error(`${operation} on ${resource} returned no ${what}`);
}

/** Reads a distribution (GetDistribution) with its ETag, status, domain name and ARN. */
export async function readDistribution(id: string): Promise<DistributionState> {
  const resource = `distribution ${id}`;
  const out = await awsCall('GetDistribution', resource, () =>
    cloudFront().send(new GetDistributionCommand({ Id: id })),
  );
  const d = out.Distribution;
  if (!out.ETag || !d?.DistributionConfig || !d.Status || !d.DomainName || !d.ARN)
    throw missing('GetDistribution', resource, 'ETag, status, domain name, ARN or config');
  return {
    id,
    etag: out.ETag,
    status: d.Status,
    domainName: d.DomainName,
    arn: d.ARN,
    lastModified: d.LastModifiedTime,
    config: d.DistributionConfig,
  };
}

/** Reads a distribution; undefined when it does not exist (a staging torn down since). */
export async function readDistributionIfExists(id: string): Promise<DistributionState | undefined> {
  try {
    return await readDistribution(id);
  } catch (err) {
    if (awsErrorOf(err).name === 'NoSuchDistribution') return undefined;
    throw err;
  }
}

/** Reads a continuous deployment policy with its ETag. */
export async function readPolicy(id: string): Promise<PolicyState> {
  const resource = `continuous deployment policy ${id}`;
  const out = await awsCall('GetContinuousDeploymentPolicy', resource, () =>
    cloudFront().send(new GetContinuousDeploymentPolicyCommand({ Id: id })),
  );
  const config = out.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig;
  if (!out.ETag || !config) throw missing('GetContinuousDeploymentPolicy', resource, 'ETag or config');
  return { id, etag: out.ETag, config };
}

/** Replaces a distribution's config (UpdateDistribution, `If-Match` the ETag it was read at). Returns the new ETag. */
export async function writeDistributionConfig(current: DistributionState, config: DistributionConfig): Promise<string> {
  const out = await awsCall('UpdateDistribution', `distribution ${current.id}`, () =>
    cloudFront().send(
      new UpdateDistributionCommand({ Id: current.id, IfMatch: current.etag, DistributionConfig: config }),
    ),
  );
  return out.ETag ?? '';
}

/**
 * Replaces a policy's config (UpdateContinuousDeploymentPolicy, `If-Match` the ETag it was read at). Returns the new
 * ETag.
 */
export async function writePolicyConfig(
  current: PolicyState,
  config: ContinuousDeploymentPolicyConfig,
): Promise<string> {
  const out = await awsCall('UpdateContinuousDeploymentPolicy', `continuous deployment policy ${current.id}`, () =>
    cloudFront().send(
      new UpdateContinuousDeploymentPolicyCommand({
        Id: current.id,
        IfMatch: current.etag,
        ContinuousDeploymentPolicyConfig: config,
      }),
    ),
  );
  return out.ETag ?? '';
}

/** True when a failure is CloudFront's stale-ETag answer. */
export function isPreconditionFailed(err: unknown): boolean {
  const { name, httpStatus } = awsErrorOf(err);
  return name === 'PreconditionFailed' || httpStatus === 412;
}

/** True when CloudFront says the policy does not exist (deleted by an earlier run, or never created). */
export function isNoSuchPolicy(err: unknown): boolean {
  return awsErrorOf(err).name === 'NoSuchContinuousDeploymentPolicy';
}

/** True when CloudFront refuses to delete a policy that a distribution still references. */
export function isPolicyInUse(err: unknown): boolean {
  return awsErrorOf(err).name === 'ContinuousDeploymentPolicyInUse';
}

/** Reads a policy with its ETag; undefined when it no longer exists, so a re-run after a delete is a no-op. */
export async function readPolicyIfExists(id: string): Promise<PolicyState | undefined> {
  try {
    return await readPolicy(id);
  } catch (err) {
    if (isNoSuchPolicy(err)) return undefined;
    throw err;
  }
}

/** Deletes a policy (DeleteContinuousDeploymentPolicy, `If-Match` the ETag it was read at). */
export async function deletePolicy(current: PolicyState): Promise<void> {
  await awsCall('DeleteContinuousDeploymentPolicy', `continuous deployment policy ${current.id}`, () =>
    cloudFront().send(new DeleteContinuousDeploymentPolicyCommand({ Id: current.id, IfMatch: current.etag })),
  );
}

/**
 * UpdateDistributionWithStagingConfig: the staging's config onto the primary. `ifMatch` carries both ETags, primary
 * first (`"<primary ETag>, <staging ETag>"`). Returns the primary's new ETag. Promote's promotion and the revert's
 * promotion back both make it.
 */
export async function promoteStagingConfig(change: {
  primaryId: string;
  stagingId: string;
  ifMatch: string;
}): Promise<string | undefined> {
  const out = await awsCall(
    'UpdateDistributionWithStagingConfig',
    `primary distribution ${change.primaryId} (from staging ${change.stagingId})`,
    () =>
      cloudFront().send(
        new UpdateDistributionWithStagingConfigCommand({
          Id: change.primaryId,
          StagingDistributionId: change.stagingId,
          IfMatch: change.ifMatch,
        }),
      ),
  );
  return out.ETag;
}
