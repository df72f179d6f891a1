/**
 * What the live distributions serve, for the prune (release-prune.ts): every origin path of the primary and of its
 * staging, read now. `cfcd prune` and promote's prune after a promotion share it; each calls it again right before
 * every folder it deletes, so a folder a distribution started serving meanwhile is kept.
 */
import type { DistributionState } from '../domain/resources.js';
import type { ServedPath } from '../release/prune-plan.js';
import { readDistribution, readDistributionIfExists } from './cloudfront.js';

/** Finds the stagings of a primary when no staging id is known (cfcd's: from the primary's attached policy). */
export type FindStagings = (primary: DistributionState) => Promise<DistributionState[]>;

/** Every origin path a distribution serves, labelled `by` (e.g. `primary E123`). */
export function servedBy(by: string, d: DistributionState): ServedPath[] {
  return (d.config.Origins?.Items ?? []).map((o) => ({ by, originId: o.Id ?? '', originPath: o.OriginPath ?? '' }));
}

/**
 * Reads, now, every origin path the primary and the staging serve. `staging` is the staging's id, read beside the
 * primary (a staging that no longer exists serves nothing), or a way to find the stagings from the primary, after it.
 */
export function liveServed(primaryId: string, staging: string | FindStagings): () => Promise<ServedPath[]> {
  return async () => {
    const [primary, named] = await Promise.all([
      readDistribution(primaryId),
      typeof staging === 'string' ? readDistributionIfExists(staging) : undefined,
    ]);
    const stagings = typeof staging === 'string' ? (named ? [named] : []) : await staging(primary);
    return [...servedBy(`primary ${primaryId}`, primary), ...stagings.flatMap((s) => servedBy(`staging ${s.id}`, s))];
  };
}
