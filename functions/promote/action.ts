/**
 * promote: after the manual approval, copy the staging config onto the primary (one-way, production).
 * read (primary ‖ staging, then the policy ‖ the gate's metrics) → decide → write → outcome from the decision, which
 * waits for the primary to be Deployed via continuation, then invalidates the primary's edge caches and waits for the
 * invalidation to be Completed: only then do viewers get the promoted release. The `promoted` and `invalidating`
 * continuations only finish that: they never promote.
 */
import { UpdateDistributionWithStagingConfigCommand } from '@aws-sdk/client-cloudfront';
import { type PlanSteps, applyPlan } from '../../shared/aws/apply-plan.js';
import { awsCall } from '../../shared/aws/call.js';
import { cloudFront } from '../../shared/aws/clients/cloudfront.js';
import {
  readDistribution,
  readDistributionIfExists,
  readPolicy,
  readPolicyIfExists,
} from '../../shared/aws/cloudfront.js';
import { carriesSameConfig } from '../../shared/domain/config-diff.js';
import { invalidateLogged, startCacheRead } from '../../shared/aws/invalidations.js';
import { type CanaryTraffic, readCanaryTraffic } from '../../shared/aws/metrics.js';
import {
  type CacheDecision,
  type CacheState,
  INVALIDATION_OFF_WARNING,
  invalidationIdOf,
} from '../../shared/domain/invalidation.js';
import { DONE, describePlan, waitFor } from '../../shared/domain/plan.js';
import { attachedPolicyId } from '../../shared/domain/distribution-config.js';
import { StateCheckError, step } from '../../shared/domain/errors.js';
import type { DistributionState } from '../../shared/domain/resources.js';
import { distributionLogFields, isDeployed } from '../../shared/domain/resources.js';
import type { MetricsWindow } from '../../shared/domain/traffic-metrics.js';
import type { Action, ContinuationData, JobContext, Outcome } from '../../shared/job/runner.js';
import { waitingOutcome } from '../../shared/job/runner.js';
import type { Logger } from '../../shared/log.js';
import { type GateParams, gateVariables } from '../../shared/domain/gate.js';
import { type PromoteParams, parsePromoteParams } from './params.js';
import { PHASE, PHASES, type PromotePhase } from './phases.js';
import {
  type GateReading,
  type PromoteChange,
  type PromoteDecision,
  type PromotePlan,
  type PromoteState,
  decide,
  planFinish,
  promotableApartFromPolicy,
} from './plan.js';
import { type PromotionFacts, factsFromData, factsToData, successVariables } from './result.js';

type PromoteContext = JobContext<PromoteParams, PromotePhase>;
type PromoteOutcome = Outcome<PromotePhase>;

/** The state and, once it is known to be needed, the gate's traffic read (at most one per invocation). */
interface Read {
  state: PromoteState;
  traffic: Promise<CanaryTraffic> | undefined;
}

/**
 * Reads primary and staging in parallel, then the policy the primary names — or all three in one round when the
 * policy id is a parameter. When primary and staging show a promotion is coming and the gate is on, the metrics read
 * starts beside the policy read, as a plain promise; it is dropped unused (a failure of it included) should the
 * decision not get that far.
 */
