/**
 * One pass of abort, shared by both kinds of invocation (CodePipeline job and plain EventBridge event): read the
 * primary and its policy → plan → apply; the plan's `next` says what comes next, which only a job can wait for.
 */
import type { PlanSteps } from '../aws/apply-plan.js';
import { runPass } from '../job/driver.js';
import { reviewedRelease } from '../aws/pipeline-executions.js';
import {
  deletePolicy,
  isNoSuchPolicy,
  isPolicyInUse,
  readDistribution,
  readDistributionIfExists,
  readPolicyIfExists,
  writeDistributionConfig,
  writePolicyConfig,
} from '../aws/cloudfront.js';
import { attachedPolicyId, withPolicyEnabled, withPolicyId } from '../domain/distribution-config.js';
import { StateCheckError, type Wording, type Words, said, step } from '../domain/errors.js';
import {
  type DistributionState,
  type PolicyState,
  type ReviewedRelease,
  distributionLogFields,
} from '../domain/resources.js';
import type { Logger } from '../log.js';
import type { AbortMode, AbortParams } from './params.js';
import {
  type AbortChange,
  type AbortChangeKind,
  type AbortPlan,
  type AbortState,
  type JudgedStaging,
  type RemovalPlan,
  type RemovalState,
  planAbort,
  planRemoval,
} from './plan.js';

/**
 * The primary and its policy; with a pipeline execution, also the release it reviewed and the staging now; with the
 * watch's verdict, the judged staging now.
 */
async function readState(
  params: AbortParams,
  known: KnownPolicy | undefined,
  release: () => Promise<ReviewedRelease | undefined>,
  judged: JudgedStaging | undefined,
): Promise<AbortState> {
  const [state, guard, judgedNow] = await Promise.all([
    readRollbackTarget(params.primaryId, known),
    readGuard(params, release),
    judged ? readDistributionIfExists(judged.stagingId) : undefined,
  ]);
  return {
    ...state,
    ...(guard ? { release: guard } : {}),
    ...(judged ? { judged: { ...judged, stagingEtagNow: judgedNow?.etag } } : {}),
  };
}

/** With a pipeline execution: the release it put up for review, and the ETag its staging carries now. */
async function readGuard(
  params: AbortParams,
  release: () => Promise<ReviewedRelease | undefined>,
): Promise<AbortState['release']> {
  if (!params.execution) return undefined;
  const reviewed = await release();
  const staging = reviewed ? await readDistributionIfExists(reviewed.stagingId) : undefined;
  return { executionId: params.execution.executionId, reviewed, stagingEtagNow: staging?.etag };
}

async function readRollbackTarget(primaryId: string, known: KnownPolicy | undefined): Promise<AbortState> {
  if (known) {
    // The policy is already known (continuation token or parameter): no need to learn it from the primary first.
    const [primary, policy] = await Promise.all([readDistribution(primaryId), readPolicyIfExists(known.id)]);
    const from = known.from === 'parameters' ? { policyFromParameters: true } : { policyFromContinuation: true };
    return { primary, policyId: known.id, policy, ...from };
  }
  const primary = await readDistribution(primaryId);
  const policyId = attachedPolicyId(primary.config);
  const policy = policyId ? await readPolicyIfExists(policyId) : undefined;
  return { primary, policyId, policy };
}

/**
 * CloudFront refused the delete (ContinuousDeploymentPolicyInUse) although no primary this pass read names the policy:
 * another distribution does. Traffic is already on the primaries; `rerun` is how to finish once it is detached there.
 */
function inUseError(policyId: string, primaryIds: string[], rerun: Wording): StateCheckError {
  const primaries = primaryIds.join(', ');
  const read = primaryIds.length
    ? `although primary ${primaries} no longer references it, so all traffic is already on ${primaries}`
    : 'although no distribution this run read references it';
  return new StateCheckError(
    (w) =>
      `continuous deployment policy ${policyId} cannot be deleted: CloudFront reports it is still attached to a ` +
      `distribution (ContinuousDeploymentPolicyInUse), ${read}. Find the distribution whose config has ` +
      `ContinuousDeploymentPolicyId ${policyId} (aws cloudfront get-distribution-config --id <id>), detach it ` +
      `there, then delete the policy with aws cloudfront delete-continuous-deployment-policy --id ${policyId}, ` +
      `or ${said(rerun, w)}.`,
  );
}

