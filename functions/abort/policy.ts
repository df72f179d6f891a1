/**
 * The two policy operations abort needs beyond shared/cloudfront.ts: a read that tolerates a policy already deleted,
 * and the delete itself (with the fresh ETag in `If-Match`).
 */
import { DeleteContinuousDeploymentPolicyCommand } from '@aws-sdk/client-cloudfront';
import { cloudFront } from '../../shared/clients/cloudfront.js';
import { readPolicy, type PolicyState } from '../../shared/cloudfront.js';
import { awsCall, awsErrorOf } from '../../shared/errors.js';

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
