/**
 * `cfcd suspend` and `cfcd resume`, declared for the one driver (shared/job/driver.ts), as cleanup's removal is: read
 * the primary and the policy, plan (./plan.ts), write with the primary's ETag (a stale one re-reads and re-plans),
 * then wait for the primary to be Deployed across passes. A re-run plans from the live state, so it finishes what a
 * stopped run began and is a no-op once done.
 *
 * Where the suspension is recorded: nowhere but CloudFront. The policy stays as it was — detached, disabled, its
 * staging DNS name and traffic config untouched — so it is its own record of the routing to restore, readable by
 * anyone with the ids and independent of the operator's machine. Resume takes the policy id (suspend prints it) or
 * finds it by the staging it routes to (a staging is named by one policy at most: StagingDistributionInUse). No tag is
 * written: it would need cloudfront:TagResource besides the UpdateDistribution the detach already needs.
 */
import { readDistribution, readPolicyIfExists, writeDistributionConfig } from '../aws/cloudfront.js';
import { attachedPolicyId, withPolicyId } from '../domain/distribution-config.js';
import type { ActionDefinition, Memory } from '../job/driver.js';
import type { Logger } from '../log.js';
import {
  type ResumePlan,
  type ResumeState,
  type SuspendPlan,
  type SuspendState,
  planResume,
  planSuspend,
} from './plan.js';

export interface SuspendParams {
  primaryId: string;
}
export interface ResumeParams {
  primaryId: string;
  policyId: string;
}

/** What a suspend remembers across passes: the policy it detached (the primary no longer names it). */
type SuspendMemory = Memory & { policyId?: string };

async function writePolicyId(primary: SuspendState['primary'], policyId: string, log: Logger, reason: string) {
  // "" detaches; leaving the field out would mean "no change" in SDK v3.
  const etag = await writeDistributionConfig(primary, withPolicyId(primary.config, policyId));
  log.info('write', {
    change: policyId ? 'attach-policy' : 'detach-policy',
    primaryId: primary.id,
    ifMatch: primary.etag,
    newEtag: etag,
    reason,
  });
  return true;
}

export const suspendAction: ActionDefinition<SuspendParams, SuspendState, SuspendPlan, 'detached', SuspendMemory> = {
  name: 'suspend',
  parameterNames: [],
  parseParams: (raw) => raw as SuspendParams,
  maxWaitMinutes: () => 60,
  phases: ['detached'],
  readStep: 'read the primary and its policy',
  steps: ({ params, phase, log }) => ({
    read: async (): Promise<SuspendState> => {
      const primary = await readDistribution(params.primaryId);
      const id = attachedPolicyId(primary.config);
      return { primary, policy: id ? await readPolicyIfExists(id) : undefined };
    },
    plan: (state) => planSuspend(state, phase),
    write: (change, state) => writePolicyId(state.primary, '', log, change.reason),
    stepName: () => 'detach the policy from the primary',
  }),
  remember: ({ plan }) => {
    const detached = plan.changes[0]?.policyId;
    return detached ? { policyId: detached } : {};
  },
  summarise: ({ params, plan, memory }): { summary: string; outputVariables: Record<string, string> } => {
    const policyId = memory.policyId;
    if (!policyId) return { summary: plan.nothingToDo ?? 'nothing to suspend', outputVariables: {} };
    return {
      summary:
        `policy ${policyId} detached from primary ${params.primaryId} and kept as it was (disabled). Make the ` +
        `change continuous deployment forbids, then: cfcd resume --primary ${params.primaryId} --policy ${policyId}`,
      outputVariables: { PrimaryDistributionId: params.primaryId, ContinuousDeploymentPolicyId: policyId },
    };
  },
};

export const resumeAction: ActionDefinition<ResumeParams, ResumeState, ResumePlan, 'attached', Memory> = {
  name: 'resume',
  parameterNames: [],
  parseParams: (raw) => raw as ResumeParams,
  maxWaitMinutes: () => 60,
  phases: ['attached'],
  readStep: 'read the primary and the policy',
  steps: ({ params, phase, log }) => ({
    read: async (): Promise<ResumeState> => {
      const [primary, policy] = await Promise.all([
        readDistribution(params.primaryId),
        readPolicyIfExists(params.policyId),
      ]);
      return { primary, policy };
    },
    plan: (state) => planResume(state, phase, params.policyId),
    write: (change, state) => writePolicyId(state.primary, change.policyId, log, change.reason),
    stepName: () => 'attach the policy to the primary',
  }),
  summarise: ({ params, plan, changes }) => ({
    summary: changes.includes('attach-policy')
      ? `policy ${params.policyId} attached to primary ${params.primaryId} again, as it was (disabled)`
      : (plan.nothingToDo ?? `policy ${params.policyId} is attached to primary ${params.primaryId}`),
    outputVariables: { PrimaryDistributionId: params.primaryId, ContinuousDeploymentPolicyId: params.policyId },
  }),
};
