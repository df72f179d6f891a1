/** The continuation phases enable-CD writes: the next invocation reads everything and plans again in each. */
export const PHASE = {
  /** CloudFront changes are needed but a distribution is InProgress: nothing written to CloudFront yet. */
  waitingToApply: 'waiting-to-apply',
  /** Changes were written (or a distribution is still InProgress): wait for primary and staging to be Deployed. */
  propagating: 'propagating',
  /**
   * The staging is Deployed with a config its edge caches were not invalidated for: its invalidation was made (or
   * CloudFront said TooManyInvalidationsInProgress) and viewers are routed to it only once it is Completed.
   */
  invalidating: 'invalidating',
} as const;

export type EnableCdPhase = (typeof PHASE)[keyof typeof PHASE];
export const PHASES: readonly EnableCdPhase[] = Object.values(PHASE);
