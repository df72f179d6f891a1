/**
 * The checks every action makes on the live state before it plans a write. Each throws a {@link StateCheckError}
 * whose message names the resource and ends with the action's own advice (`fix`) on what to run or change.
 */
import { stagingDomainsOf } from './distribution-config.js';
import { StateCheckError, type Wording, said } from './errors.js';
import type { DistributionState, PolicyState } from './resources.js';

/** Refuses a `PrimaryDistributionId` that names a staging distribution. */
export function checkIsPrimary(primary: DistributionState, fix: Wording): void {
  if (primary.config.Staging) {
    throw new StateCheckError(
      (w) =>
        `${w.param('PrimaryDistributionId')} ${primary.id} is a staging distribution (Staging=true); ${said(fix, w)}`,
    );
  }
}

/** Refuses a `StagingDistributionId` that names a production distribution. */
export function checkIsStaging(staging: DistributionState, fix: Wording): void {
  if (!staging.config.Staging) {
    throw new StateCheckError(
      (w) =>
        `${w.param('StagingDistributionId')} ${staging.id} is not a staging distribution (Staging=false); ` +
        said(fix, w),
    );
  }
}

/** True when the policy routes viewers to this staging distribution (by its `*.cloudfront.net` domain). */
export function routesTo(policy: PolicyState, staging: DistributionState): boolean {
  return stagingDomainsOf(policy.config).includes(staging.domainName);
}

/** Refuses a policy that routes viewers to some other staging distribution. `attachedTo` names the primary, if any. */
export function checkPolicyRoutesTo(
  policy: PolicyState,
  staging: DistributionState,
  fix: Wording,
  attachedTo?: string,
): void {
  if (routesTo(policy, staging)) return;
  const where = attachedTo ? ` attached to primary ${attachedTo}` : '';
  throw new StateCheckError(
    (w) =>
      `continuous deployment policy ${policy.id}${where} routes to [${stagingDomainsOf(policy.config).join(', ')}], ` +
      `not to staging ${staging.id} (${staging.domainName}); ${said(fix, w)}`,
  );
}
