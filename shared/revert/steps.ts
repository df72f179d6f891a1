/**
 * The revert's writes, one per change of ./plan.ts: the recorded config onto the staging (UpdateDistribution, If-Match
 * the staging's ETag), the promotion back (UpdateDistributionWithStagingConfig, both ETags), the invalidation of the
 * primary. A stale ETag (412) is the driver's: it re-reads and re-plans, and the plan re-checks the primary first.
 */
import type { WriteResult } from '../aws/apply-plan.js';
import { promoteStagingConfig, writeDistributionConfig } from '../aws/cloudfront.js';
import { invalidationWrite } from '../aws/invalidations.js';
import type { Logger } from '../log.js';
import type { RevertChange, RevertState } from './plan.js';

/** The memory key of the revert's invalidation id (read again by id, never trusted). */
export const REVERT_INVALIDATION = 'revertInvalidationId';

/** Makes one change of a revert plan against the state it was planned from. */
export async function revertWrite(change: RevertChange, state: RevertState, log: Logger): Promise<WriteResult> {
  switch (change.kind) {
    case 'stage-recorded-config': {
      const etag = await writeDistributionConfig(state.staging, change.config);
      log.info('write', {
        change: change.kind,
        operation: 'UpdateDistribution',
        stagingId: change.stagingId,
        ifMatch: state.staging.etag,
        newEtag: etag,
        originPaths: state.record.replaced.originPaths,
        reason: change.reason,
      });
      return { wrote: true };
    }
    case 'promote-recorded-config': {
      const newEtag = await promoteStagingConfig(change);
      log.info('write', {
        change: change.kind,
        operation: 'UpdateDistributionWithStagingConfig',
        primaryId: change.primaryId,
        stagingId: change.stagingId,
        ifMatch: change.ifMatch,
        newPrimaryEtag: newEtag ?? null,
        reason: change.reason,
      });
      return { wrote: true };
    }
    case 'invalidate-cache':
      return invalidationWrite(change, log, { memoryKey: REVERT_INVALIDATION, completedEndsWait: false });
  }
}

/** The step name a failed revert write reports. */
export function revertStepName(change: RevertChange): string {
  switch (change.kind) {
    case 'stage-recorded-config':
      return 'put the recorded config onto the staging';
    case 'promote-recorded-config':
      return 'promote the recorded config back onto the primary';
    case 'invalidate-cache':
      return "invalidate the primary's edge caches after the revert";
  }
}
