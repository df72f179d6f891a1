/**
 * enable-CD's pure core: from the live state and the parameters, check that continuous deployment can work and
 * list the changes that make it so, and what comes next. No I/O here; the plan is logged and unit-tested without
 * mocks.
 */
import { planBucketGrant } from '../../shared/domain/bucket-policy-merge.js';
import { carriesSameConfig } from '../../shared/domain/config-diff.js';
import { checkIsPrimary, checkIsStaging, checkPolicyRoutesTo } from '../../shared/domain/checks.js';
import { attachedPolicyId } from '../../shared/domain/distribution-config.js';
import { StateCheckError } from '../../shared/domain/errors.js';
import { checkPreflight } from '../../shared/domain/preflight.js';
import {
  type CacheDecision,
  type CacheState,
  type InvalidateChange,
  decideCache,
} from '../../shared/domain/invalidation.js';
import { DONE, type Plan, waitFor } from '../../shared/domain/plan.js';
import { type DistributionState, type PolicyState, isDeployed } from '../../shared/domain/resources.js';
import { routingOf } from '../../shared/domain/traffic-config.js';
import type { StagingHeader } from '../../shared/domain/ramp-header.js';
import { type EnableCdParams, originDomainAllowed } from './params.js';
import { type EnableCdPhase, PHASE } from './phases.js';

/** Everything enable-CD reads before deciding. */
export interface EnableCdState {
  primary: DistributionState;
  staging: DistributionState;
  policy: PolicyState;
  /** The origin bucket's policy JSON: undefined when it has none, absent when no bucket was named. */
  bucketPolicy?: { bucket: string; json: string | undefined };
  /**
   * The release's root object on the bucket (`<staging OriginPath>/<DefaultRootObject>`), read only when viewers are
   * about to be routed to staging: absent when not read.
   */
  releaseRoot?: { bucket: string; key: string; exists: boolean };
  /**
   * The invalidations of the staging since its last change, read only when it is Deployed with something to review
   * and `InvalidationPaths` is not empty: absent when not read.
   */
  stagingCache?: CacheState;
}

/** One named change; `reason` is what the operator reads in the log. */
export type EnableCdChange =
  | { kind: 'grant-bucket-read'; bucket: string; json: string; reason: string }
  | { kind: 'enable-policy'; policyId: string; reason: string }
  | {
      kind: 'route-by-header';
      policyId: string;
      header: string;
      value: string;
      /** The weight (0–0.15) the policy held, which is not switched back on. */
      replacesWeight: number;
      reason: string;
    }
  | { kind: 'attach-policy'; primaryId: string; policyId: string; replaces: string | undefined; reason: string }
  | InvalidateChange;

/**
 * Changes in this order: grant first (staging must read before it serves), then the staging's cache invalidation
 * (once it is Deployed: viewers must not get the previous canary from its caches), then enable, then attach — held
 * until the invalidation is Completed. Any CloudFront change starts a propagation, so the plan then waits; so does one
 * whose CloudFront changes are held back because a distribution is still InProgress (the bucket grant is not held
 * back). `cache` is where the staging's cache stands, when it was looked at.
 */
export type EnableCdPlan = Plan<EnableCdChange, EnableCdPhase> & { cache?: CacheDecision };

const ENABLE_CD_FIX =
  'Check the staging stack outputs passed to enable-CD (StagingDistributionId, ContinuousDeploymentPolicyId).';

/** Refuses, before any write, a state in which continuous deployment cannot work or must not be switched on. */
export function checkEnableCdState(state: EnableCdState, allowedOriginDomains?: readonly string[]): void {
  const { primary, staging, policy } = state;
  checkIsPrimary(primary, 'it must be the production distribution that keeps the aliases.');
  checkIsStaging(staging, `create it with Staging: true (see infra/staging-*.yml). ${ENABLE_CD_FIX}`);
  checkPolicyRoutesTo(policy, staging, ENABLE_CD_FIX);
  // Before attaching or re-enabling: the reviewer must never look at a staging that can never be promoted.
  checkPreflight(primary, staging, 'before routing viewers to staging');
  checkOriginsAllowed(primary, staging, allowedOriginDomains);
}

