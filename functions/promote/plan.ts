/**
 * promote's pure core: from the live state (and, with the gate on, what staging served), decide whether to promote
 * now, wait, refuse, or do nothing because the primary already serves the staging config — with what comes next and
 * what the report will say. No I/O here; the decision is logged and unit-tested without mocks.
 */
import { checkIsPrimary, checkIsStaging, checkPolicyRoutesTo } from '../../shared/domain/checks.js';
import { attachedPolicyId } from '../../shared/domain/distribution-config.js';
import { checkPreflight } from '../../shared/domain/preflight.js';
import { StateCheckError, type Wording, type Words, sentence } from '../../shared/domain/errors.js';
import { DONE, type Plan, waitFor } from '../../shared/domain/plan.js';
import type { DistributionState, PolicyState } from '../../shared/domain/resources.js';
import { isDeployed } from '../../shared/domain/resources.js';
import {
  CHANGES_SUMMARY_MAX_CHARS,
  carriesSameConfig,
  diffConfigs,
  summarizeChanges,
} from '../../shared/domain/config-diff.js';
import {
  type GateFigures,
  type GateParams,
  type GateVerdict,
  evaluateGate,
  gateVariables,
} from '../../shared/domain/gate.js';
import {
  type CacheDecision,
  type CacheState,
  type InvalidateChange,
  decideCache,
} from '../../shared/domain/invalidation.js';
import { routingOf } from '../../shared/domain/traffic-config.js';
import { type StagingHeader, withHeaderRouting } from '../../shared/domain/ramp-header.js';
import type { PruneTarget } from './params.js';
import { PHASE, type PromotePhase } from './phases.js';
import { type PromotionFacts, promotionNote } from './result.js';

/** Everything promote reads before deciding. */
export interface PromoteState {
  primary: DistributionState;
  staging: DistributionState;
  /** The policy attached to the primary; undefined when none is attached. */
  policy: PolicyState | undefined;
  /** `ContinuousDeploymentPolicyId`: the policy the primary must have attached. */
  expectedPolicyId?: string;
  /** `ExpectedStagingETag`: the staging's ETag when it was reviewed. */
  expectedStagingEtag?: string;
}

/** The one write promote makes: UpdateDistributionWithStagingConfig. */
export interface PromoteChange {
  kind: 'promote-staging-config';
  primaryId: string;
  stagingId: string;
  /** `<primary ETag>, <staging ETag>`: CloudFront wants both, primary first. */
  ifMatch: string;
  /** What the promotion changes on the primary, from {@link diffConfigs}. */
  diff: string[];
  reason: string;
}

/** The gate's reading as the decision gets it: the figures, or why they could not be read. */
export type GateReading = { ok: true; figures: GateFigures } | { ok: false; error: unknown };

/** The decision for one read of the state; `reason` is what the operator reads in the log. */
export type PromoteDecision =
  | (Plan<PromoteChange, PromotePhase> & {
      kind: 'promote';
      reason: string;
      /** What the report says once the primary is Deployed. */
      facts: PromotionFacts;
      /** Something the operator should know but that does not stop the promotion. */
      warning?: string;
      gate?: GateVerdict;
    })
  | (Plan<never, PromotePhase> & {
      /** The primary already carries the staging's promotable config: nothing to write. */
      kind: 'already-promoted';
      reason: string;
      facts: PromotionFacts;
    })
  | (Plan<never, PromotePhase> & { kind: 'wait'; reason: string; gate?: GateVerdict })
  /** `reason` names what to run next in its reader's words (a pipeline's or cfcd's). */
  | { kind: 'refuse'; reason: Wording; gate: GateVerdict };

/** A decision that goes ahead (anything but a refusal): the plan that is applied. */
export type PromotePlan = Exclude<PromoteDecision, { kind: 'refuse' }>;

