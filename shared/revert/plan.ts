/**
 * The revert's pure core: from the revert record and the live primary and staging, where a revert stands and the one
 * next step. Every step is planned from the live state, never from a token, so a revert is idempotent under repeated
 * delivery and resumes after a crash at any step:
 * (b) the recorded config onto the staging, as a staging (ETag-guarded); (c) wait for both Deployed; (d) promote it
 * back (UpdateDistributionWithStagingConfig, both ETags); (e) wait for the primary Deployed; (f) invalidate the
 * primary's edge caches and wait for Completed. Before (b) and (d) the primary must still carry exactly the promotion
 * the record names: a revert never crosses a newer promotion or a change by hand. No I/O here.
 */
import { checkIsPrimary, checkIsStaging } from '../domain/checks.js';
import { StateCheckError } from '../domain/errors.js';
import { type CacheDecision, type CacheState, type InvalidateChange, decideCache } from '../domain/invalidation.js';
import { DONE, type Plan, waitFor } from '../domain/plan.js';
import { type DistributionState, isDeployed } from '../domain/resources.js';
import type { DistributionConfig } from '@aws-sdk/client-cloudfront';
import { type RevertRecord, asStagingConfig, configHash, describeRecordedRelease } from './record.js';

/** Where the live primary stands against a record. */
export type PrimaryStanding =
  /** It carries the promotion the record names: the bake judges it; a revert may start. */
  | 'promoted'
  /** It carries the recorded config again: the revert's promotion is done. */
  | 'reverted'
  /** Anything else: a newer promotion, or a change by hand. Nothing may be reverted over it. */
  | 'changed';

/** Where the primary stands against the record, by the hash of its promotable config. */
export function primaryStanding(record: RevertRecord, primary: DistributionState): PrimaryStanding {
  const hash = configHash(primary.config);
  if (hash === record.promoted.configHash) return 'promoted';
  if (hash === configHash(record.replaced.config)) return 'reverted';
  return 'changed';
}

/** True when the staging carries the recorded config: step (b) of a revert was made. */
export function stagingCarriesRecord(record: RevertRecord, staging: DistributionState): boolean {
  return configHash(staging.config) === configHash(record.replaced.config);
}

/** True when a revert of this record was started: the live state says so, whatever a token says. */
export function revertUnderWay(record: RevertRecord, primary: DistributionState, staging: DistributionState): boolean {
  const standing = primaryStanding(record, primary);
  return standing === 'reverted' || (standing === 'promoted' && stagingCarriesRecord(record, staging));
}

/** What a revert reads: the record (and its key, for messages), the two distributions, and what it may need next. */
export interface RevertState {
  record: RevertRecord;
  /** Where the record was read, e.g. `s3://bucket/cfcd-revert/E1/….json`. */
  recordAt: string;
  primary: DistributionState;
  staging: DistributionState;
  /**
   * The previous release's root object in the site bucket (`StaticResourceBucketName`), read before step (b);
   * undefined when not checked (no bucket given, the config serves no root object from it, or (b) is done).
   */
  content?: { bucket: string; key: string; exists: boolean };
  /** The primary's invalidations, read once it is Deployed with the recorded config. */
  cache?: CacheState;
}

/** (b): the recorded config onto the staging, as a staging. */
export interface StageRecordedChange {
  kind: 'stage-recorded-config';
  stagingId: string;
  config: DistributionConfig;
  reason: string;
}

/** (d): the staging (now carrying the recorded config) promoted back onto the primary. */
export interface PromoteRecordedChange {
  kind: 'promote-recorded-config';
  primaryId: string;
  stagingId: string;
  /** `<primary ETag>, <staging ETag>`, primary first. */
  ifMatch: string;
  reason: string;
}

export type RevertChange = StageRecordedChange | PromoteRecordedChange | InvalidateChange;

/** A revert's plan: under way (a change and a wait, or a wait), or done (`reverted`: viewers get the recorded one). */
export type RevertPlan<Phase extends string> = Plan<RevertChange, Phase> & {
  kind: 'reverting' | 'reverted';
  reason: string;
  /** The primary's cache once it serves the recorded config and is Deployed. */
  cache?: CacheDecision;
};

/** The refusal for a primary that carries neither the promotion nor the recorded config. */
function changedSince(state: RevertState): StateCheckError {
  const { record, recordAt, primary } = state;
  return new StateCheckError(
    `primary ${primary.id} no longer carries the promotion recorded in ${recordAt} (nor the config it replaced): ` +
      'a newer promotion or a change by hand happened since. A revert never crosses it: nothing was written. ' +
      `Check what production serves with cfcd status; to go back to ${describeRecordedRelease(record)} anyway, ` +
      'deploy it as a new release.',
  );
}

