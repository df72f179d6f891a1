/**
 * The continuation phases the ramp writes. Where the ramp stands is read from the live policy; a phase only says why
 * it waited.
 */
export const PHASE = {
  /**
   * A weight was written (or a distribution is InProgress): wait for primary and staging to be Deployed. A step's bake
   * starts at the first pass that finds the primary Deployed with the step's weight.
   */
  propagating: 'propagating',
  /** The primary is Deployed at a step's weight: its bake is not over, or its window holds too few requests yet. */
  baking: 'baking',
  /** A step was judged unhealthy and the policy disabled: the next pass reports the failure, naming the step. */
  rolledBack: 'rolled-back',
} as const;

export type RampPhase = (typeof PHASE)[keyof typeof PHASE];
export const PHASES: readonly RampPhase[] = Object.values(PHASE);
