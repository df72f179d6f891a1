/**
 * enable-CD, declared: after the staging stack deploys, leave continuous deployment switched on and live, with the
 * staging's edge caches invalidated before any viewer is routed to it. The driver (shared/job/driver.ts) runs it:
 * read (in parallel) → plan → apply → wait via continuation, or report.
 */
import type { PlanSteps, WriteResult } from '../../shared/aws/apply-plan.js';
import { readBucketPolicy, writeBucketPolicy } from '../../shared/aws/bucket-policy-store.js';
import { invalidationWrite, startCacheRead } from '../../shared/aws/invalidations.js';
import { objectExists } from '../../shared/aws/s3-objects.js';
import { carriesSameConfig } from '../../shared/domain/config-diff.js';
import { type CacheDecision, INVALIDATION_OFF_WARNING, invalidationIdOf } from '../../shared/domain/invalidation.js';
import {
  readDistribution,
  readPolicy,
  writeDistributionConfig,
  writePolicyConfig,
} from '../../shared/aws/cloudfront.js';
import { rootObjectKey, withPolicyEnabled, withPolicyId } from '../../shared/domain/distribution-config.js';
import { distributionLogFields, isDeployed } from '../../shared/domain/resources.js';
import type { ActionDefinition, Memory } from '../../shared/job/driver.js';
import { reviewerVariables } from '../../shared/domain/reviewer.js';
import type { Logger } from '../../shared/log.js';
import { emitMetrics, secondsBetween } from '../../shared/metrics-emf.js';
import { type EnableCdParams, parameterNames, parseEnableCdParams } from './params.js';
import { type EnableCdPhase, PHASES } from './phases.js';
import { type EnableCdChange, type EnableCdPlan, type EnableCdState, planEnableCd, routingLive } from './plan.js';
import { withHeaderRouting } from '../../shared/domain/ramp-header.js';

/** True when enable-CD will look at the staging's cache: it is Deployed with a release to review. */
function stagingCacheMatters(state: EnableCdState, params: EnableCdParams): boolean {
  return (
    params.invalidationPaths.length > 0 &&
    isDeployed(state.staging) &&
    !carriesSameConfig(state.primary.config, state.staging.config)
  );
}

async function readState(params: EnableCdParams, remembered: string | undefined): Promise<EnableCdState> {
  // Beside the first round: whether it is needed is known only from that round's answers.
  const cacheRead = params.invalidationPaths.length ? startCacheRead(params.stagingId) : undefined;
  const [primary, staging, policy, bucketPolicy] = await Promise.all([
    readDistribution(params.primaryId),
    readDistribution(params.stagingId),
    readPolicy(params.policyId),
    params.bucket
      ? readBucketPolicy(params.bucket).then((json) => ({ bucket: params.bucket as string, json }))
      : undefined,
  ]);
  const state: EnableCdState = { primary, staging, policy, ...(bucketPolicy ? { bucketPolicy } : {}) };
  // Only when viewers are about to be routed to staging: a re-run with everything live costs no extra round.
  const key = params.bucket && !routingLive(state) ? rootObjectKey(staging.config, params.bucket) : undefined;
  // Both second-round reads need the first round's answers and nothing from each other.
  const [exists, stagingCache] = await Promise.all([
    params.bucket && key ? objectExists(params.bucket, key) : undefined,
    cacheRead && stagingCacheMatters(state, params)
      ? cacheRead.finish(staging, params.invalidationPaths, remembered)
      : undefined,
  ]);
  if (params.bucket && key && exists !== undefined) state.releaseRoot = { bucket: params.bucket, key, exists };
  if (stagingCache) state.stagingCache = stagingCache;
  return state;
}