/**
 * Plans the next step of a revert from the live state. `phase` is the action's wait phase for every wait; `paths` are
 * the `InvalidationPaths` (`[]`: no invalidation, viewers may get the reverted release only as objects expire).
 */
export function planRevert<Phase extends string>(state: RevertState, phase: Phase, paths: string[]): RevertPlan<Phase> {
  const { record, primary, staging } = state;
  checkIsPrimary(primary, (w) => `name the production distribution as ${w.param('PrimaryDistributionId')}.`);
  checkIsStaging(staging, (w) => `name the staging stack's distribution as ${w.param('StagingDistributionId')}.`);
  const release = describeRecordedRelease(record);
  const standing = primaryStanding(record, primary);
  if (standing === 'changed') throw changedSince(state);

  if (standing === 'reverted') {
    if (!isDeployed(primary))
      return {
        kind: 'reverting',
        reason: `primary ${primary.id} carries the recorded config again (${release})`,
        changes: [],
        next: waitFor(phase, `primary ${primary.id} to be Deployed with the recorded config (${release})`, [
          primary.id,
        ]),
      };
    const cache = decideCache(primary, state.cache ?? { distributionId: primary.id, since: [] }, paths, 'primary');
    const reason = `primary ${primary.id} is Deployed with the recorded config (${release})`;
    const waitCache = (what: string) =>
      waitFor(phase, `the edge-cache invalidation of primary ${primary.id} (${what}) to be Completed`, []);
    switch (cache.kind) {
      case 'off':
      case 'completed':
        return { kind: 'reverted', reason, changes: [], next: DONE, cache };
      case 'in-progress':
        return { kind: 'reverting', reason, changes: [], next: waitCache(cache.invalidationId), cache };
      case 'invalidate':
        return { kind: 'reverting', reason, changes: [cache.change], next: waitCache(paths.join(' ')), cache };
    }
  }

  if (stagingCarriesRecord(record, staging)) {
    const inProgress = [staging, primary].filter((d) => !isDeployed(d)).map((d) => d.id);
    if (inProgress.length)
      return {
        kind: 'reverting',
        reason: `staging ${staging.id} carries the recorded config (${release})`,
        changes: [],
        next: waitFor(
          phase,
          `${inProgress.join(' and ')} to be Deployed before promoting the recorded config back`,
          inProgress,
        ),
      };
    const reason =
      `staging ${staging.id} carries the recorded config (${release}) and primary ${primary.id} still carries the ` +
      'promotion: promote the recorded config back onto the primary';
    return {
      kind: 'reverting',
      reason,
      changes: [
        {
          kind: 'promote-recorded-config',
          primaryId: primary.id,
          stagingId: staging.id,
          ifMatch: `${primary.etag}, ${staging.etag}`,
          reason,
        },
      ],
      next: waitFor(phase, `primary ${primary.id} to be Deployed with the recorded config (${release})`, [primary.id]),
    };
  }

  // The revert goes through the staging: it must still hold the promoted release, not a newer one under review.
  if (configHash(staging.config) !== record.promoted.configHash)
    throw new StateCheckError(
      `staging ${staging.id} no longer carries the release promoted in ${state.recordAt}: a newer release is staged ` +
        `there (under review, or left by a rejected one). The revert would replace it with ${release}, so nothing ` +
        'was written. Finish or abort that release first (cfcd abort), then revert.',
    );
  if (state.content && !state.content.exists)
    throw new StateCheckError(
      `the previous release's content is gone: s3://${state.content.bucket}/${state.content.key} does not exist, so ` +
        `putting production back on ${release} would serve errors. Nothing was written. Upload that release again ` +
        '(cfcd upload) and re-run the action, or deploy a fixed release.',
    );
  const reason =
    `primary ${primary.id} still carries the promotion recorded in ${state.recordAt}: put the recorded config ` +
    `(${release}) onto staging ${staging.id}, as a staging`;
  return {
    kind: 'reverting',
    reason,
    changes: [
      { kind: 'stage-recorded-config', stagingId: staging.id, config: asStagingConfig(record, staging.config), reason },
    ],
    next: waitFor(phase, `staging ${staging.id} to be Deployed with the recorded config (${release})`, [staging.id]),
  };
}
