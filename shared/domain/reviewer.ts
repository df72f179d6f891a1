/**
 * What the reviewer is told about a staged release: the output variables the approval's CustomData references, read
 * the same way by enable-CD (its outputs) and by cfcd status.
 */
import { diffConfigs, summarizeChanges } from './config-diff.js';
import type { DistributionState, PolicyState } from './resources.js';
import { routingOf } from './traffic-config.js';

/**
 * `PromoteChanges`' budget: it is shown in the approval's CustomData, which CodePipeline limits to 1000 characters
 * once its variables are resolved, next to the commit, the staging ETag and how to reach staging.
 */
export const PROMOTE_CHANGES_MAX_CHARS = 400;

/**
 * Output variables for the reviewer (the approval's CustomData references them) and for the release guard:
 * `StagingETag` identifies exactly the config live on staging — our actions never write the staging, so it changes
 * only when the staging stack (or a person) changes it — and promote (`ExpectedStagingETag`) and abort check it.
 */
export function reviewerVariables(state: {
  primary: DistributionState;
  staging: DistributionState;
  policy: PolicyState;
}): Record<string, string> {
  const traffic = state.policy.config.TrafficConfig;
  const base = {
    TrafficType: traffic?.Type ?? 'unknown',
    PrimaryDomainName: state.primary.domainName,
    StagingDomainName: state.staging.domainName,
    StagingDistributionId: state.staging.id,
    StagingETag: state.staging.etag,
    ContinuousDeploymentPolicyId: state.policy.id,
    PromoteChanges: summarizeChanges(
      diffConfigs(state.primary.config, state.staging.config),
      PROMOTE_CHANGES_MAX_CHARS,
    ),
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
