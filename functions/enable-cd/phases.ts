/** The continuation phases enable-CD writes: the next invocation reads everything and plans again in both. */
export const PHASE = {
  /** CloudFront changes are needed but a distribution is InProgress: nothing written to CloudFront yet. */
  waitingToApply: 'waiting-to-apply',
  /** Changes were written (or a distribution is still InProgress): wait for primary and staging to be Deployed. */
  propagating: 'propagating',
} as const;

export type EnableCdPhase = (typeof PHASE)[keyof typeof PHASE];
export const PHASES: readonly EnableCdPhase[] = Object.values(PHASE);
