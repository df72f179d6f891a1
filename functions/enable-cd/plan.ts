/**
 * enable-CD's pure core: from the live state and the parameters, check that continuous deployment can work and
 * list the changes that make it so. No I/O here; the plan is logged and unit-tested without mocks.
 */
import type { ContinuousDeploymentPolicyConfig } from '@aws-sdk/client-cloudfront';
import { planBucketGrant } from '../../shared/domain/bucket-policy-merge.js';
import { isDeployed, type DistributionState, type PolicyState } from '../../shared/domain/resources.js';
import { attachedPolicyId, stagingDomainsOf, usesHttp3 } from '../../shared/domain/distribution-config.js';
import { StateCheckError } from '../../shared/domain/errors.js';
import type { EnableCdParams } from './params.js';

/** Everything enable-CD reads before deciding. */
export interface EnableCdState {
  primary: DistributionState;
  staging: DistributionState;
  policy: PolicyState;
  /** The origin bucket's policy JSON: undefined when it has none, absent when no bucket was named. */
  bucketPolicy?: { bucket: string; json: string | undefined };
}

/** One named change; `reason` is what the operator reads in the log. */
export type EnableCdChange =
  | { kind: 'grant-bucket-read'; bucket: string; json: string; reason: string }
  | { kind: 'enable-policy'; policyId: string; reason: string }
  | { kind: 'attach-policy'; primaryId: string; policyId: string; replaces: string | undefined; reason: string };

export interface EnableCdPlan {
  /** Changes to make now, in this order: grant first (staging must read before it serves), then enable, then attach. */
  changes: EnableCdChange[];
  /** Distributions still propagating. CloudFront changes wait for them; the bucket grant does not. */
  inProgress: string[];
  /** True when CloudFront changes are needed but held back until `inProgress` settles. */
  deferred: boolean;
}

const ENABLE_CD_FIX =
  'Check the staging stack outputs passed to enable-CD (StagingDistributionId, ContinuousDeploymentPolicyId).';

/** Refuses, before any write, a state in which continuous deployment cannot work. */
export function checkEnableCdState(state: EnableCdState): void {
  const { primary, staging, policy } = state;
  if (primary.config.Staging) {
    throw new StateCheckError(
      `PrimaryDistributionId ${primary.id} is a staging distribution (Staging=true); it must be the production distribution that keeps the aliases.`,
    );
  }
  if (!staging.config.Staging) {
    throw new StateCheckError(
      `StagingDistributionId ${staging.id} is not a staging distribution (Staging=false); create it with Staging: true (see infra/staging-*.yml). ${ENABLE_CD_FIX}`,
    );
  }
  for (const d of [primary, staging]) {
    if (usesHttp3(d.config)) {
      throw new StateCheckError(
        `distribution ${d.id} has HttpVersion ${d.config.HttpVersion}: CloudFront continuous deployment does not support HTTP/3. Set HttpVersion to http2 (or http2and1.1) first.`,
      );
    }
  }
  const domains = stagingDomainsOf(policy.config);
  if (!domains.includes(staging.domainName)) {
    throw new StateCheckError(
      `continuous deployment policy ${policy.id} routes to [${domains.join(', ')}], not to staging ${staging.id} (${staging.domainName}). ${ENABLE_CD_FIX}`,
    );
  }
}

/** The attach decision for a primary as read. */
function planAttach(
  primary: DistributionState,
  policyId: string,
): Extract<EnableCdChange, { kind: 'attach-policy' }> | undefined {
  const current = attachedPolicyId(primary.config);
  if (current === policyId) return undefined;
  return {
    kind: 'attach-policy',
    primaryId: primary.id,
    policyId,
    replaces: current,
    reason: current
      ? `primary has policy ${current} attached; replacing it with ${policyId}`
      : `no policy attached to primary ${primary.id}`,
  };
}

/** The re-enable decision for a policy as read. */
function planEnablePolicy(policy: PolicyState): Extract<EnableCdChange, { kind: 'enable-policy' }> | undefined {
  if (policy.config.Enabled) return undefined;
  return {
    kind: 'enable-policy',
    policyId: policy.id,
    reason: 'policy is disabled (a promotion disables it; CloudFormation cannot see that drift)',
  };
}

/** Checks the state and plans the changes enable-CD makes in this invocation. */
export function planEnableCd(
  state: EnableCdState,
  params: Pick<EnableCdParams, 'primaryId' | 'policyId'>,
): EnableCdPlan {
  checkEnableCdState(state);
  const changes: EnableCdChange[] = [];

  if (state.bucketPolicy) {
    const { bucket, json } = state.bucketPolicy;
    const grant = planBucketGrant({
      bucket,
      primaryId: params.primaryId,
      distributionArns: [state.primary.arn, state.staging.arn],
      current: json,
    });
    if (grant.change) changes.push({ kind: 'grant-bucket-read', bucket, json: grant.json, reason: grant.reason });
  }

  const cloudFrontChanges = [planEnablePolicy(state.policy), planAttach(state.primary, params.policyId)].filter(
    (c) => c !== undefined,
  );
  const inProgress = [state.primary, state.staging].filter((d) => !isDeployed(d)).map((d) => d.id);
  // Never route viewers to a staging config that is still propagating, nor stack a write on a primary that is.
  const deferred = cloudFrontChanges.length > 0 && inProgress.length > 0;
  if (!deferred) changes.push(...cloudFrontChanges);
  return { changes, inProgress, deferred };
}

/** Output variables a reviewer uses to reach staging (the approval's CustomData references them). */
export function reviewerVariables(state: EnableCdState): Record<string, string> {
  const traffic = state.policy.config.TrafficConfig;
  const base = {
    TrafficType: traffic?.Type ?? 'unknown',
    PrimaryDomainName: state.primary.domainName,
    StagingDomainName: state.staging.domainName,
    ContinuousDeploymentPolicyId: state.policy.id,
  };
  return { ...base, ...routingVariables(state.primary.domainName, state.policy.config) };
}

function routingVariables(primaryDomain: string, policy: ContinuousDeploymentPolicyConfig): Record<string, string> {
  const traffic = policy.TrafficConfig;
  if (traffic?.Type === 'SingleHeader' && traffic.SingleHeaderConfig) {
    const { Header, Value } = traffic.SingleHeaderConfig;
    return {
      StagingHeader: `${Header}: ${Value}`,
      HowToReachStaging: `curl -H '${Header}: ${Value}' https://${primaryDomain}/ (requests without the header get production)`,
    };
  }
  if (traffic?.Type === 'SingleWeight' && traffic.SingleWeightConfig) {
    const { Weight, SessionStickinessConfig: sticky } = traffic.SingleWeightConfig;
    const share = `${Math.round((Weight ?? 0) * 1000) / 10}%`;
    const stickiness = sticky
      ? `, sticky per viewer via the x-amz-continuous-deployment-state cookie (idle ${sticky.IdleTTL}s, max ${sticky.MaximumTTL}s)`
      : '';
    return {
      StagingWeight: String(Weight ?? 0),
      HowToReachStaging: `about ${share} of viewers of https://${primaryDomain}/ are routed to staging${stickiness}; weighted routing can take about 10 minutes to begin`,
    };
  }
  return {
    HowToReachStaging: `the policy's traffic config (${traffic?.Type ?? 'none'}) is not one this action recognises`,
  };
}