async function readState(
  params: PromoteParams,
  log: Logger,
  traffic: Promise<CanaryTraffic> | undefined,
): Promise<Read> {
  const [primary, staging, named] = await Promise.all([
    readDistribution(params.primaryId),
    readDistribution(params.stagingId),
    // Gone after a teardown is fine: a re-run after the promotion must still see "already promoted".
    params.policyId ? readPolicyIfExists(params.policyId) : undefined,
  ]);
  const { gate } = params;
  if (gate && !traffic && promotableApartFromPolicy(primary, staging)) {
    traffic = step('read staging traffic from CloudWatch', () => readCanaryTraffic(gate, primary, staging));
    traffic.catch(() => undefined);
  }
  const policyId = attachedPolicyId(primary.config);
  // The named policy counts only if it is the one attached; decide() refuses a primary with another (or none).
  const policy = params.policyId
    ? policyId === params.policyId
      ? named
      : undefined
    : policyId
      ? await readPolicy(policyId)
      : undefined;
  log.info('state-read', {
    primary: distributionLogFields(primary),
    staging: distributionLogFields(staging),
    policy: policy
      ? {
          id: policy.id,
          etag: policy.etag,
          enabled: policy.config.Enabled,
          stagingDomains: policy.config.StagingDistributionDnsNames?.Items ?? [],
        }
      : null,
  });
  const expected = {
    ...(params.policyId ? { expectedPolicyId: params.policyId } : {}),
    ...(params.expectedStagingEtag ? { expectedStagingEtag: params.expectedStagingEtag } : {}),
  };
  return { state: { primary, staging, policy, ...expected }, traffic };
}

