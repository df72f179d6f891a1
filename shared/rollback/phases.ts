/** The continuation phases abort writes. */
export const PHASE = {
  /** A disable or detach was written (or the primary is InProgress): wait for the primary to be Deployed. */
  propagating: 'propagating',
  /** Teardown detached the policy: wait for the primary to be Deployed without it, then delete the policy. */
  detached: 'detached',
} as const;

export type AbortPhase = (typeof PHASE)[keyof typeof PHASE];
export const PHASES: readonly AbortPhase[] = Object.values(PHASE);