function logState(state: EnableCdState, log: Logger): void {
  log.info('state-read', {
    primary: distributionLogFields(state.primary),
    staging: distributionLogFields(state.staging),
    policy: {
      id: state.policy.id,
      enabled: state.policy.config.Enabled,
      etag: state.policy.etag,
      traffic: state.policy.config.TrafficConfig?.Type,
      ...(state.policy.config.TrafficConfig?.SingleWeightConfig
        ? { weight: state.policy.config.TrafficConfig.SingleWeightConfig.Weight }
        : {}),
    },
    bucketPolicy: state.bucketPolicy
      ? { bucket: state.bucketPolicy.bucket, exists: state.bucketPolicy.json !== undefined }
      : null,
    ...(state.releaseRoot ? { releaseRoot: state.releaseRoot } : {}),
    ...(state.stagingCache
      ? {
          stagingInvalidations: state.stagingCache.since.map(({ id, status, paths }) => ({ id, status, paths })),
        }
      : {}),
  });
}

const STEP_NAMES: Record<EnableCdChange['kind'], string> = {
  'grant-bucket-read': 'grant staging read access in the bucket policy',
  'enable-policy': 're-enable the continuous deployment policy',
  'route-by-header': 're-enable the continuous deployment policy on header routing (a ramp owns the weights)',
  'attach-policy': 'attach the policy to the primary',
  'invalidate-cache': "invalidate the staging's edge caches",
};

/** Makes one planned change against the state it was planned from. */
async function write(change: EnableCdChange, state: EnableCdState, log: Logger): Promise<boolean | WriteResult> {
  switch (change.kind) {
    case 'grant-bucket-read':
      await writeBucketPolicy(change.bucket, change.json);
      log.info('write', { change: change.kind, bucket: change.bucket, reason: change.reason });
      return true;
    case 'enable-policy': {
      const etag = await writePolicyConfig(state.policy, withPolicyEnabled(state.policy.config, true));
      log.info('write', {
        change: change.kind,
        policyId: state.policy.id,
        ifMatch: state.policy.etag,
        newEtag: etag,
        reason: change.reason,
      });
      return true;
    }
    case 'route-by-header': {
      const header = { header: change.header, value: change.value };
      const etag = await writePolicyConfig(state.policy, withHeaderRouting(state.policy.config, header));
      log.info('write', {
        change: change.kind,
        policyId: state.policy.id,
        header: `${change.header}: ${change.value}`,
        replacesWeight: change.replacesWeight,
        ifMatch: state.policy.etag,
        newEtag: etag,
        reason: change.reason,
      });
      return true;
    }
    case 'attach-policy': {
      const etag = await writeDistributionConfig(state.primary, withPolicyId(state.primary.config, change.policyId));
      log.info('write', {
        change: change.kind,
        primaryId: state.primary.id,
        policyId: change.policyId,
        replaces: change.replaces ?? null,
        ifMatch: state.primary.etag,
        newEtag: etag,
        reason: change.reason,
      });
      return true;
    }
    case 'invalidate-cache':
      // Deferred (TooManyInvalidationsInProgress) is not written: the plan waits in `invalidating` and the next
      // invocation plans the invalidation again. Routing waits for a Completed invalidation read back from CloudFront.
      return invalidationWrite(change, log, { memoryKey: 'invalidation', completedEndsWait: false });
  }
}

/**
 * How enable-CD reads, plans and writes: the job's passes and a dry run (`cfcd plan enable-cd`) share it. `remembered`
 * is the staging invalidation an earlier invocation made: read again by id, never trusted (see readState).
 */
export function enableCdSteps(
  params: EnableCdParams,
  log: Logger,
  routedEarlier = false,
  remembered?: string,
): PlanSteps<EnableCdState, EnableCdPlan> {
  // An invalidation made by this invocation, for a re-read after a stale ETag.
  let created: string | undefined;
  return {
    read: async () => {
      const state = await readState(params, created ?? remembered);
      logState(state, log);
      return state;
    },
    plan: (s) => {
      const plan = planEnableCd(s, params, routedEarlier);
      if (plan.cache?.kind === 'off') log.warn('invalidation-off', { reason: INVALIDATION_OFF_WARNING });
      return plan;
    },
    write: async (change, s) => {
      const result = await write(change, s, log);
      if (typeof result !== 'boolean' && result.remember?.invalidation) created = result.remember.invalidation;
      return result;
    },
    stepName: (change) => STEP_NAMES[change.kind],
    describe: (plan) => (plan.cache ? { cache: plan.cache } : {}),
  };
}

