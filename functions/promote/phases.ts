/** The continuation phases promote writes. */
export const PHASE = {
  /** Either distribution was InProgress: nothing written yet; the next invocation reads and plans again. */
  waitingToPromote: 'waiting-to-promote',
  /** The promotion gate found too little staging traffic in the window: nothing written yet; read, plan, gate again. */
  gatheringTraffic: 'gathering-traffic',
  /** The primary carries the staging config (we promoted it, or it already did): only its propagation is awaited. */
  promoted: 'promoted',
  /**
   * The primary is Deployed with the promoted config and its edge caches are being invalidated (or CloudFront said
   * TooManyInvalidationsInProgress): wait for the invalidation to be Completed. Never promotes.
   */
  invalidating: 'invalidating',
} as const;

export type PromotePhase = (typeof PHASE)[keyof typeof PHASE];
export const PHASES: readonly PromotePhase[] = Object.values(PHASE);
