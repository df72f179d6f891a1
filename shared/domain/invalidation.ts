/**
 * The edge cache: when a distribution starts serving another release, its edge caches still hold the previous one.
 * No config change purges them (not an UpdateDistribution, not a new origin path, not a promotion), so objects stay
 * until their TTL ends — a day under the managed CachingOptimized policy. An invalidation is what makes viewers get
 * the new release, and it must be made after the distribution is `Deployed`: an edge location still on the old
 * config would refill the cache from the old release. Pure: the decision is made from the invalidations read.
 */
import { createHash } from 'node:crypto';
import type { DistributionState } from './resources.js';

/** The default `InvalidationPaths`: everything the distribution may hold (a wildcard counts as one path). */
export const DEFAULT_INVALIDATION_PATHS: readonly string[] = ['/*'];

/**
 * CloudFront's in-progress limits per distribution: 3,000 file paths, or 15 wildcard paths. One batch above them
 * can never be accepted, so more are refused as a parameter error before any write.
 */
export const MAX_FILE_PATHS = 3000;
export const MAX_WILDCARD_PATHS = 15;

/** An invalidation as read: its paths and CallerReference come from GetInvalidation (summaries carry neither). */
export interface InvalidationRecord {
  id: string;
  status: string;
  createTime: Date;
  paths: string[];
  callerReference: string;
}

/** What an action knows about one distribution's cache: the invalidations that can be ours for the config it serves. */
export interface CacheState {
  distributionId: string;
  /**
   * Invalidations created at or after the distribution's last change, newest first — and ours for its current
   * config if that one is older (the last change then did not touch the config: see shared/aws/invalidations.ts).
   */
  since: InvalidationRecord[];
}

/** The one write this module plans: CreateInvalidation. */
export interface InvalidateChange {
  kind: 'invalidate-cache';
  distributionId: string;
  paths: string[];
  /** Deterministic, so two deliveries of the same job that race create one invalidation, not two (see below). */
  callerReference: string;
  reason: string;
}

/** Where a distribution's cache stands against the release it serves now. */
export type CacheDecision =
  /** `InvalidationPaths` is `[]`: the operator turned invalidation off. */
  | { kind: 'off' }
  /** No invalidation of ours exists for the config served now and these paths: make one. */
  | { kind: 'invalidate'; change: InvalidateChange }
  /** One was made and is still `InProgress`: wait for it. */
  | { kind: 'in-progress'; invalidationId: string }
  /** One was made and is `Completed`: viewers get what the distribution serves now. */
  | { kind: 'completed'; invalidationId: string };

/**
 * The CallerReference of our invalidation of `distribution` as it is now (its ETag names the config it serves) for
 * `paths`. CloudFront answers a repeated CreateInvalidation with the same CallerReference and paths with the
 * invalidation it already made, so two deliveries of one job that both miss the other's invalidation in
 * ListInvalidations still make one. Another change of the distribution (a new ETag) gets its own invalidation.
 */
export function invalidationCallerReference(distribution: Pick<DistributionState, 'etag'>, paths: string[]): string {
  const digest = createHash('sha256').update(JSON.stringify(paths)).digest('hex').slice(0, 16);
  return `${callerReferencePrefix(distribution)}${digest}`;
}

/** What every CallerReference of ours for the config `distribution` serves now starts with, whatever the paths. */
export function callerReferencePrefix(distribution: Pick<DistributionState, 'etag'>): string {
  return `cfcd-${distribution.etag}-`;
}

/**
 * Where the cache of `distribution` stands: invalidated for the config it serves now (and whether that invalidation
 * is complete), or in need of one. Only our own invalidation of this very config counts — its CallerReference names
 * the config's ETag and the paths, and it is made only once the config is Deployed. Any other invalidation made since
 * the change, one an operator made by hand included, may have been made while edge locations still served the
 * previous config, and so refilled from the previous release: it cannot vouch for what viewers get.
 * Call it only once the distribution is `Deployed`.
 */
export function decideCache(
  distribution: Pick<DistributionState, 'id' | 'etag'>,
  cache: CacheState,
  paths: string[],
  what: string,
): CacheDecision {
  if (paths.length === 0) return { kind: 'off' };
  const callerReference = invalidationCallerReference(distribution, paths);
  const ours = cache.since.filter((inv) => inv.callerReference === callerReference);
  const done = ours.find((inv) => inv.status === 'Completed');
  if (done) return { kind: 'completed', invalidationId: done.id };
  const pending = ours[0];
  if (pending) return { kind: 'in-progress', invalidationId: pending.id };
  return {
    kind: 'invalidate',
    change: {
      kind: 'invalidate-cache',
      distributionId: distribution.id,
      paths,
      callerReference,
      reason:
        `${what} ${distribution.id} is Deployed with a config (ETag ${distribution.etag}) ` +
        'its edge caches were not invalidated for: they may still serve the previous release',
    },
  };
}

/** The invalidation a decision names (in progress or completed); undefined when there is none yet, or it is off. */
export function invalidationIdOf(decision: CacheDecision | undefined): string | undefined {
  return decision && 'invalidationId' in decision ? decision.invalidationId : undefined;
}

/** Why an action turned invalidation off, for the warning it logs each time it skips one. */
export const INVALIDATION_OFF_WARNING =
  'InvalidationPaths is []: the edge caches are not invalidated, ' +
  'so viewers may get the previous release until its objects expire ' +
  '(up to the cache policy TTL, a day under CachingOptimized)';
