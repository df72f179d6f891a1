/**
 * One pass of abort, shared by both kinds of invocation (CodePipeline job and plain EventBridge event):
 * read the primary and its policy → check and plan → apply. Waiting is the caller's business.
 */
import {
  deletePolicy,
  isNoSuchPolicy,
  isPolicyInUse,
  readDistribution,
  readPolicyIfExists,
  retryOnStaleEtag,
  writeDistributionConfig,
  writePolicyConfig,
} from '../../shared/aws/cloudfront.js';
import { type DistributionState } from '../../shared/domain/resources.js';
import { attachedPolicyId, withPolicyEnabled, withPolicyId } from '../../shared/domain/distribution-config.js';
import { StateCheckError, step } from '../../shared/domain/errors.js';
import type { Logger } from '../../shared/log.js';
import type { AbortParams } from './params.js';
import {
  planAbort,
  planDetach,
  planDisable,
  type AbortChange,
  type AbortChangeKind,
  type AbortPlan,
  type AbortState,
} from './plan.js';

/** What one pass read, planned and wrote. */
export interface RollbackPass {
  /** The primary as read at the start of the pass. */
  primary: DistributionState;
  policyId: string | undefined;
  plan: AbortPlan;
  /** The changes actually written (a re-read after a stale ETag may show one already made by someone else). */
  applied: AbortChangeKind[];
}

async function readState(primaryId: string, known: KnownPolicy | undefined): Promise<AbortState> {
  if (known) {
    // The policy is already known (continuation token or parameter): no need to learn it from the primary first.
    const [primary, policy] = await Promise.all([readDistribution(primaryId), readPolicyIfExists(known.id)]);
    return { primary, policyId: known.id, policy, policyFromParameters: known.from === 'parameters' };
  }
  const primary = await readDistribution(primaryId);
  const policyId = attachedPolicyId(primary.config);
  const policy = policyId ? await readPolicyIfExists(policyId) : undefined;
  return { primary, policyId, policy };
}

function inUseError(policyId: string, primaryId: string): StateCheckError {
  return new StateCheckError(
    `continuous deployment policy ${policyId} cannot be deleted: CloudFront reports it is still attached to a distribution (ContinuousDeploymentPolicyInUse), ` +
      `although primary ${primaryId} no longer references it, so all traffic is already on ${primaryId}. Find the distribution whose ContinuousDeploymentPolicyId is ${policyId} ` +
      `(aws cloudfront get-distribution-config --id <id>), detach it there, then delete the policy with aws cloudfront delete-continuous-deployment-policy --id ${policyId}. ` +
      `A plain retry cannot find it (a new job finds no policy attached to ${primaryId}); once it is detached there, re-run teardown with ContinuousDeploymentPolicyId ${policyId}.`,
  );
}

/** Applies one change; CloudFront writes re-read and re-plan on a stale ETag. Returns whether it wrote. */
async function apply(change: AbortChange, state: AbortState, log: Logger): Promise<boolean> {
  switch (change.kind) {
    case 'disable-policy':
      return retryOnStaleEtag(
        'disable policy',
        log,
        state.policy,
        () => readPolicyIfExists(change.policyId),
        async (policy) => {
          if (!policy || !planDisable(state.primary, policy)) {
            log.info('write-skipped', { change: change.kind, reason: 'already disabled or gone on re-read' });
            return false;
          }
          const etag = await writePolicyConfig(policy, withPolicyEnabled(policy.config, false));
          log.info('write', {
            change: change.kind,
            policyId: policy.id,
            ifMatch: policy.etag,
            newEtag: etag,
            reason: change.reason,
          });
          return true;
        },
      );
    case 'detach-policy':
      return retryOnStaleEtag(
        'detach policy',
        log,
        state.primary,
        () => readDistribution(change.primaryId),
        async (primary) => {
          if (!planDetach(primary, change.policyId)) {
            log.info('write-skipped', { change: change.kind, reason: 'already detached on re-read' });
            return false;
          }
          // "" detaches; leaving the field out would mean "no change" in SDK v3.
          const etag = await writeDistributionConfig(primary, withPolicyId(primary.config, ''));
          log.info('write', {
            change: change.kind,
            primaryId: primary.id,
            policyId: change.policyId,
            ifMatch: primary.etag,
            newEtag: etag,
            reason: change.reason,
          });
          return true;
        },
      );
    case 'delete-policy':
      return retryOnStaleEtag(
        'delete policy',
        log,
        state.policy,
        () => readPolicyIfExists(change.policyId),
        async (policy) => {
          const alreadyDeleted = () => {
            log.info('write-skipped', { change: change.kind, reason: 'policy already deleted' });
            return false;
          };
          if (!policy) return alreadyDeleted();
          try {
            await deletePolicy(policy);
          } catch (err) {
            if (isNoSuchPolicy(err)) return alreadyDeleted();
            if (isPolicyInUse(err)) throw inUseError(change.policyId, state.primary.id);
            throw err;
          }
          log.info('write', { change: change.kind, policyId: policy.id, ifMatch: policy.etag, reason: change.reason });
          return true;
        },
      );
  }
}

const STEP_NAMES: Record<AbortChangeKind, string> = {
  'disable-policy': 'disable the continuous deployment policy',
  'detach-policy': 'detach the policy from the primary',
  'delete-policy': 'delete the continuous deployment policy',
};

/**
 * A policy abort already knows: the one an earlier invocation of the same job found attached (after a detach it can
 * no longer be discovered from the primary), or one named in the parameters (a policy a failed teardown stranded).
 */
export interface KnownPolicy {
  id: string;
  from: 'continuation' | 'parameters';
}

/** Reads, plans and applies one pass of abort. */
export async function rollBackToPrimary(
  params: AbortParams,
  known: KnownPolicy | undefined,
  log: Logger,
): Promise<RollbackPass> {
  const state = await step('read the primary and its policy', () => readState(params.primaryId, known));
  log.info('state-read', {
    primary: {
      id: state.primary.id,
      status: state.primary.status,
      etag: state.primary.etag,
      policyId: state.primary.config.ContinuousDeploymentPolicyId ?? '',
    },
    policy: state.policyId
      ? {
          id: state.policyId,
          exists: state.policy !== undefined,
          enabled: state.policy?.config.Enabled ?? null,
          etag: state.policy?.etag ?? null,
        }
      : null,
  });

  const plan = await step('check and plan', async () => planAbort(state, params.mode));
  log.info('plan', {
    mode: params.mode,
    changes: plan.changes.map(({ kind, reason }) => ({ kind, reason })),
    deleteDeferred: plan.deleteDeferred,
    nothingToDo: plan.nothingToDo ?? null,
  });

  const applied: AbortChangeKind[] = [];
  for (const change of plan.changes) {
    if (await step(STEP_NAMES[change.kind], () => apply(change, state, log))) applied.push(change.kind);
  }
  return { primary: state.primary, policyId: state.policyId, plan, applied };
}
