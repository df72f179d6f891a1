/**
 * The commanded revert, declared for the driver (shared/job/driver.ts) so that `cfcd revert` runs it pass after pass
 * like the pipeline's actions: read (the record ‖ primary ‖ staging, then the previous release's root object before
 * the first write, or the primary's invalidations once it is back) → plan (./plan.ts planRevert, the bake's own) →
 * write (./steps.ts revertWrite, the bake's own) → wait. No bake and no verdict: the person decided. Every step is
 * planned from the live state, so it resumes after Ctrl-C or a crash and refuses to cross a newer promotion.
 */
import type { PlanSteps } from '../aws/apply-plan.js';
import { readDistribution } from '../aws/cloudfront.js';
import { startCacheRead } from '../aws/invalidations.js';
import { readRecord } from '../aws/revert-record.js';
import { objectExists } from '../aws/s3-objects.js';
import { rootObjectKey } from '../domain/distribution-config.js';
import { step } from '../domain/errors.js';
import { invalidationIdOf } from '../domain/invalidation.js';
import { distributionLogFields, isDeployed } from '../domain/resources.js';
import type { ActionDefinition, Memory } from '../job/driver.js';
import type { Logger } from '../log.js';
import { type RevertPlan, type RevertState, planRevert, primaryStanding, stagingCarriesRecord } from './plan.js';
import { type RevertParams, parameterNames, parseRevertParams } from './params.js';
import { describeRecordedRelease } from './record.js';
import { REVERT_INVALIDATION, revertStepName, revertWrite } from './steps.js';

/** The one phase a commanded revert waits in. */
export const REVERT_PHASE = 'reverting';
export type RevertPhase = typeof REVERT_PHASE;

/** What the passes keep: the id of the invalidation made after the revert (read again by id, never trusted). */
export type RevertMemory = Memory & { [REVERT_INVALIDATION]?: string };

/** Reads what this pass needs: the content check only before the first write, the cache only once reverted. */
export async function readRevert(params: RevertParams, memory: RevertMemory, log: Logger): Promise<RevertState> {
  const [record, primary, staging] = await Promise.all([
    step('read the revert record', () => readRecord(params.recordBucket, params.recordKey, params.primaryId)),
    readDistribution(params.primaryId),
    readDistribution(params.stagingId),
  ]);
  const state: RevertState = {
    record,
    recordAt: `s3://${params.recordBucket}/${params.recordKey}`,
    primary,
    staging,
  };
  const standing = primaryStanding(record, primary);
  log.info('state-read', {
    primary: distributionLogFields(primary),
    staging: distributionLogFields(staging),
    record: params.recordKey,
    standing,
  });
  if (standing === 'reverted' && isDeployed(primary) && params.invalidationPaths.length)
    state.cache = await step("read the primary's invalidations", () =>
      startCacheRead(primary.id).finish(primary, params.invalidationPaths, memory[REVERT_INVALIDATION]),
    );
  const bucket = params.contentBucket;
  const key = bucket ? rootObjectKey(record.replaced.config, bucket) : undefined;
  if (bucket && key && standing === 'promoted' && !stagingCarriesRecord(record, staging))
    state.content = {
      bucket,
      key,
      exists: await step("check the previous release's content", () => objectExists(bucket, key)),
    };
  return state;
}

function revertSteps(
  params: RevertParams,
  memory: RevertMemory,
  log: Logger,
): PlanSteps<RevertState, RevertPlan<RevertPhase>> {
  return {
    read: () => readRevert(params, memory, log),
    plan: (state) => planRevert(state, REVERT_PHASE, params.invalidationPaths),
    write: (change, state) => revertWrite(change, state, log),
    stepName: revertStepName,
    describe: (plan) => ({ revert: plan.kind, reason: plan.reason }),
  };
}

export const revertAction: ActionDefinition<
  RevertParams,
  RevertState,
  RevertPlan<RevertPhase>,
  RevertPhase,
  RevertMemory
> = {
  name: 'revert',
  parameterNames,
  parseParams: parseRevertParams,
  maxWaitMinutes: (p) => p.maxWaitMinutes,
  phases: [REVERT_PHASE],
  readStep: 'read the revert record, primary and staging',
  steps: ({ params, memory, log }) => revertSteps(params, memory, log),
  summarise: ({ params, state, plan, memory, changes }, log) => {
    const release = describeRecordedRelease(state.record);
    const invalidationId = memory[REVERT_INVALIDATION] ?? invalidationIdOf(plan.cache);
    const viewers = invalidationId
      ? `its edge caches were invalidated (${invalidationId}, Completed)`
      : 'its edge caches were NOT invalidated (InvalidationPaths is []): viewers may get the reverted-from release ' +
        'until its objects expire';
    const what = changes.length ? `reverted (${changes.join(', ')})` : 'nothing to do: reverted earlier';
    log.info('outcome', { result: 'reverted', release, invalidationId: invalidationId ?? null, changes });
    return {
      summary:
        `production is back on ${release}: primary ${params.primaryId} serves the config recorded before the ` +
        `promotion (${state.recordAt}), is Deployed, and ${viewers}; ${what}`,
      outputVariables: {
        Release: release,
        RevertRecord: state.recordAt,
        PrimaryETag: state.primary.etag,
        ...(invalidationId ? { InvalidationId: invalidationId } : {}),
      },
    };
  },
};