/** Detaches the policy from `primary` with its ETag. */
async function detach(primary: DistributionState, change: { policyId: string; reason: string }, log: Logger) {
  // "" detaches; leaving the field out would mean "no change" in SDK v3.
  const etag = await writeDistributionConfig(primary, withPolicyId(primary.config, ''));
  log.info('write', {
    change: 'detach-policy',
    primaryId: primary.id,
    policyId: change.policyId,
    ifMatch: primary.etag,
    newEtag: etag,
    reason: change.reason,
  });
  return true;
}

/**
 * Deletes the policy with its ETag: already gone is nothing to do (false), and CloudFront's
 * ContinuousDeploymentPolicyInUse — attached to a distribution this pass did not read — is a refusal that says
 * where to look, never a silent success.
 */
async function deleteDetached(
  policy: PolicyState,
  primaryIds: string[],
  { reason, rerun }: { reason: string; rerun: Wording },
  log: Logger,
) {
  try {
    await deletePolicy(policy);
  } catch (err) {
    if (isNoSuchPolicy(err)) {
      log.info('write-skipped', { change: 'delete-policy', reason: 'policy already deleted' });
      return false;
    }
    if (isPolicyInUse(err)) throw inUseError(policy.id, primaryIds, rerun);
    throw err;
  }
  log.info('write', { change: 'delete-policy', policyId: policy.id, ifMatch: policy.etag, reason });
  return true;
}

/**
 * The teardown that finishes the removal of `policyId` once detached. A plain retry cannot find a detached policy (a
 * new run finds none attached to the primary), so it names the policy.
 */
export function finishTeardown(primaryId: string, policyId: string): (w: Words) => string {
  const params = { PrimaryDistributionId: primaryId, Mode: 'teardown', ContinuousDeploymentPolicyId: policyId };
  return (w) => w.command('abort', params);
}

/**
 * A teardown that found no policy attached to the primary, and so none to delete. It cannot know whether an earlier
 * teardown detached one and then failed — the primary no longer names it — so it says what it found and how to finish
 * such a policy, without claiming one exists.
 */
export function teardownFoundNone(primaryId: string): (w: Words) => string {
  return (w) =>
    `teardown: no continuous deployment policy is attached to primary ${primaryId}, so there was none to detach ` +
    'or delete. If an earlier teardown detached a policy and then failed, that policy still exists: finish it with ' +
    `${finishTeardown(primaryId, '<policy id>')(w)} (cfcd cleanup lists the policies attached to no distribution)`;
}

