/**
 * promote's pure core: from the live state, decide whether to promote now, wait, or do nothing because the primary
 * already serves the staging config; and summarise what a promotion changes. No I/O here; the plan is logged and
 * unit-tested without mocks.
 */
import type { DistributionState, PolicyState } from '../../shared/domain/resources.js';
import { isDeployed } from '../../shared/domain/resources.js';
import { stagingDomainsOf } from '../../shared/domain/distribution-config.js';
import { StateCheckError } from '../../shared/domain/errors.js';
import { carriesSameConfig, diffConfigs } from './config-diff.js';

/** Everything promote reads before deciding. */
export interface PromoteState {
  primary: DistributionState;
  staging: DistributionState;
  /** The policy attached to the primary; undefined when none is attached. */
  policy: PolicyState | undefined;
}

/** The decision for one read of the state; `reason` is what the operator reads in the log. */
export type PromotePlan =
  | {
      /** The primary already carries the staging's promotable config: nothing to write. */
      kind: 'already-promoted';
      primaryDeployed: boolean;
      reason: string;
    }
  | { kind: 'wait'; inProgress: string[]; reason: string }
  | {
      kind: 'promote';
      /** `<primary ETag>, <staging ETag>`: CloudFront wants both, primary first. */
      ifMatch: string;
      /** What the promotion changes on the primary, from {@link diffConfigs}. */
      changes: string[];
      reason: string;
      /** Something the operator should know but that does not stop the promotion. */
      warning?: string;
    };

/** What the operator runs to put the policy in place, naming the ids this action was given. */
function enableCdFix(state: PromoteState): string {
  return `Run the enable-CD action with PrimaryDistributionId=${state.primary.id} and StagingDistributionId=${state.staging.id} (and the staging stack's ContinuousDeploymentPolicyId), let the reviewer check staging, then approve again.`;
}

/**
 * Refuses parameters that name the wrong kind of distribution. These facts never change for a distribution, and a
 * wrong id must fail even when the two configs happen to be equal, so this runs before the idempotence check.
 */
export function checkDistributionKinds(state: PromoteState): void {
  const { primary, staging } = state;
  if (primary.config.Staging) {
    throw new StateCheckError(
      `PrimaryDistributionId ${primary.id} is a staging distribution (Staging=true); it must be the production distribution that keeps the aliases. Fix PrimaryDistributionId in the UserParameters of promote (and of enable-CD, which must name the same distributions).`,
    );
  }
  if (!staging.config.Staging) {
    throw new StateCheckError(
      `StagingDistributionId ${staging.id} is not a staging distribution (Staging=false); promoting it would copy another production config onto ${primary.id}. Fix StagingDistributionId in the UserParameters of promote and enable-CD: it is the staging stack's distribution (Staging: true).`,
    );
  }
}

/**
 * Refuses to promote a staging distribution that the primary's policy did not route viewers to: the approval was
 * given for what the reviewer saw through that policy.
 */
export function checkPolicyRoutesStaging(state: PromoteState): PolicyState {
  const { primary, staging, policy } = state;
  if (!policy) {
    throw new StateCheckError(
      `primary ${primary.id} has no continuous deployment policy attached, so no viewer was routed to staging ${staging.id} and nothing approved can be promoted. ${enableCdFix(state)}`,
    );
  }
  const domains = stagingDomainsOf(policy.config);
  if (!domains.includes(staging.domainName)) {
    throw new StateCheckError(
      `continuous deployment policy ${policy.id} attached to primary ${primary.id} routes to [${domains.join(', ')}], not to staging ${staging.id} (${staging.domainName}); the approval did not cover this staging distribution. ${enableCdFix(state)}`,
    );
  }
  return policy;
}

/**
 * True when, the policy aside, promote would promote from these distributions: right kinds, configs that differ,
 * both Deployed. The promotion gate's metrics read starts on this, beside the policy read, instead of after it.
 */
export function promotableApartFromPolicy(primary: DistributionState, staging: DistributionState): boolean {
  return (
    !primary.config.Staging &&
    Boolean(staging.config.Staging) &&
    !carriesSameConfig(primary.config, staging.config) &&
    isDeployed(primary) &&
    isDeployed(staging)
  );
}

/**
 * Decides what promote does with the state as read. Order matters:
 * 1. the distribution kinds (wrong parameters must never be reported as success);
 * 2. idempotence: if the primary already carries the staging config there is nothing to promote. This comes before
 *    the policy checks because a promotion leaves the policy disabled, and a later teardown may detach it: a retry
 *    or a re-run after the promotion must still succeed without a write;
 * 3. the policy: attached to the primary and routing to this staging;
 * 4. propagation: never promote while either distribution is InProgress.
 */
export function planPromote(state: PromoteState): PromotePlan {
  checkDistributionKinds(state);
  const { primary, staging } = state;

  if (carriesSameConfig(primary.config, staging.config)) {
    return {
      kind: 'already-promoted',
      primaryDeployed: isDeployed(primary),
      reason: `primary ${primary.id} already carries the config of staging ${staging.id} (a promotion already happened, or nothing changed)`,
    };
  }

  const policy = checkPolicyRoutesStaging(state);

  const inProgress = [primary, staging].filter((d) => !isDeployed(d)).map((d) => d.id);
  if (inProgress.length) {
    return {
      kind: 'wait',
      inProgress,
      reason: `never promote over a half-propagated config: ${inProgress.join(' and ')} still InProgress`,
    };
  }

  const changes = diffConfigs(primary.config, staging.config);
  return {
    kind: 'promote',
    ifMatch: `${primary.etag}, ${staging.etag}`,
    changes,
    reason: `staging ${staging.id} differs from primary ${primary.id} in ${changes.length} way(s); policy ${policy.id} routes to it`,
    ...(policy.config.Enabled
      ? {}
      : {
          warning: `policy ${policy.id} is disabled, so no viewer is being routed to staging right now; promoting anyway because the approval covers the staging config`,
        }),
  };
}

/**
 * The change lines joined with "; ", cut at a whole line so that the JSON-encoded result stays within `maxChars`
 * (it travels in the continuation token, at most 2048 characters in all), naming how many lines were left out.
 */
export function summarizeChanges(changes: string[], maxChars: number): string {
  if (changes.length === 0) return 'none';
  const fits = (text: string) => JSON.stringify(text).length <= maxChars;
  const all = changes.join('; ');
  if (fits(all)) return all;
  for (let kept = changes.length - 1; kept > 0; kept--) {
    const text = `${changes.slice(0, kept).join('; ')}; (+${changes.length - kept} more, see the promote log)`;
    if (fits(text)) return text;
  }
  return `(${changes.length} changes, see the promote log)`;
}

/** True when the policy attached to the primary would route viewers to staging right now. */
export function policyEnabled(state: PromoteState): boolean {
  return state.policy?.config.Enabled === true;
}