/** What the operator runs to put the policy in place, naming the ids this action was given, in the reader's words. */
function enableCdFix(state: PromoteState): (w: Words) => string {
  const params = {
    PrimaryDistributionId: state.primary.id,
    StagingDistributionId: state.staging.id,
    ContinuousDeploymentPolicyId: "<the staging stack's policy id>",
  };
  return (w) => `Run ${w.command('enable-cd', params)}, let the reviewer check staging, then ${w.approveAgain}.`;
}

/**
 * Refuses parameters that name the wrong kind of distribution. These facts never change for a distribution, and a
 * wrong id must fail even when the two configs happen to be equal, so this runs before the idempotence check.
 */
function checkDistributionKinds({ primary, staging }: PromoteState): void {
  checkIsPrimary(
    primary,
    (w) =>
      `it must be the production distribution that keeps the aliases. Fix ${w.param('PrimaryDistributionId')} ` +
      'of promote (and of enable-CD, which must name the same distributions).',
  );
  checkIsStaging(
    staging,
    (w) =>
      `promoting it would copy another production config onto ${primary.id}. ` +
      `Fix ${w.param('StagingDistributionId')} of promote and enable-CD: ` +
      "it is the staging stack's distribution (Staging: true).",
  );
}

/**
 * Refuses a staging that changed after it was reviewed. Our actions never write the staging distribution, so its
 * ETag changes only when the staging stack (or a person) changes it — most likely a newer pipeline execution's
 * Deploy stage while this one waited for its approval. A promotion does not touch the staging either, so a repeat of
 * a promotion that happened still passes.
 */
function checkStagingAsReviewed({ staging, expectedStagingEtag }: PromoteState): void {
  if (!expectedStagingEtag || staging.etag === expectedStagingEtag) return;
  throw new StateCheckError(
    (w) =>
      `staging ${staging.id} has ETag ${staging.etag}, ` +
      `but the config the reviewer approved had ETag ${expectedStagingEtag} (${w.param('ExpectedStagingETag')}): ` +
      'staging was changed after it was reviewed, ' +
      (w.where === 'pipeline'
        ? "most likely by a newer pipeline execution's Deploy stage, or by hand. Nothing was promoted. " +
          'Approve the newer execution instead; re-run this one only to promote the current config after a new review.'
        : 'most likely by a newer deployment of the staging stack, or by hand. Nothing was promoted. Have the reviewer check staging as ' +
          `it is now, then ${w.approveAgain} with ${w.param('ExpectedStagingETag', staging.etag)}.`),
  );
}

/**
 * Refuses to promote a staging distribution that the primary's policy did not route viewers to: the approval was
 * given for what the reviewer saw through that policy.
 */
