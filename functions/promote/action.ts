/**
 * promote, declared: after the manual approval, copy the staging config onto the primary (one-way, production).
 * read (primary ‖ staging, then the policy ‖ the gate's metrics) → decide → write → wait for the primary
 * to be Deployed via continuation, then invalidate the primary's edge caches and wait for the invalidation to be
 * Completed: only then do viewers get the promoted release. The `promoted` and `invalidating` passes only finish
 * that: they never promote. The driver (shared/job/driver.ts) runs it from CodePipeline and from cfcd.
 */
import type { PlanSteps, WriteResult } from '../../shared/aws/apply-plan.js';
import { awsErrorOf } from '../../shared/aws/call.js';
import {
  promoteStagingConfig,
  readDistribution,
  readDistributionIfExists,
  readPolicy,
  readPolicyIfExists,
} from '../../shared/aws/cloudfront.js';
import { carriesSameConfig } from '../../shared/domain/config-diff.js';
import { type CacheRead, invalidationWrite, startCacheRead } from '../../shared/aws/invalidations.js';
import { type CanaryTraffic, readCanaryTraffic } from '../../shared/aws/metrics.js';
import {
  type CacheDecision,
  type CacheState,
  INVALIDATION_OFF_WARNING,
  invalidationIdOf,
} from '../../shared/domain/invalidation.js';
import { attachedPolicyId } from '../../shared/domain/distribution-config.js';
import { StateCheckError, step } from '../../shared/domain/errors.js';
import type { DistributionState } from '../../shared/domain/resources.js';
import { distributionLogFields, isDeployed } from '../../shared/domain/resources.js';
import type { MetricsWindow } from '../../shared/domain/traffic-metrics.js';
import { ContinuationError } from '../../shared/job/continuation.js';
import type { ActionDefinition, Memory } from '../../shared/job/driver.js';
import type { Logger } from '../../shared/log.js';
import { emitMetrics, secondsBetween } from '../../shared/metrics-emf.js';
import { type GateParams, gateVariables } from '../../shared/domain/gate.js';
import { type PromoteParams, parameterNames, parsePromoteParams } from './params.js';
import { PHASE, PHASES, type PromotePhase } from './phases.js';
import {
  type FinishingState,
  type GateReading,
  type PromoteChange,
  type PromoteDecision,
  type PromotePassPlan,
  type PromoteState,
  decide,
  planFinishing,
  planHeaderRestore,
  planPromotion,
  promotableApartFromPolicy,
  stagingProvesPromotion,
  withHeaderRestore,
  withPrune,
} from './plan.js';
import { pruneWrite } from './prune.js';
import { restoreHeaderWrite, restoreSentence } from './restore.js';
import { writeRecord } from '../../shared/aws/revert-record.js';
import { buildRecord, recordKey, recordedCommits } from '../../shared/revert/record.js';
import {
  type PromotionFacts,
  factsFromData,
  factsToData,
  pruneOutcome,
  pruneReportFromData,
  successVariables,
} from './result.js';

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

/** What a pass reads: before the promotion, the decision's state; after it, what is left to watch. */
type PromotePassState =
  | ({ kind: 'deciding'; cache: CacheState | undefined } & PromoteState)
  | ({ kind: 'finishing' } & FinishingState);

/** The primary's invalidations, once it is Deployed; none to read when `InvalidationPaths` is `[]`. */
async function readCache(
  primary: DistributionState,
  paths: string[],
  cacheRead: CacheRead | undefined,
  remembered: string | undefined,
): Promise<CacheState | undefined> {
  if (!isDeployed(primary)) return undefined;
  if (!cacheRead) return { distributionId: primary.id, since: [] };
  return step("read the primary's invalidations", () => cacheRead.finish(primary, paths, remembered));
}

/**
 * A `promoted` or `invalidating` pass's read. The invalidations' first request goes out beside the distributions'.
 * The policy attached to the primary is read only when the staging no longer proves the promotion (planFinishing).
 */
async function readFinishing(params: PromoteParams, remembered: string | undefined, log: Logger) {
  const { primaryId, stagingId, invalidationPaths: paths } = params;
  const cacheRead = paths.length ? startCacheRead(primaryId) : undefined;
  const [primary, staging] = await step('read the promoted primary and the staging', () =>
    Promise.all([readDistribution(primaryId), readDistributionIfExists(stagingId)]),
  );
  const attached = attachedPolicyId(primary.config);
  // With RampHeader the policy is also read once the primary is Deployed: the pass that plans done may restore it.
  const policy =
    attached &&
    (!stagingProvesPromotion(primary, staging, params.expectedStagingEtag) ||
      (params.rampHeader && isDeployed(primary)))
      ? await step("read the primary's policy", () => readPolicyIfExists(attached))
      : undefined;
  log.info('state-read', {
    primary: distributionLogFields(primary),
    staging: staging ? distributionLogFields(staging) : null,
    ...(policy ? { policy: { id: policy.id, etag: policy.etag, enabled: policy.config.Enabled } } : {}),
  });
  const cache = await readCache(primary, paths, cacheRead, remembered);
  return { kind: 'finishing' as const, primary, staging, cache, policy };
}

