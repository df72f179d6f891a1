/** The continuation phases the bake writes. */
export const PHASE = {
  /** The primary is still InProgress with the promotion, or its invalidation is: the bake has not started yet. */
  awaitingProduction: 'awaiting-production',
  /** The bake runs: every invocation judges what production served since it started. */
  baking: 'baking',
  /** Production was judged unhealthy (or a revert found under way): each invocation makes the revert's next step. */
  reverting: 'reverting',
} as const;

export type BakePhase = (typeof PHASE)[keyof typeof PHASE];
export const PHASES: readonly BakePhase[] = Object.values(PHASE);