/**
 * What enable-CD keeps between invocations, besides the changes written (the driver's): whether viewers were routed
 * to staging (so that a rollback by someone else is not undone), and the staging invalidation it made.
 */
interface EnableCdMemory extends Memory {
  routed?: string;
  invalidation?: string;
}

/** The changes that switch viewers' routing to staging on. */
const ROUTING_CHANGES: readonly string[] = ['enable-policy', 'route-by-header', 'attach-policy'];

/** True when this pass (or an earlier one) routed viewers to staging, or finds them routed. */
function routed(state: EnableCdState, written: string[], memory: EnableCdMemory): boolean {
  return memory.routed === 'true' || routingLive(state) || written.some((kind) => ROUTING_CHANGES.includes(kind));
}

function summarise(state: EnableCdState, plan: EnableCdPlan, changes: string[]) {
  const invalidation = invalidationIdOf(plan.cache);
  const created = state.stagingCache?.since.find((i) => i.id === invalidation)?.createTime;
  emitMetrics(
    { action: 'enable-cd', primaryId: state.primary.id },
    {
      Steps: changes.length,
      CanaryStarted: Number(routingLive(state) && changes.some((k) => ROUTING_CHANGES.includes(k))),
      // Only an invalidation this job made: one found Completed by a re-run says nothing of this release's wait.
      ...(changes.includes('invalidate-cache')
        ? { StagingInvalidationSeconds: secondsBetween(created, Date.now()) }
        : {}),
    },
  );
  const applied = changes.length ? `; applied ${changes.join(', ')}` : '';
  const live = changes.length
    ? `applied ${changes.join(', ')}; continuous deployment is live`
    : 'continuous deployment already live; nothing to change';
  return {
    summary: !routingLive(state)
      ? `staging ${state.staging.id} serves the same config as primary ${state.primary.id} (already promoted, or ` +
        `the release changes nothing): nothing to review, so no viewer is routed to it${applied}`
      : `${live}${cacheNote(plan.cache)}`,
    outputVariables: {
      ...reviewerVariables(state),
      PolicyEnabled: String(routingLive(state)),
      StagingInvalidationId: invalidationIdOf(plan.cache) ?? 'none',
    },
  };
}

/** What the summary says of the staging's cache once viewers are routed to it. */
function cacheNote(cache: CacheDecision | undefined): string {
  if (cache?.kind === 'completed') return `; the staging's edge caches were invalidated (${cache.invalidationId})`;
  if (cache?.kind === 'off') return "; the staging's edge caches were NOT invalidated (InvalidationPaths is [])";
  return '';
}

export const enableCdAction: ActionDefinition<
  EnableCdParams,
  EnableCdState,
  EnableCdPlan,
  EnableCdPhase,
  EnableCdMemory
> = {
  name: 'enable-cd',
  parameterNames,
  parseParams: parseEnableCdParams,
  maxWaitMinutes: (p) => p.maxWaitMinutes,
  phases: PHASES,
  readMemory: (_phase, data) => {
    // `changes` is what tokens written before the driver kept the written changes under.
    const { routed, invalidation, written = data?.changes } = data ?? {};
    return {
      ...(routed ? { routed } : {}),
      ...(invalidation ? { invalidation } : {}),
      ...(written ? { written } : {}),
    };
  },
  readStep: 'read primary, staging, policy and bucket policy',
  steps: ({ params, memory, log }) => enableCdSteps(params, log, memory.routed === 'true', memory.invalidation),
  remember: ({ state, written, input }) => (routed(state, written, input.memory) ? { routed: 'true' } : {}),
  summarise: ({ state, plan, changes }) => summarise(state, plan, changes),
};
