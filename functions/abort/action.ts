/**
 * abort as a CodePipeline action: one pass (read → plan → apply), then the plan's `then`: wait via continuation until
 * the primary is `Deployed` — in every mode, so that whatever runs next (a re-run of the pipeline, a stage that
 * changes the primary) sees a settled primary. Teardown deletes the policy only in a pass that finds the detach
 * propagated.
 */
import type { Action, ContinuationData, JobContext, Outcome } from '../../shared/job/runner.js';
import { waitingOutcome } from '../../shared/job/runner.js';
import { type AbortParams, parseAbortParams } from '../../shared/rollback/params.js';
import { type AbortPhase, PHASES } from '../../shared/rollback/phases.js';
import { type KnownPolicy, rollBackToPrimary, rollbackSummary } from '../../shared/rollback/steps.js';

/** What the continuation token carries between invocations. */
interface AbortMemory extends ContinuationData {
  /** The policy found attached by the first invocation; after a detach the primary no longer names it. */
  policyId?: string;
  /** Changes written by earlier invocations of this job, comma-separated, for the final output variables. */
  changes?: string;
}

/**
 * The policy abort already knows before reading the primary: the one an earlier invocation of the same job found
 * (remembered in the continuation), else one named in the parameters (a teardown's stranded policy).
 */
export function knownPolicy(params: AbortParams, remembered: string | undefined): KnownPolicy | undefined {
  if (remembered) return { id: remembered, from: 'continuation' };
  return params.policyId ? { id: params.policyId, from: 'parameters' } : undefined;
}

/** Without a policy id there is nothing left to find: a teardown that detached and then failed left its policy behind. */
const ORPHAN_HINT =
  'if an earlier teardown detached a policy and then failed, re-run teardown with that ContinuousDeploymentPolicyId';

async function run({
  params,
  continuation,
  log,
  approve,
}: JobContext<AbortParams, AbortPhase, AbortMemory>): Promise<Outcome<AbortPhase, AbortMemory>> {
  const earlier = continuation?.data ?? {};
  const pass = await rollBackToPrimary(params, knownPolicy(params, earlier.policyId), log, { approve });
  const changes = [...(earlier.changes ? earlier.changes.split(',') : []), ...pass.written];

  if (pass.next.kind === 'wait') {
    return waitingOutcome(pass.next, {
      ...(pass.policyId ? { policyId: pass.policyId } : {}),
      ...(changes.length ? { changes: changes.join(',') } : {}),
    });
  }
  const summary = rollbackSummary(params.mode, params.primaryId, changes, pass.plan.nothingToDo, true);
  return {
    kind: 'succeeded',
    summary: params.mode === 'teardown' && !pass.policyId && !changes.length ? `${summary}; ${ORPHAN_HINT}` : summary,
    outputVariables: {
      Mode: params.mode,
      ContinuousDeploymentPolicyId: pass.policyId ?? 'none',
      Changes: changes.length ? changes.join(',') : 'none',
    },
  };
}

/** The abort CodePipeline action (UserParameters: PrimaryDistributionId, Mode, ContinuousDeploymentPolicyId, MaxWaitMinutes). */
export const abortAction: Action<AbortParams, AbortPhase, AbortMemory> = {
  name: 'abort',
  parseParams: parseAbortParams,
  maxWaitMinutes: (p) => p.maxWaitMinutes,
  phases: PHASES,
  readData: (_phase, data) => {
    const { policyId, changes } = data ?? {};
    return { ...(policyId ? { policyId } : {}), ...(changes ? { changes } : {}) };
  },
  run,
};
