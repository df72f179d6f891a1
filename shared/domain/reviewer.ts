/**
 * What the reviewer is told about a staged release: the output variables the approval's CustomData references, read
 * the same way by enable-CD (its outputs) and by cfcd status.
 */
import { fullChangeList, rankedChanges, summarizeForReviewer } from './config-diff.js';
import type { DistributionState, PolicyState } from './resources.js';
import { routingOf } from './traffic-config.js';

/**
 * `PromoteChanges`' budget. It is shown in the approval's CustomData next to the commit, the staging ETag and how to
 * reach staging. CodePipeline documents 1000 characters for a configuration value as written (variable syntax
 * included) and 100 KB for the resolved configuration, but not how much of a long resolved CustomData the console and
 * the SNS notification show: 400 keeps the resolved CustomData under 1000 characters.
 */
export const PROMOTE_CHANGES_MAX_CHARS = 400;

/**
 * `PromoteChangesAll`'s budget, JSON-encoded bytes: CodePipeline allows 122,880 bytes for all of an action's output
 * variables together; the others take well under 3,000.
 */
export const PROMOTE_CHANGES_ALL_MAX_BYTES = 100_000;

/**
 * Where the reviewer finds every change when `PromoteChanges` is cut: enable-cd's output variable, which the console
 * shows on the action's execution details (the approval's stage, the action right before it), and `cfcd status`.
 */
export const FULL_CHANGE_LIST_AT = "enable-cd's output variable PromoteChangesAll (its action details), or cfcd status";

/**
 * Output variables for the reviewer (the approval's CustomData references them) and for the release guard.
 * `PromoteChanges` is the summary the approval shows, most risky changes first, never cut inside a change, and when
 * cut it says how many changes there are and where the full list is: `PromoteChangesAll`.
 * `StagingETag` identifies exactly the config live on staging — our actions never write the staging, so it changes
 * only when the staging stack (or a person) changes it — and promote (`ExpectedStagingETag`) and abort check it.
 */
export function reviewerVariables(state: {
  primary: DistributionState;
  staging: DistributionState;
  policy: PolicyState;
}): Record<string, string> {
  const traffic = state.policy.config.TrafficConfig;
  // Most risky first: what changes where viewers' requests go is what a cut summary must never leave out.
  const changes = rankedChanges(state.primary.config, state.staging.config);
  const base = {
    TrafficType: traffic?.Type ?? 'unknown',
    PrimaryDomainName: state.primary.domainName,
    StagingDomainName: state.staging.domainName,
    StagingDistributionId: state.staging.id,
    StagingETag: state.staging.etag,
    ContinuousDeploymentPolicyId: state.policy.id,
    PromoteChanges: summarizeForReviewer(changes, PROMOTE_CHANGES_MAX_CHARS, FULL_CHANGE_LIST_AT),
    PromoteChangesAll: fullChangeList(changes, PROMOTE_CHANGES_ALL_MAX_BYTES, 'see cfcd status'),
  };
  return { ...base, ...routingVariables(state.primary.domainName, state.policy.config) };
}

function routingVariables(primaryDomain: string, policy: PolicyState['config']): Record<string, string> {
  const routing = routingOf(policy);
  switch (routing.type) {
    case 'header': {
      const { header, value } = routing;
      const curl = `curl -H '${header}: ${value}' https://${primaryDomain}/`;
      return {
        StagingHeader: `${header}: ${value}`,
        HowToReachStaging: `${curl} (requests without the header get production)`,
      };
    }
    case 'weight': {
      const share = `${Math.round(routing.weight * 1000) / 10}%`;
      const sticky = routing.stickiness;
      const stickiness = sticky
        ? ', sticky per viewer via the x-amz-continuous-deployment-state cookie ' +
          `(idle ${sticky.idleTTL}s, max ${sticky.maximumTTL}s)`
        : '';
      return {
        StagingWeight: String(routing.weight),
        HowToReachStaging:
          `about ${share} of viewers of https://${primaryDomain}/ are routed to staging${stickiness}; ` +
          'weighted routing can take about 10 minutes to begin',
      };
    }
    case 'unknown':
      return {
        HowToReachStaging: `the policy's traffic config (${routing.trafficType}) is not one this action recognises`,
      };
  }
}
