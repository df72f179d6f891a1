/**
 * abort, declared: put all traffic back on the primary. Each pass reads the primary and its policy, plans (disable,
 * detach, or detach and then — in a later pass that finds the detach propagated — delete), and applies; then it
 * waits until the primary is `Deployed`, in every mode, so that whatever runs next sees a settled primary. The driver
 * runs it from CodePipeline, from a plain EventBridge event (event.ts) and from cfcd.
 */
import { ContinuationError } from '../../shared/job/continuation.js';
import type { ActionDefinition, Memory } from '../../shared/job/driver.js';
import { type AbortParams, parameterNames, parseAbortParams } from '../../shared/rollback/params.js';
import { type AbortPhase, PHASES } from '../../shared/rollback/phases.js';
import type { AbortPlan, AbortState } from '../../shared/rollback/plan.js';
import { type KnownPolicy, abortSteps, rollbackSummary, teardownFoundNone } from '../../shared/rollback/steps.js';

/** What abort keeps between invocations, besides the changes written (the driver's). */
interface AbortMemory extends Memory {
  /** The policy found attached by the first invocation; after a detach the primary no longer names it. */
  policyId?: string;
}

/**
 * The policy abort already knows before reading the primary: the one an earlier invocation of the same job found
 * (remembered in the continuation), else one named in the parameters (a teardown's stranded policy).
 */
export function knownPolicy(params: AbortParams, remembered: string | undefined): KnownPolicy | undefined {
  if (remembered && params.policyId && remembered !== params.policyId) {
    throw new ContinuationError(
      (w) =>
        `${w.token} names policy ${remembered}, but ${w.param('ContinuousDeploymentPolicyId')} is ` +
        `${params.policyId}: the token is not this job's. Nothing was changed; ${w.rerun}.`,
    );
  }
  if (remembered) return { id: remembered, from: 'continuation' };
  return params.policyId ? { id: params.policyId, from: 'parameters' } : undefined;
}

export const abortAction: ActionDefinition<AbortParams, AbortState, AbortPlan, AbortPhase, AbortMemory> = {
  name: 'abort',
  parameterNames,
  parseParams: parseAbortParams,
  maxWaitMinutes: (p) => p.maxWaitMinutes,
  phases: PHASES,
  readMemory: (_phase, data) => {
    // `changes` is what tokens written before the driver kept the written changes under.
    const { policyId, written = data?.changes } = data ?? {};
    return { ...(policyId ? { policyId } : {}), ...(written ? { written } : {}) };
  },
  readStep: 'read the primary and its policy',
  steps: ({ params, memory, log }) => abortSteps(params, knownPolicy(params, memory.policyId), log),
  remember: ({ state }) => (state.policyId ? { policyId: state.policyId } : {}),
  summarise: ({ params, state, plan, changes }, _log, words) => {
    // Without a policy id there is nothing left to find: a teardown that detached and then failed left it behind.
    const foundNone = params.mode === 'teardown' && !state.policyId && !changes.length;
    return {
      summary: foundNone
        ? teardownFoundNone(params.primaryId)(words)
        : rollbackSummary(params.mode, params.primaryId, changes, plan.nothingToDo, true),
      outputVariables: {
        Mode: params.mode,
        ContinuousDeploymentPolicyId: state.policyId ?? 'none',
        Changes: changes.length ? changes.join(',') : 'none',
      },
    };
  },
};