/** The gate's figures settled, so that the decision, not the read, says whether a failed read matters. */
async function settle(
  traffic: Promise<CanaryTraffic> | undefined,
): Promise<(GateReading & { window?: MetricsWindow }) | undefined> {
  if (!traffic) return undefined;
  return traffic.then(
    ({ figures, window }) => ({ ok: true as const, figures, window }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Logs the gate's figures and verdict: the figures first, they are what the operator looks for. */
function logGate(
  gate: GateParams,
  decision: PromoteDecision,
  reading: Awaited<ReturnType<typeof settle>>,
  log: Logger,
) {
  const verdict = 'gate' in decision ? decision.gate : undefined;
  if (!verdict || !reading?.ok) return;
  const { figures, window } = reading;
  log.info('gate', {
    decision: verdict.kind,
    ...gateVariables(figures),
    ...(figures.primary ? { PrimaryRequests: String(figures.primary.requests) } : {}),
    thresholds: {
      MinStagingRequests: gate.minStagingRequests ?? null,
      MaxStaging5xxErrorRate: gate.maxStaging5xxErrorRate ?? null,
      MaxErrorRateIncrease: gate.maxErrorRateIncrease ?? null,
    },
    ...(window ? { window: { start: window.start.toISOString(), end: window.end.toISOString() } } : {}),
  });
}

/** UpdateDistributionWithStagingConfig: `If-Match` carries both ETags, primary first. Returns the primary's new ETag. */
async function promoteStagingConfig(change: PromoteChange): Promise<string | undefined> {
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

function succeed(
  ctx: PromoteContext,
  facts: PromotionFacts,
  primaryEtag: string,
  cache: CacheDecision | undefined,
): PromoteOutcome {
  const invalidationId = invalidationIdOf(cache);
  const outputVariables = {
    ...successVariables(facts, primaryEtag, ctx.params.stagingId),
    InvalidationId: invalidationId ?? 'none',
  };
  ctx.log.info('outcome', { result: 'promoted-and-deployed', ...outputVariables });
  const viewers = invalidationId
    ? `its edge caches were invalidated (${invalidationId}, Completed)`
    : 'its edge caches were NOT invalidated (InvalidationPaths is []): viewers may get the previous release until its objects expire';
  return {
    kind: 'succeeded',
    summary: `primary ${ctx.params.primaryId} serves the config of staging ${ctx.params.stagingId}, is Deployed, and ${viewers}`,
    outputVariables,
  };
}

/**
 * The end of a promotion, in every invocation that gets there: once the primary is Deployed, invalidate its edge
 * caches (unless ours for its current config already exists: a repeated delivery or a re-run makes no second one)
 * and succeed only when the invalidation is Completed. Until then, wait via continuation. `remembered` is the id an
 * earlier invocation created, read again from CloudFront rather than trusted.
 */
async function finish(
  ctx: PromoteContext,
  facts: PromotionFacts,
  primary: DistributionState,
  cacheRead = ctx.params.invalidationPaths.length ? startCacheRead(primary.id) : undefined,
  remembered?: string,
): Promise<PromoteOutcome> {
  const paths = ctx.params.invalidationPaths;
  const cache: CacheState | undefined = !isDeployed(primary)
    ? undefined
    : cacheRead
      ? await step("read the primary's invalidations", () => cacheRead.finish(primary, paths, remembered))
      : { distributionId: primary.id, since: [] };
  const plan = planFinish(primary, cache, paths);
  ctx.log.info('plan', { stage: 'after-promotion', ...describePlan(plan), cache: plan.cache ?? null });
  if (plan.cache?.kind === 'off') ctx.log.warn('invalidation-off', { reason: INVALIDATION_OFF_WARNING });
  let { next, cache: decision } = plan;
  let invalidationId: string | undefined;
  for (const change of plan.changes) {
    const created = await step("invalidate the primary's edge caches", () => invalidateLogged(change, ctx.log));
    if (created.kind === 'deferred') {
      next = waitFor(PHASE.invalidating, `${created.reason}; retrying until MaxWaitMinutes`, []);
      continue;
    }
    invalidationId = created.invalidation.id;
    // CloudFront answers a CallerReference it knows with the invalidation it already made: if that one is Completed
    // (our read missed it), the wait is over.
    if (created.invalidation.status === 'Completed') {
      next = DONE;
      decision = { kind: 'completed', invalidationId };
    }
  }
  if (next.kind === 'wait')
    return waitingOutcome(next, { ...factsToData(facts), ...(invalidationId ? { invalidationId } : {}) });
  return succeed(ctx, facts, primary.etag, decision);
}

/** The outcome, from the decision alone (and the primary's ETag the promotion returned, if this run promoted). */
async function outcomeOf(
  ctx: PromoteContext,
  decision: PromotePlan,
  state: PromoteState,
  etagAfterPromote?: string,
): Promise<PromoteOutcome> {
  if (decision.kind === 'already-promoted' && decision.facts.policyEnabled === 'true') {
    ctx.log.warn('policy-still-enabled', {
      policyId: state.policy?.id,
      reason: 'nothing was promoted in this run, so CloudFront did not disable the policy',
    });
  }
  const facts =
    'facts' in decision ? { ...decision.facts, ...(etagAfterPromote ? { etagAfterPromote } : {}) } : undefined;
  // Done only when the primary already carried the staging config and is Deployed: its cache may still need work.
  if (decision.next.kind === 'done') return finish(ctx, facts as PromotionFacts, state.primary);
  return waitingOutcome(decision.next, facts && factsToData(facts));
}

/** What a promotion wrote: the primary's new ETag, for the report and the `promoted` continuation. */
interface Receipt {
  etagAfterPromote?: string | undefined;
}

/**
 * How promote reads, decides and writes: the job's run and a dry run (`cfcd plan promote`) share it. The gate's
 * metrics read is started by the read (at most once) and awaited, settled, by the decision.
 */
export function promoteSteps(
  params: PromoteParams,
  log: Logger,
  receipt: Receipt = {},
): PlanSteps<PromoteState, PromotePlan> {
  let traffic: Promise<CanaryTraffic> | undefined;
  return {
    read: async () => {
      const r = await readState(params, log, traffic);
      traffic = r.traffic;
      return r.state;
    },
    plan: async (s) => {
      // The reading is settled, not awaited as is: a failed read matters only if the decision gets to the gate.
      const reading = await settle(traffic);
      const decision = decide(s, params.gate && { params: params.gate, reading });
      if (params.gate) logGate(params.gate, decision, reading, log);
      if (decision.kind === 'refuse') throw new StateCheckError(decision.reason);
      if (decision.kind === 'promote' && decision.warning) log.warn('promote-warning', { warning: decision.warning });
      return decision;
    },
    write: async (change, s) => {
      receipt.etagAfterPromote = await promoteStagingConfig(change);
      log.info('write', {
        operation: 'UpdateDistributionWithStagingConfig',
        primaryId: change.primaryId,
        stagingId: change.stagingId,
        primaryEtag: s.primary.etag,
        stagingEtag: s.staging.etag,
        ifMatch: change.ifMatch,
        newPrimaryEtag: receipt.etagAfterPromote ?? null,
        changes: change.diff,
        // CloudFront disables the policy as part of the promotion: all traffic is back on the primary.
        policyDisabled: s.policy?.id ?? null,
      });
      return true;
    },
    stepName: () => 'promote the staging config onto the primary',
    describe: (decision) => ({ decision: decision.kind, reason: decision.reason }),
  };
}

async function promote(ctx: PromoteContext): Promise<PromoteOutcome> {
  const receipt: Receipt = {};
  const steps = promoteSteps(ctx.params, ctx.log, receipt);
  const initial = await step('read primary, staging and policy', () => steps.read());
  const { state, plan } = await applyPlan(steps, initial, ctx.log, ctx.approve);
  return outcomeOf(ctx, plan, state, receipt.etagAfterPromote);
}

/**
 * A `promoted` or `invalidating` continuation: the promotion is done; watch the primary propagate, then its cache
 * invalidation. Never promotes again. The token is a bookmark: before invalidating and reporting success, the live
 * primary must still carry the staging's config (or still have the ETag our promotion gave it).
 */
async function finishPromotion(ctx: PromoteContext, data: ContinuationData | undefined): Promise<PromoteOutcome> {
  const facts = factsFromData(data);
  const { primaryId, stagingId } = ctx.params;
  // The invalidations' first request goes out beside the distributions' reads: it needs no answer of theirs.
  const cacheRead = ctx.params.invalidationPaths.length ? startCacheRead(primaryId) : undefined;
  const [primary, staging] = await step('read the promoted primary and the staging', () =>
    Promise.all([readDistribution(primaryId), readDistributionIfExists(stagingId)]),
  );
  ctx.log.info('state-read', {
    primary: distributionLogFields(primary),
    staging: staging ? distributionLogFields(staging) : null,
  });
  const unchanged = facts.etagAfterPromote === primary.etag;
  if (!unchanged && !(staging && carriesSameConfig(primary.config, staging.config))) {
    throw new StateCheckError(
      `primary ${primaryId} no longer carries the config of staging ${stagingId}${staging ? '' : ' (which no longer exists)'} and its ETag ${primary.etag} is not the one the promotion left${facts.etagAfterPromote ? ` (${facts.etagAfterPromote})` : ''}: another writer changed it while promote waited, so this job cannot report the promotion as what production serves. Nothing was invalidated. Check the primary with cfcd status, then re-run the release.`,
    );
  }
  if (!unchanged && facts.etagAfterPromote) {
    ctx.log.warn('primary-changed-since-promotion', {
      etagAfterPromote: facts.etagAfterPromote,
      etagNow: primary.etag,
      reason: 'another writer updated the primary after the promotion; it still carries the staging config',
    });
  }
  const remembered = typeof data?.invalidationId === 'string' ? data.invalidationId : undefined;
  return finish(ctx, facts, primary, cacheRead, remembered);
}

async function run(ctx: PromoteContext): Promise<PromoteOutcome> {
  const { continuation } = ctx;
  if (continuation?.phase === PHASE.promoted || continuation?.phase === PHASE.invalidating)
    return finishPromotion(ctx, continuation.data);
  return promote(ctx);
}

/** The promote CodePipeline action. */
export const promoteAction: Action<PromoteParams, PromotePhase> = {
  name: 'promote',
  parseParams: parsePromoteParams,
  maxWaitMinutes: (p) => p.maxWaitMinutes,
  phases: PHASES,
  run,
};