const domainsOf = (d: DistributionState) =>
  (d.config.Origins?.Items ?? []).map((o) => ({ id: o.Id ?? '(no id)', domain: o.DomainName ?? '' }));

/**
 * Refuses, before any write, a staging with an origin whose domain name is not allowed: a commit chooses the staging
 * stack's origins, and viewers (up to 15 % with weighted routing) reach the staging before anyone approves it. Every
 * origin is checked, referenced by a behavior or not (an unreferenced one is one template change away from serving).
 * `allowed` undefined = the domain names of the primary's own origins.
 */
export function checkOriginsAllowed(
  primary: DistributionState,
  staging: DistributionState,
  allowed: readonly string[] | undefined,
): void {
  const list = allowed ?? [...new Set(domainsOf(primary).map((o) => o.domain.toLowerCase()))];
  const unknown = domainsOf(staging).filter((o) => !originDomainAllowed(o.domain, list));
  if (!unknown.length) return;
  const named = unknown.map((o) => `${JSON.stringify(o.domain)} (origin ${o.id})`).join(', ');
  const source = allowed
    ? `AllowedOriginDomains ${JSON.stringify(list)}`
    : `AllowedOriginDomains, which is not set, so only the primary's own origins are allowed (${list.join(', ')})`;
  throw new StateCheckError(
    (w) =>
      `staging ${staging.id} has origins whose domain is not in ${source}: ${named}. ` +
      'Nothing was changed and no viewer was routed to staging. ' +
      `If the release really needs that origin, add its domain name to ${w.param('AllowedOriginDomains')}` +
      (w.where === 'pipeline' ? ' (the pipeline stack parameter) and run the pipeline again' : ` and ${w.rerun}`) +
      '; otherwise fix the staging stack.',
  );
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

/**
 * The re-enable decision for a policy as read. With `rampHeader` (a ramp owns the weights), a policy routing by weight
 * that is not live (disabled, or not attached) is put on header routing and enabled in the same write: the weight is
 * the one a ramp left (every promotion disables the policy but keeps it, and CloudFormation skips an unchanged
 * policy), and switching it back on would route that share of viewers to the next release before its ramp's probes
 * and first step. A live policy is left as it is: a ramp (or a repeated delivery) is moving it.
 */
function planEnablePolicy(
  state: Pick<EnableCdState, 'primary' | 'policy'>,
  rampHeader: StagingHeader | undefined,
): Extract<EnableCdChange, { kind: 'enable-policy' | 'route-by-header' }> | undefined {
  const { policy } = state;
  const routing = routingOf(policy.config);
  if (rampHeader && routing.type === 'weight' && !routingLive(state)) {
    const percent = `${Math.round(routing.weight * 100_000) / 1000}%`;
    const was = policy.config.Enabled ? 'enabled but not attached to the primary' : 'disabled';
    return {
      kind: 'route-by-header',
      policyId: policy.id,
      header: rampHeader.header,
      value: rampHeader.value,
      replacesWeight: routing.weight,
      reason:
        `policy is ${was} with a weight of ${percent} (left by the last ramp, or set by the staging template); ` +
        `a ramp owns the weights, so it is enabled on header routing (${rampHeader.header}: ${rampHeader.value}) ` +
        "and no viewer is routed by weight before the ramp's probes and first step",
    };
  }
  if (policy.config.Enabled) return undefined;
  return {
    kind: 'enable-policy',
    policyId: policy.id,
    reason:
      'policy is disabled (the last promotion, abort or canary rollback disabled it; ' +
      'CloudFormation cannot see that drift)',
  };
}

/** Checks the state and plans the changes enable-CD makes in this invocation, and what comes next. */
export function planEnableCd(
  state: EnableCdState,
  params: Pick<EnableCdParams, 'primaryId' | 'policyId' | 'invalidationPaths'> &
    Partial<Pick<EnableCdParams, 'allowedOriginDomains' | 'rampHeader'>>,
  /** True when an earlier invocation of this job saw (or made) viewers routed to staging. */
  routedEarlier = false,
): EnableCdPlan {
  checkEnableCdState(state, params.allowedOriginDomains);
  if (routedEarlier && !state.policy.config.Enabled) {
    // Someone took the canary off the air while this job waited for propagation — the canary watch judging staging
    // unhealthy, or an abort. Switching it back on would undo that rollback (found by the chaos run).
    throw new StateCheckError(
      (w) =>
        `continuous deployment policy ${state.policy.id} was disabled while enable-CD waited for propagation: ` +
        'the canary was rolled back (by the canary watch or an abort), ' +
        'so it was not re-enabled and nothing was changed. ' +
        `Fix the release and ${w.where === 'pipeline' ? 'run the pipeline again' : 'run cfcd enable-cd again'}.`,
    );
  }
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

  // A staging that serves exactly what production serves has nothing to review: routing viewers to it would only
  // leave a policy enabled with no canary behind it. This is also how a late or repeated delivery of enable-CD after
  // the promotion (which disabled the policy) is recognised: it must not switch the policy back on.
  const nothingToReview = carriesSameConfig(state.primary.config, state.staging.config);
  const cloudFrontChanges = nothingToReview
    ? []
    : [planEnablePolicy(state, params.rampHeader), planAttach(state.primary, params.policyId)].filter(
        (c) => c !== undefined,
      );
  const inProgress = [state.primary, state.staging].filter((d) => !isDeployed(d)).map((d) => d.id);
  if (cloudFrontChanges.length && inProgress.length) {
    // Never route viewers to a staging config that is still propagating, nor stack a write on a primary that is.
    return {
      changes,
      held: `${inProgress.join(', ')} InProgress; the next invocation plans again`,
      next: waitFor(
        PHASE.waitingToApply,
        'distributions to finish propagating before changing the policy or the primary',
        inProgress,
      ),
    };
  }
  const root = state.releaseRoot;
  if (cloudFrontChanges.length && root && !root.exists) {
    throw new StateCheckError(
      `staging ${state.staging.id} would serve s3://${root.bucket}/${root.key}, which does not exist: ` +
        'routing viewers to it now would serve errors, so nothing was changed. ' +
        "Upload the release's files to the path the staging stack's origin points at " +
        'before the staging stack deploys (see docs/deploy.md, "The content contract"), then run enable-CD again.',
    );
  }
  const cache = nothingToReview || !isDeployed(state.staging) ? undefined : stagingCacheDecision(state, params);
  if (cache && (cache.kind === 'invalidate' || cache.kind === 'in-progress')) {
    // The reviewer's header requests and the weighted viewers must get this release, not what the staging's caches
    // kept from the last canary: route them only once the invalidation is Completed.
    const id = cache.kind === 'invalidate' ? 'being created' : cache.invalidationId;
    return {
      changes: cache.kind === 'invalidate' ? [...changes, cache.change] : changes,
      ...(cloudFrontChanges.length
        ? { held: `routing viewers to staging ${state.staging.id} waits for its cache invalidation (${id})` }
        : {}),
      next: waitFor(
        PHASE.invalidating,
        `the edge-cache invalidation of staging ${state.staging.id} (${id}) to be Completed`,
        [],
      ),
      cache,
    };
  }
  changes.push(...cloudFrontChanges);
  const known = cache ? { cache } : {};
  // Any CloudFront write starts a propagation; the next invocation re-reads and decides again.
  if (cloudFrontChanges.length) {
    const next = waitFor(PHASE.propagating, 'primary and staging to be Deployed', [state.primary.id]);
    return { changes, next, ...known };
  }
  if (inProgress.length)
    return { changes, next: waitFor(PHASE.propagating, 'primary and staging to be Deployed', inProgress), ...known };
  return { changes, next: DONE, ...known };
}

/** Where the staging's cache stands; only asked once it is Deployed with something to review. */
function stagingCacheDecision(state: EnableCdState, params: Pick<EnableCdParams, 'invalidationPaths'>): CacheDecision {
  const paths = params.invalidationPaths;
  if (paths.length && !state.stagingCache)
    throw new Error(`enable-CD: the invalidations of staging ${state.staging.id} were not read`);
  return decideCache(
    state.staging,
    state.stagingCache ?? { distributionId: state.staging.id, since: [] },
    paths,
    'staging',
  );
}

/** True when the policy already routes viewers to staging: nothing enable-CD does changes what they get. */
export function routingLive(state: Pick<EnableCdState, 'primary' | 'policy'>): boolean {
  return state.policy.config.Enabled === true && attachedPolicyId(state.primary.config) === state.policy.id;
}