/**
 * What promote keeps between invocations: the promotion's facts, the ETag it left, the invalidation it made, and the
 * staging ETag the release was reviewed (or, in cfcd, confirmed) with — so that a resumed job is pinned as the first.
 */
type PromoteMemory = Memory &
  Partial<Record<keyof ReturnType<typeof factsToData>, string>> & {
    expectedStagingEtag?: string;
    /** The revert record's key, once written before the promotion (`RevertRecordBucket`). */
    revertRecord?: string;
    /** The commits the record goes back to, comma-separated: the prune keeps their folders. */
    revertCommits?: string;
  };

/**
 * The parameters a pass runs with: `ExpectedStagingETag` as given or, left out, as the token pinned it. A token can
 * only add this check, never lift it: a token pinned to another ETag than the parameter is refused.
 */
export function pinnedParams(params: PromoteParams, memory: PromoteMemory): PromoteParams {
  const pinned = memory.expectedStagingEtag;
  if (!pinned || pinned === params.expectedStagingEtag) return params;
  if (params.expectedStagingEtag) {
    throw new ContinuationError(
      (w) =>
        `${w.token} is pinned to staging ETag ${pinned}, but ${w.param('ExpectedStagingETag')} is ` +
        `${params.expectedStagingEtag}: the token belongs to another release. Nothing was promoted; ` +
        `${w.rerun} without the token.`,
    );
  }
  return { ...params, expectedStagingEtag: pinned };
}

/**
 * How promote reads, decides and writes: the job's passes and a dry run (`cfcd plan promote`) share it. The gate's
 * metrics read is started by the read (at most once) and awaited, settled, by the decision.
 */
export function promoteSteps(
  given: PromoteParams,
  log: Logger,
  phase?: PromotePhase,
  memory: PromoteMemory = {},
): PlanSteps<PromotePassState, PromotePassPlan> {
  const params = pinnedParams(given, memory);
  const finishing = phase === PHASE.promoted || phase === PHASE.invalidating;
  const paths = params.invalidationPaths;
  const ids = { primaryId: params.primaryId, stagingId: params.stagingId };
  let traffic: Promise<CanaryTraffic> | undefined;
  return {
    read: async () => {
      if (finishing) return readFinishing(params, memory.invalidationId, log);
      const r = await readState(params, log, traffic);
      traffic = r.traffic;
      const { primary, staging } = r.state;
      // Already promoted: what is left is the primary's cache, read as soon as it is Deployed.
      const cacheRead =
        paths.length && carriesSameConfig(primary.config, staging.config) && isDeployed(primary)
          ? startCacheRead(primary.id)
          : undefined;
      const cache = carriesSameConfig(primary.config, staging.config)
        ? await readCache(primary, paths, cacheRead, undefined)
        : undefined;
      return { kind: 'deciding' as const, ...r.state, cache };
    },
    plan: async (s) => {
      if (s.kind === 'finishing') {
        const plan = planFinishing(s, params.stagingId, memory.etagAfterPromote, paths, params.expectedStagingEtag);
        if (memory.etagAfterPromote && memory.etagAfterPromote !== s.primary.etag) {
          log.warn('primary-changed-since-promotion', {
            etagAfterPromote: memory.etagAfterPromote,
            etagNow: s.primary.etag,
            reason: 'another writer updated the primary after the promotion; it still carries the staging config',
          });
        }
        if (plan.cache?.kind === 'off') log.warn('invalidation-off', { reason: INVALIDATION_OFF_WARNING });
        const pruned = withPrune(plan, params.prune, ids, protectedCommits(memory), params.recordBucket);
        return withHeaderRestore(pruned, params.rampHeader, s.policy, params.policyId);
      }
      // The reading is settled, not awaited as is: a failed read matters only if the decision gets to the gate.
      const reading = await settle(traffic);
      const decision = decide(s, params.gate && { params: params.gate, reading });
      if (params.gate) logGate(params.gate, decision, reading, log);
      if (decision.kind === 'refuse') throw new StateCheckError(decision.reason);
      if (decision.kind === 'promote' && decision.warning) log.warn('promote-warning', { warning: decision.warning });
      if (decision.kind === 'already-promoted' && decision.facts.policyEnabled === 'true') {
        log.warn('policy-still-enabled', {
          policyId: s.policy?.id,
          reason: 'nothing was promoted in this run, so CloudFront did not disable the policy',
        });
      }
      const plan = planPromotion(s, decision, s.cache, paths);
      if ('cache' in plan && plan.cache?.kind === 'off')
        log.warn('invalidation-off', { reason: INVALIDATION_OFF_WARNING });
      const pruned = withPrune(plan, params.prune, ids, protectedCommits(memory), params.recordBucket);
      return withHeaderRestore(pruned, params.rampHeader, s.policy, params.policyId);
    },
    write: async (change, s) => {
      // An invalidation CloudFront answers Completed at once ends the wait, unless the prune or the header restore
      // is still to come: they run on the pass that plans done, so that pass comes next (one more invocation, no
      // wait).
      if (change.kind === 'invalidate-cache') {
        const restore = planHeaderRestore(s.policy, params.rampHeader);
        const completedEndsWait = !params.prune && !restore;
        return invalidationWrite(change, log, { memoryKey: 'invalidationId', completedEndsWait });
      }
      if (change.kind === 'prune-releases') return pruneWrite(change, log);
      if (change.kind === 'restore-header-routing') return restoreHeaderWrite(change, s.policy, log);
      return promoteWrite(change, s, log, params.recordBucket);
    },
    stepName: (change) =>
      change.kind === 'invalidate-cache'
        ? "invalidate the primary's edge caches"
        : change.kind === 'prune-releases'
          ? 'prune old release folders'
          : change.kind === 'restore-header-routing'
            ? 'put the disabled policy back on header routing'
            : 'promote the staging config onto the primary',
    // After the promotion only the primary's propagation and its cache are left: no decision to show, the cache.
    describe: (plan) =>
      plan.kind === 'finishing'
        ? { stage: 'after-promotion', cache: plan.cache ?? null }
        : {
            decision: plan.kind,
            reason: plan.reason,
            ...(plan.kind === 'already-promoted' ? { stage: 'after-promotion', cache: plan.cache ?? null } : {}),
          },
  };
}