/** Makes one planned change against the state it was planned from. Resolves false when it was already made. */
async function write(change: AbortChange, state: AbortState, log: Logger): Promise<boolean> {
  switch (change.kind) {
    case 'disable-policy': {
      const policy = state.policy as PolicyState;
      const etag = await writePolicyConfig(policy, withPolicyEnabled(policy.config, false));
      log.info('write', {
        change: change.kind,
        policyId: policy.id,
        ifMatch: policy.etag,
        newEtag: etag,
        reason: change.reason,
      });
      return true;
    }
    case 'detach-policy':
      return detach(state.primary, change, log);
    case 'delete-policy':
      return deleteDetached(
        state.policy as PolicyState,
        [state.primary.id],
        {
          reason: change.reason,
          rerun: (w) =>
            `run ${finishTeardown(state.primary.id, (state.policy as PolicyState).id)(w)} once it is detached there`,
        },
        log,
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

/** How abort reads, plans and writes: both kinds of invocation and a dry run (`cfcd plan abort`) share it. */
export function abortSteps(
  params: AbortParams,
  known: KnownPolicy | undefined,
  log: Logger,
  judged?: JudgedStaging,
): PlanSteps<AbortState, AbortPlan> {
  // Which release the execution reviewed does not change: looked up once, even across re-reads after a 412.
  let lookup: Promise<ReviewedRelease | undefined> | undefined;
  const { execution } = params;
  const reviewed = () =>
    (lookup ??= execution
      ? step('look up the release the pipeline execution reviewed', () =>
          reviewedRelease(execution.pipelineName, execution.executionId),
        )
      : Promise.resolve(undefined));
  return {
    read: async () => {
      const state = await readState(params, known, reviewed, judged);
      logState(state, log);
      return state;
    },
    plan: (s) => {
      const plan = planAbort(s, params.mode);
      if (plan.newerRelease) log.warn('newer-release-owns-staging', { reason: plan.nothingToDo });
      return plan;
    },
    write: (change, s) => write(change, s, log),
    stepName: (change) => STEP_NAMES[change.kind],
  };
}

/**
 * One pass of abort's disable for the canary watch, through the same driver as the actions: only while staging still
 * carries the config the watch judged unhealthy.
 */
export function rollBackJudged(params: AbortParams, judged: JudgedStaging, log: Logger) {
  return runPass(
    { readStep: 'read the primary and its policy', steps: () => abortSteps(params, undefined, log, judged) },
    { params, continuation: undefined, log },
  );
}

function logState(state: AbortState, log: Logger): void {
  log.info('state-read', {
    primary: distributionLogFields(state.primary),
    policy: state.policyId
      ? {
          id: state.policyId,
          exists: state.policy !== undefined,
          enabled: state.policy?.config.Enabled ?? null,
          etag: state.policy?.etag ?? null,
        }
      : null,
    ...(state.judged ? { judged: { ...state.judged, stagingEtagNow: state.judged.stagingEtagNow ?? null } } : {}),
    ...(state.release
      ? {
          release: {
            executionId: state.release.executionId,
            stagingId: state.release.reviewed?.stagingId ?? null,
            reviewedEtag: state.release.reviewed?.stagingEtag ?? null,
            stagingEtagNow: state.release.stagingEtagNow ?? null,
          },
        }
      : {}),
  });
}

/**
 * The one sentence both kinds of invocation report. `changes` are the writes so far (across continuations for a
 * job); `settled` says whether the primary is known to be Deployed with them.
 */
export function rollbackSummary(
  mode: AbortMode,
  primaryId: string,
  changes: readonly string[],
  nothingToDo: string | undefined,
  settled: boolean,
): string {
  if (!changes.length) return `${mode}: nothing to change (${nothingToDo ?? 'another writer got there first'})`;
  const where = settled
    ? `all traffic is on primary ${primaryId}`
    : `all traffic goes to primary ${primaryId} once it has propagated`;
  return `${mode}: ${changes.join(', ')}; ${where}`;
}

/** Which primaries a policy is removed from: the ones it was attached to when listed. */
export interface RemovalParams {
  policyId: string;
  primaries: string[];
}

/** How the removal of a policy reads, plans and writes (`cfcd cleanup`), with abort's own detach and delete. */
export function removalSteps(params: RemovalParams, log: Logger): PlanSteps<RemovalState, RemovalPlan> {
  return {
    read: async () => {
      const [policy, primaries] = await Promise.all([
        readPolicyIfExists(params.policyId),
        Promise.all(params.primaries.map((id) => readDistribution(id))),
      ]);
      log.info('state-read', {
        policy: policy ? { id: policy.id, etag: policy.etag, enabled: policy.config.Enabled } : null,
        primaries: primaries.map((p) => ({
          id: p.id,
          status: p.status,
          etag: p.etag,
          policyId: attachedPolicyId(p.config) ?? null,
        })),
      });
      return { policy, primaries };
    },
    plan: planRemoval,
    write: (change, state) =>
      change.kind === 'detach-policy'
        ? detach(state.primaries.find((p) => p.id === change.primaryId) as DistributionState, change, log)
        : deleteDetached(
            state.policy as PolicyState,
            state.primaries.map((p) => p.id),
            { reason: change.reason, rerun: `run cfcd cleanup --delete ${params.policyId} again` },
            log,
          ),
    stepName: (change) =>
      change.kind === 'detach-policy'
        ? `detach the policy from ${change.primaryId}`
        : 'delete the continuous deployment policy',
  };
}