function checkPolicyRoutesStaging(state: PromoteState): PolicyState {
  const { primary, staging, policy, expectedPolicyId } = state;
  const attached = attachedPolicyId(primary.config);
  if (expectedPolicyId && attached !== expectedPolicyId) {
    throw new StateCheckError(
      (w) =>
        `primary ${primary.id} has ${attached ? `policy ${attached}` : 'no continuous deployment policy'} attached, ` +
        `not ${w.param('ContinuousDeploymentPolicyId')} ${expectedPolicyId}, ` +
        `so viewers were not routed to staging ${staging.id} through that policy ` +
        `and nothing approved can be promoted. ${enableCdFix(state)(w)}`,
    );
  }
  if (!policy) {
    throw new StateCheckError(
      (w) =>
        `primary ${primary.id} has no continuous deployment policy attached, so no viewer was routed to ` +
        `staging ${staging.id} and nothing approved can be promoted. ${enableCdFix(state)(w)}`,
    );
  }
  checkPolicyRoutesTo(
    policy,
    staging,
    (w) => `the approval did not cover this staging distribution. ${enableCdFix(state)(w)}`,
    primary.id,
  );
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

/** True when the policy attached to the primary would route viewers to staging right now. */
export function policyEnabled(state: PromoteState): boolean {
  return state.policy?.config.Enabled === true;
}

/** The primary's wait once it carries the staging config: only its propagation is left. */
export const awaitPrimary = (primaryId: string) =>
  waitFor(PHASE.promoted, `primary ${primaryId} to be Deployed with the promoted config`, [primaryId]);

/**
 * Decides what promote does with the state as read. Order matters:
 * 1. the distribution kinds (wrong parameters must never be reported as success), and the staging as reviewed
 *    (`ExpectedStagingETag`: promote the config the reviewer saw, or nothing);
 * 2. idempotence: if the primary already carries the staging config there is nothing to promote. This comes before
 *    the policy checks because a promotion leaves the policy disabled, and a later teardown may detach it: a retry
 *    or a re-run after the promotion must still succeed without a write;
 * 3. the policy: attached to the primary and routing to this staging;
 * 4. propagation: never promote while either distribution is InProgress;
 * 5. the promotion gate, when on: `reading` is what staging served (read whenever {@link promotableApartFromPolicy}
 *    holds); traffic served by a half-propagated staging proves little, so the gate comes last.
 */
export function decide(
  state: PromoteState,
  gate?: { params: GateParams; reading: GateReading | undefined },
): PromoteDecision {
  checkDistributionKinds(state);
  checkStagingAsReviewed(state);
  const { primary, staging } = state;

  if (carriesSameConfig(primary.config, staging.config)) {
    const enabled = policyEnabled(state);
    return {
      kind: 'already-promoted',
      reason:
        `primary ${primary.id} already carries the config of staging ${staging.id} ` +
        '(a promotion already happened, or nothing changed)',
      changes: [],
      next: isDeployed(primary) ? DONE : awaitPrimary(primary.id),
      facts: {
        changes: 'none: the primary already carried the staging config',
        policyEnabled: String(enabled),
        note: promotionNote({
          primaryId: primary.id,
          stagingId: staging.id,
          policyId: state.policy?.id,
          policyEnabled: enabled,
        }),
      },
    };
  }

  const policy = checkPolicyRoutesStaging(state);
  checkPreflight(primary, staging, 'before the one-way promotion');

  const inProgress = [primary, staging].filter((d) => !isDeployed(d)).map((d) => d.id);
  if (inProgress.length) {
    const reason = `never promote over a half-propagated config: ${inProgress.join(' and ')} still InProgress`;
    return {
      kind: 'wait',
      reason,
      changes: [],
      next: waitFor(PHASE.waitingToPromote, 'primary and staging to be Deployed before promoting', inProgress),
    };
  }

  let verdict: GateVerdict | undefined;
  let figures: GateFigures | undefined;
  if (gate) {
    // Only reachable when promotableApartFromPolicy holds, which is when the shell reads the figures.
    if (!gate.reading) throw new Error('promotion gate: the staging traffic was not read');
    if (!gate.reading.ok) throw gate.reading.error;
    figures = gate.reading.figures;
    verdict = evaluateGate(gate.params, figures, { primaryId: primary.id, stagingId: staging.id, policy });
    if (verdict.kind === 'refuse') return { kind: 'refuse', reason: verdict.said, gate: verdict };
    if (verdict.kind === 'wait') {
      return {
        kind: 'wait',
        reason: verdict.reason,
        changes: [],
        next: waitFor(PHASE.gatheringTraffic, verdict.reason, [], verdict.brief),
        gate: verdict,
      };
    }
  }

  const diff = diffConfigs(primary.config, staging.config);
  const reason =
    `staging ${staging.id} differs from primary ${primary.id} in ${diff.length} way(s); ` +
    `policy ${policy.id} routes to it`;
  return {
    kind: 'promote',
    reason,
    changes: [
      {
        kind: 'promote-staging-config',
        primaryId: primary.id,
        stagingId: staging.id,
        ifMatch: `${primary.etag}, ${staging.etag}`,
        diff,
        reason,
      },
    ],
    next: awaitPrimary(primary.id),
    facts: {
      changes: summarizeChanges(diff, CHANGES_SUMMARY_MAX_CHARS),
      // CloudFront disables the policy as part of the promotion: all traffic is back on the primary.
      policyEnabled: 'false',
      note: promotionNote({ primaryId: primary.id, stagingId: staging.id, policyId: policy.id, policyEnabled: false }),
      ...(figures ? { gate: gateVariables(figures) } : {}),
    },
    ...(verdict ? { gate: verdict } : {}),
    ...(policy.config.Enabled
      ? {}
      : {
          warning:
            `policy ${policy.id} is disabled, so no viewer is being routed to staging right now; ` +
            'promoting anyway because the approval covers the staging config',
        }),
  };
}

/**
 * After the promotion: what is left before viewers get the promoted release. The primary must be Deployed first — an
 * edge location still on the previous config would refill an early invalidation from the previous release — then its
 * edge caches invalidated (`InvalidationPaths`), and the invalidation Completed. Nothing here ever promotes.
 */
export type FinishPlan = Plan<InvalidateChange | RestoreHeaderChange | PruneReleasesChange, PromotePhase> & {
  /** Absent while the primary is still InProgress (its invalidations are not read yet). */
  cache?: CacheDecision;
};

/**
 * The prune of old release folders (`ReleaseBucket`), the last step of a complete promotion. Its write never fails
 * the job: the promotion stands whatever happens to the old folders (functions/promote/prune.ts).
 */
export interface PruneReleasesChange {
  kind: 'prune-releases';
  bucket: string;
  keep: number;
  /** What is in use is read from these two, live, right before each folder is deleted. */
  primaryId: string;
  stagingId: string;
  /** Commits never deleted: the release the revert record goes back to (the bake's revert target). */
  protect: string[];
  /**
   * `RevertRecordBucket`: the newest record of the primary is read right before the prune and its release folders
   * are kept too, whichever job wrote it; a read that fails skips the prune.
   */
  recordBucket?: string;
  reason: string;
}

/**
 * A plan that says done, with the prune of old release folders added when `ReleaseBucket` is set. Only once the
 * primary is Deployed with the promoted config and its invalidation is Completed (or off): the release is then what
 * viewers get, and a repeated final invocation plans (and prunes) again, harmlessly.
 */
export function withPrune<P extends PromotePassPlan>(
  plan: P,
  prune: PruneTarget | undefined,
  ids: { primaryId: string; stagingId: string },
  protect: string[] = [],
  recordBucket?: string,
): P {
  if (!prune || plan.next.kind !== 'done' || (plan.kind !== 'finishing' && plan.kind !== 'already-promoted'))
    return plan;
  const change: PruneReleasesChange = {
    kind: 'prune-releases',
    bucket: prune.bucket,
    keep: prune.keep,
    ...ids,
    protect,
    ...(recordBucket ? { recordBucket } : {}),
    reason:
      `the promotion is complete: delete the release folders of s3://${prune.bucket}/releases/ older than the ` +
      `newest ${prune.keep}, except those primary ${ids.primaryId} and staging ${ids.stagingId} serve` +
      (protect.length ? ` and the revert target (${protect.join(', ')})` : '') +
      (recordBucket ? ` and the release of the newest revert record in s3://${recordBucket}/cfcd-revert/` : ''),
  };
  return { ...plan, changes: [...plan.changes, change] };
}

/**
 * After a ramped promotion (`RampHeader`): the policy the promotion disabled, put back on header routing, still
 * disabled. CloudFront keeps the ramp's weight on the disabled policy, CloudFormation skips an unchanged policy, and
 * the next release's enable-CD re-enables what it finds: without `RampHeader` (the ramp turned off since), that
 * weight, routing viewers to the next release at once. Its write never fails the job (functions/promote/restore.ts).
 */
export interface RestoreHeaderChange {
  kind: 'restore-header-routing';
  policyId: string;
  header: StagingHeader;
  /** The weight (0–0.15) the disabled policy kept, which no enable-CD will switch back on. */
  replacesWeight: number;
  reason: string;
}

/**
 * The header restore a policy as read needs: only a policy that is disabled and routes by weight. An enabled policy
 * is not promote's to touch (nothing was promoted, or another writer switched it on), and one on header routing
 * already is what the restore leaves: a repeated final delivery plans nothing.
 */
export function planHeaderRestore(
  policy: PolicyState | undefined,
  header: StagingHeader | undefined,
): RestoreHeaderChange | undefined {
  if (!header || !policy || policy.config.Enabled !== false) return undefined;
  const routing = routingOf(policy.config);
  if (routing.type !== 'weight') return undefined;
  const percent = `${Math.round(routing.weight * 100_000) / 1000}%`;
  return {
    kind: 'restore-header-routing',
    policyId: policy.id,
    header,
    replacesWeight: routing.weight,
    reason:
      `the promotion is complete and policy ${policy.id} is disabled at the ramp's weight of ${percent}: put it back ` +
      `on header routing (${header.header}: ${header.value}), still disabled, so that the next release's ` +
      'enable-CD switches on header routing, never this weight',
  };
}

/** A policy's config on header routing, disabled: what the restore writes (everything else sent as read). */
export function withHeaderRoutingDisabled(config: PolicyState['config'], header: StagingHeader): PolicyState['config'] {
  return { ...withHeaderRouting(config, header), Enabled: false };
}

/**
 * A plan that says done, with the header restore added first (before the prune) when `RampHeader` is set and the
 * policy as read needs it. Only once the promotion is complete — the pass that plans done, where the prune runs too —
 * and only for the policy promote was given (`ContinuousDeploymentPolicyId`), when it names one.
 */
export function withHeaderRestore<P extends PromotePassPlan>(
  plan: P,
  header: StagingHeader | undefined,
  policy: PolicyState | undefined,
  expectedPolicyId?: string,
): P {
  if (plan.next.kind !== 'done' || (plan.kind !== 'finishing' && plan.kind !== 'already-promoted')) return plan;
  if (expectedPolicyId && policy && policy.id !== expectedPolicyId) return plan;
  const change = planHeaderRestore(policy, header);
  return change ? { ...plan, changes: [change, ...plan.changes] } : plan;
}

/** Plans the end of a promotion from the primary as read and, once it is Deployed, its invalidations since. */
export function planFinish(primary: DistributionState, cache: CacheState | undefined, paths: string[]): FinishPlan {
  if (!isDeployed(primary) || !cache) return { changes: [], next: awaitPrimary(primary.id) };
  const decision = decideCache(primary, cache, paths, 'primary');
  const waitForInvalidation = (what: string) =>
    waitFor(PHASE.invalidating, `the edge-cache invalidation of primary ${primary.id} (${what}) to be Completed`, []);
  switch (decision.kind) {
    case 'off':
    case 'completed':
      return { changes: [], next: DONE, cache: decision };
    case 'in-progress':
      return { changes: [], next: waitForInvalidation(decision.invalidationId), cache: decision };
    case 'invalidate':
      return { changes: [decision.change], next: waitForInvalidation(paths.join(' ')), cache: decision };
  }
}

/** An already-promoted primary: the promotion's facts, and what is left of it (its propagation, then its cache). */
export type AlreadyPromotedPlan = Omit<Extract<PromotePlan, { kind: 'already-promoted' }>, 'changes' | 'next'> &
  FinishPlan;

/** A `promoted` or `invalidating` pass: the promotion is done, only its end is watched. Never promotes. */
export type FinishingPlan = FinishPlan & { kind: 'finishing'; reason: string };

/** What one pass of promote applies. */
export type PromotePassPlan = Exclude<PromotePlan, { kind: 'already-promoted' }> | AlreadyPromotedPlan | FinishingPlan;

/**
 * The plan of a pass that has not promoted yet: the decision, and for a primary that already carries the staging's
 * config, what is left of the promotion — planned in the same pass, so that a re-run after a promotion finishes it.
 * `cache` is the primary's invalidations, read only when it already carries the config and is Deployed.
 */
export function planPromotion(
  state: PromoteState,
  decision: PromotePlan,
  cache: CacheState | undefined,
  paths: string[],
): PromotePassPlan {
  if (decision.kind !== 'already-promoted' || decision.next.kind !== 'done') return decision;
  const { changes: _changes, next: _next, ...promoted } = decision;
  return { ...promoted, ...planFinish(state.primary, cache, paths) };
}

/** What a `promoted` or `invalidating` pass reads: the primary, the staging (gone is fine), and the invalidations. */
export interface FinishingState {
  primary: DistributionState;
  staging: DistributionState | undefined;
  /** The primary's invalidations, read once it is Deployed (empty when `InvalidationPaths` is `[]`). */
  cache: CacheState | undefined;
  /**
   * The policy attached to the primary, read only when the staging no longer proves the promotion
   * ({@link stagingProvesPromotion}); undefined when none is attached or it was not needed.
   */
  policy?: PolicyState | undefined;
}

/**
 * True when the live staging proves the promotion by itself: the primary carries its config, and it is still the
 * staging the reviewer approved (`ExpectedStagingETag`, from the parameters or pinned in the token).
 */
export function stagingProvesPromotion(
  primary: DistributionState,
  staging: DistributionState | undefined,
  expectedStagingEtag: string | undefined,
): boolean {
  return Boolean(
    staging &&
      carriesSameConfig(primary.config, staging.config) &&
      (!expectedStagingEtag || staging.etag === expectedStagingEtag),
  );
}

/**
 * The end of a promotion an earlier invocation made or found. The token is a bookmark, not an authority: before the
 * primary's cache is invalidated and the promotion reported as what production serves, the live state must prove it.
 * Either the primary carries the config of the staging that was reviewed, or — the staging changed since, e.g. a
 * newer execution's Deploy — the primary still has the ETag the promotion left AND no enabled policy attached:
 * CloudFront disables the policy as part of a promotion, so a primary that still splits viewers was not promoted,
 * whatever ETag a token names (anyone who can read the primary can copy its ETag into a token).
 */
export function planFinishing(
  { primary, staging, cache, policy }: FinishingState,
  stagingId: string,
  etagAfterPromote: string | undefined,
  paths: string[],
  expectedStagingEtag?: string,
): FinishingPlan {
  const carries = stagingProvesPromotion(primary, staging, expectedStagingEtag);
  const unchanged = etagAfterPromote === primary.etag;
  if (!carries && unchanged && policy?.config.Enabled) {
    throw new StateCheckError(
      (w) =>
        `primary ${primary.id} has continuous deployment policy ${policy.id} attached and enabled, which a ` +
        `promotion disables, and does not carry the reviewed config of staging ${stagingId}: no promotion happened, ` +
        `whatever ${w.token} says. Nothing was invalidated or reported as promoted. ${sentence(w.rerun)} without ` +
        'the token: it checks the live state before promoting.',
    );
  }
  if (!carries && !unchanged) {
    const gone = staging ? '' : ' (which no longer exists)';
    const left = etagAfterPromote ? ` (${etagAfterPromote})` : '';
    const reviewed = expectedStagingEtag ? ` as reviewed (ETag ${expectedStagingEtag})` : '';
    throw new StateCheckError(
      `primary ${primary.id} no longer carries the config of staging ${stagingId}${gone}${reviewed} and its ETag ` +
        `${primary.etag} is not the one the promotion left${left}: another writer changed it while promote waited, ` +
        'so this job cannot report the promotion as what production serves. Nothing was invalidated. ' +
        'Check the primary with cfcd status, then re-run the release.',
    );
  }
  const finish = planFinish(primary, cache, paths);
  const reason = carries
    ? `primary ${primary.id} still carries the config of staging ${stagingId}`
    : `primary ${primary.id} still has the ETag the promotion left`;
  return { kind: 'finishing', reason, ...finish };
}
