/**
 * The revert target, as `cfcd revert` and `cfcd status` find it: the newest record of a primary (keys sort by the
 * promotion's time) and where the live primary stands against it. Only the newest record can be a target: an older one
 * is what an earlier promotion replaced, and going back by it would cross the newer promotions. Pure: no I/O.
 */
import { diffConfigs } from '../domain/config-diff.js';
import type { DistributionState } from '../domain/resources.js';
import { type PrimaryStanding, primaryStanding, revertUnderWay } from './plan.js';
import { REVERT_PREFIX, type RevertRecord, describeRecordedRelease, isRecordKeyOf } from './record.js';

/** Where a primary's records are: `cfcd-revert/<primary id>/`. */
export function recordPrefix(primaryId: string): string {
  return `${REVERT_PREFIX}${primaryId}/`;
}

/**
 * The newest record key of `primaryId` among `keys` (a listing of {@link recordPrefix}); undefined when there is none.
 * Promotion ids start with the primary's last change before the promotion, an ISO time: their order is the keys' order.
 */
export function newestRecordKey(keys: readonly string[], primaryId: string): string | undefined {
  return keys
    .filter((k) => isRecordKeyOf(k, primaryId))
    .sort()
    .at(-1);
}

/** The revert target of a primary, judged against the live state. */
export interface RevertTarget {
  /** Where the record was read, `s3://bucket/key`. */
  recordAt: string;
  key: string;
  recordedAt: string;
  /** The release a revert goes back to (describeRecordedRelease). */
  release: string;
  standing: PrimaryStanding;
  /** A revert of this record was started: the staging or the primary carries the recorded config. */
  underWay: boolean;
  /** What a revert changes on the primary, one line each (the diff `cfcd plan promote` shows). */
  changes: string[];
  /** One sentence: what a revert would do, or why there is none to make, naming the record. */
  summary: string;
  /** The same without the record's address, for a line beside it. */
  brief: string;
}

/** Where `primary` stands against `record`, and what a revert by it would do; `staging` is the record's staging. */
export function judgeTarget(
  record: RevertRecord,
  where: { bucket: string; key: string },
  primary: DistributionState,
  staging: DistributionState | undefined,
): RevertTarget {
  const release = describeRecordedRelease(record);
  const standing = primaryStanding(record, primary);
  const underWay = staging ? revertUnderWay(record, primary, staging) : standing === 'reverted';
  const recordAt = `s3://${where.bucket}/${where.key}`;
  const brief =
    standing === 'changed'
      ? 'production changed since the promotion this record names: a newer promotion or a hand change; ' +
        'nothing to revert to safely'
      : standing === 'reverted'
        ? `primary ${primary.id} carries the recorded config again (${release}): reverted`
        : underWay
          ? `staging ${record.stagingId} carries the recorded config (${release}), primary ${primary.id} still ` +
            'the promotion: a revert is under way'
          : `primary ${primary.id} still carries the promotion this record names: a revert would go back to ${release}`;
  const summary =
    standing === 'changed'
      ? `production changed since the promotion recorded in ${recordAt}: a newer promotion or a hand change; ` +
        'nothing to revert to safely (older records are what earlier promotions replaced)'
      : standing === 'reverted'
        ? `primary ${primary.id} already carries the config recorded in ${recordAt} (${release}): reverted`
        : underWay
          ? `a revert to ${release} is under way: staging ${record.stagingId} carries the recorded config, ` +
            `primary ${primary.id} still the promotion`
          : `primary ${primary.id} still carries the promotion recorded in ${recordAt}: a revert would go back to ` +
            release;
  return {
    recordAt,
    key: where.key,
    recordedAt: record.recordedAt,
    release,
    standing,
    underWay,
    changes: standing === 'changed' ? [] : diffConfigs(primary.config, record.replaced.config),
    summary,
    brief,
  };
}