/** The commits the revert record of this job goes back to (the prune must keep their folders). */
const protectedCommits = (memory: PromoteMemory) => (memory.revertCommits ? memory.revertCommits.split(',') : []);

/**
 * Records what the promotion replaces (`RevertRecordBucket`), before it: a promotion that cannot be recorded is not
 * made. Returns what the later passes remember of it.
 */
async function recordReplaced(bucket: string, s: PromotePassState, log: Logger): Promise<Record<string, string>> {
  if (s.kind !== 'deciding') throw new Error('promote: a finishing pass never promotes');
  const now = new Date();
  const record = buildRecord(s.primary, s.staging, now);
  const key = recordKey(s.primary, now);
  try {
    await writeRecord(bucket, key, record);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const { name, httpStatus } = awsErrorOf(err);
    const denied = name === 'AccessDenied' || httpStatus === 403;
    // A refusal names the permission; anything else (throttling, a 5xx, the network) is worth a re-run as it is.
    const next = denied
      ? `Let promote's role put objects under cfcd-revert/ in ${bucket} (RevertRecordBucket), or leave ` +
        'RevertRecordBucket empty to promote without a way back, then re-run the action.'
      : name === 'NoSuchBucket'
        ? `RevertRecordBucket names no bucket (${bucket}): give the pipeline's artifact bucket.`
        : 'Re-run the action: the record is written again before any promotion.';
    throw new StateCheckError(
      `could not write the revert record s3://${bucket}/${key} (${why}); ` +
        `nothing was promoted: primary ${s.primary.id} keeps its config. ${next}`,
      { cause: err },
    );
  }
  const commits = recordedCommits(record);
  log.info('revert-recorded', {
    bucket,
    key,
    replacedEtag: record.replaced.etag,
    originPaths: record.replaced.originPaths,
    promotedConfigHash: record.promoted.configHash,
  });
  return { revertRecord: key, ...(commits.length ? { revertCommits: commits.join(',') } : {}) };
}

/**
 * The promotion itself, logged with both ETags and what it changes; remembers the primary's new ETag. With
 * `RevertRecordBucket`, the record of what it replaces is written first.
 */
async function promoteWrite(
  change: PromoteChange,
  s: PromotePassState,
  log: Logger,
  recordBucket: string | undefined,
): Promise<WriteResult> {
  const recorded = recordBucket ? await recordReplaced(recordBucket, s, log) : {};
  const newEtag = await promoteStagingConfig(change);
  log.info('write', {
    operation: 'UpdateDistributionWithStagingConfig',
    primaryId: change.primaryId,
    stagingId: change.stagingId,
    primaryEtag: s.primary.etag,
    stagingEtag: s.kind === 'deciding' ? s.staging.etag : null,
    ifMatch: change.ifMatch,
    newPrimaryEtag: newEtag ?? null,
    changes: change.diff,
    // CloudFront disables the policy as part of the promotion: all traffic is back on the primary.
    policyDisabled: s.kind === 'deciding' ? (s.policy?.id ?? null) : null,
  });
  return { wrote: true, remember: { ...recorded, ...(newEtag ? { etagAfterPromote: newEtag } : {}) } };
}

