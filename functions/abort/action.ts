/**
 * abort as a CodePipeline action: one pass (read → plan → apply), then wait via continuation until the primary is
 * `Deployed` — in every mode, so that whatever runs next (a re-run of the pipeline, a stage that changes the primary)
 * sees a settled primary. Teardown deletes the policy only in a pass that finds the detach propagated.
 */
import { isDeployed } from '../../shared/domain/resources.js';
import type { Action, JobContext, Outcome } from '../../shared/job/runner.js';
import { parseAbortParams, type AbortParams } from './params.js';
import { rollBackToPrimary, type KnownPolicy } from './rollback.js';

/** What the continuation token carries between invocations (`Continuation.data`). */
interface AbortMemory {
  /** The policy found attached by the first invocation; after a detach the primary no longer names it. */
  policyId?: string;
  /** Changes written by earlier invocations of this job, comma-separated, for the final output variables. */
  changes?: string;
}

function remembered(data: Record<string, string> | undefined): { policyId: string | undefined; changes: string[] } {
  const memory: AbortMemory = data ?? {};
  return { policyId: memory.policyId || undefined, changes: memory.changes ? memory.changes.split(',') : [] };
}

/** Without a policy id there is nothing left to find: a teardown that detached and then failed left its policy behind. */
const ORPHAN_HINT =
  'if an earlier teardown detached a policy and then failed, re-run teardown with that ContinuousDeploymentPolicyId';

async function run({ params, continuation, log }: JobContext<AbortParams>): Promise<Outcome> {
  const earlier = remembered(continuation?.data);
  // A policy named in the parameters stands in for one remembered from an earlier invocation of the same job.
  const known: KnownPolicy | undefined = earlier.policyId
    ? { id: earlier.policyId, from: 'continuation' }
    : params.policyId
      ? { id: params.policyId, from: 'parameters' }
      : undefined;
  const pass = await rollBackToPrimary(params, known, log);
  const changes = [...earlier.changes, ...pass.applied];
  const memory: Record<string, string> = {
    ...(pass.policyId ? { policyId: pass.policyId } : {}),
    ...(changes.length ? { changes: changes.join(',') } : {}),
  };

  // Any planned disable or detach starts a propagation (even one a re-read found made by someone else); the next
  // invocation re-reads and finds an empty plan once it has landed. A policy delete does not touch the primary.
  const propagating = pass.plan.changes.some((c) => c.kind !== 'delete-policy') || !isDeployed(pass.primary);
  if (pass.plan.deleteDeferred || propagating) {
    return {
      kind: 'waiting',
      phase: pass.plan.deleteDeferred ? 'detached' : 'propagating',
      reason: pass.plan.deleteDeferred
        ? `primary ${params.primaryId} to be Deployed without policy ${pass.policyId} before deleting the policy`
        : `primary ${params.primaryId} to be Deployed`,
      inProgress: [params.primaryId],
      data: memory,
    };
  }
  return {
    kind: 'succeeded',
    summary: changes.length
      ? `${params.mode}: ${changes.join(', ')}; all traffic is on primary ${params.primaryId}`
      : `${params.mode}: nothing to change (${pass.plan.nothingToDo ?? 'already done'})${params.mode === 'teardown' && !pass.policyId ? `; ${ORPHAN_HINT}` : ''}`,
    outputVariables: {
      Mode: params.mode,
      ContinuousDeploymentPolicyId: pass.policyId ?? 'none',
      Changes: changes.length ? changes.join(',') : 'none',
    },
  };
}

/** The abort CodePipeline action (UserParameters: PrimaryDistributionId, Mode, ContinuousDeploymentPolicyId, MaxWaitMinutes). */
export const abortAction: Action<AbortParams> = {
  name: 'abort',
  parseParams: parseAbortParams,
  maxWaitMinutes: (p) => p.maxWaitMinutes,
  run,
};