/** The report once the primary serves the promoted config, is Deployed, and its invalidation is Completed. */
function summarise(
  params: PromoteParams,
  state: PromotePassState,
  plan: PromotePassPlan,
  memory: PromoteMemory,
  log: Logger,
): { summary: string; outputVariables: Record<string, string> } {
  const facts: PromotionFacts = 'facts' in plan ? plan.facts : factsFromData(memory);
  // CloudFront answered our CallerReference with an invalidation already Completed: that one is the answer.
  const cache: CacheDecision | undefined =
    'cache' in plan && plan.cache?.kind === 'invalidate' && memory.invalidationId
      ? { kind: 'completed', invalidationId: memory.invalidationId }
      : 'cache' in plan
        ? plan.cache
        : undefined;
  const invalidationId = invalidationIdOf(cache);
  // The prune's report is this pass's own: only a plan with the prune in it ran it (a token cannot claim one).
  const pruned =
    params.prune &&
    pruneOutcome(
      plan.changes.some((c) => c.kind === 'prune-releases') ? pruneReportFromData(memory) : { outcome: 'not-run' },
      {
        bucket: params.prune.bucket,
        primaryId: params.primaryId,
        stagingId: params.stagingId,
        recordBucket: params.recordBucket,
      },
    );
  // Like the prune's, the restore's report is this pass's own: only a plan with the restore in it made it.
  const restore = plan.changes.find((c) => c.kind === 'restore-header-routing');
  const restored = restore ? restoreSentence(restore, memory) : '';
  const outputVariables = {
    ...successVariables(facts, state.primary.etag, params.stagingId),
    InvalidationId: invalidationId ?? 'none',
    ...(pruned ? { Pruned: pruned.variable } : {}),
    // The bake reads the record by this key; 'none' when this job did not promote (nothing of its own to revert).
    ...(params.recordBucket ? { RevertRecord: memory.revertRecord ?? 'none' } : {}),
  };
  log.info('outcome', { result: 'promoted-and-deployed', ...outputVariables });
  // This job promoted when it left an ETag behind; the invalidation is this job's when it remembers one it made.
  const promoted = facts.etagAfterPromote !== undefined;
  const made = memory.invalidationId ? state.cache?.since.find((i) => i.id === memory.invalidationId) : undefined;
  emitMetrics(
    { action: 'promote', primaryId: params.primaryId },
    {
      Steps: memory.written ? memory.written.split(',').length : 0,
      Promotions: Number(promoted),
      ...(promoted && facts.gate ? { GatePassed: 1 } : {}),
      // From the release's arrival on staging to the promotion (the primary's last change): the canary's length,
      // enable-cd's propagation wait included. Unknown when the staging is gone or this job did not promote.
      ...(promoted
        ? { CanaryDurationSeconds: secondsBetween(state.staging?.lastModified, state.primary.lastModified) }
        : {}),
      ...(made ? { PrimaryInvalidationSeconds: secondsBetween(made.createTime, Date.now()) } : {}),
    },
  );
  const viewers = invalidationId
    ? `its edge caches were invalidated (${invalidationId}, Completed)`
    : 'its edge caches were NOT invalidated (InvalidationPaths is []): viewers may get the previous release until ' +
      'its objects expire';
  return {
    summary:
      `primary ${params.primaryId} serves the config of staging ${params.stagingId}, ` +
      `is Deployed, and ${viewers}${pruned ? `. ${pruned.sentence}` : ''}${restored ? `. ${restored}` : ''}`,
    outputVariables,
  };
}

export const promoteAction: ActionDefinition<
  PromoteParams,
  PromotePassState,
  PromotePassPlan,
  PromotePhase,
  PromoteMemory
> = {
  name: 'promote',
  parameterNames,
  parseParams: parsePromoteParams,
  maxWaitMinutes: (p) => p.maxWaitMinutes,
  phases: PHASES,
  readMemory: (phase, data) => {
    // A pass after the promotion reports its facts: a token without them was not written by this version.
    if (phase === PHASE.promoted || phase === PHASE.invalidating) factsFromData(data);
    return { ...data };
  },
  readStep: 'read primary, staging and policy',
  steps: ({ params, phase, memory, log }) => promoteSteps(params, log, phase, memory),
  remember: ({ plan, input }) => {
    const pinned = pinnedParams(input.params, input.memory).expectedStagingEtag;
    return {
      ...('facts' in plan ? factsToData(plan.facts) : {}),
      ...(pinned ? { expectedStagingEtag: pinned } : {}),
    };
  },
  summarise: ({ params, state, plan, memory }, log) => summarise(params, state, plan, memory, log),
};
