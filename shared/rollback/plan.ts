/**
 * abort's pure core: from the primary, the policy and the mode, list the changes that put all traffic back on the
 * primary (and, in teardown, remove the policy). No I/O here; the plan is logged and unit-tested without mocks.
 */
import { isDeployed, type DistributionState, type PolicyState, type ReviewedRelease } from '../domain/resources.js';
import { attachedPolicyId } from '../domain/distribution-config.js';
import { checkIsPrimary } from '../domain/checks.js';
import { StateCheckError, type Words, sentence } from '../domain/errors.js';
import { DONE, type Plan, waitFor } from '../domain/plan.js';
import type { AbortMode } from './params.js';
import { type AbortPhase, PHASE } from './phases.js';

/** Everything abort reads before deciding. */
export interface AbortState {
  primary: DistributionState;
  /**
   * The policy abort acts on: the one attached to the primary or, on a re-invocation, the one an earlier invocation
   * of the same job found (remembered in the continuation token, since a detached policy is no longer discoverable
   * from the primary). Undefined when no policy is attached and none is remembered.
   */
  policyId: string | undefined;
  /** That policy as read; undefined when it does not exist (already deleted). */
  policy: PolicyState | undefined;
  /** True when `policyId` came from the ContinuousDeploymentPolicyId parameter (a stranded policy to delete). */
  policyFromParameters?: boolean;
  /**
   * True when `policyId` came from the continuation token: a bookmark, not an authority. It is acted on only while
   * the live state agrees that it is the policy this job took off the primary (see {@link checkAbortState}).
   */
  policyFromContinuation?: boolean;
  /**
   * With a pipeline execution: the release it put up for review (undefined when it reported none) and the staging's
   * ETag now (undefined when the staging no longer exists).
   */
  release?: { executionId: string; reviewed: ReviewedRelease | undefined; stagingEtagNow: string | undefined };
  /**
   * With the canary watch: the staging config it judged unhealthy, and the ETag that staging carries now (undefined
   * when it no longer exists). The watch may disable only the canary it judged.
   */
  judged?: JudgedStaging & { stagingEtagNow: string | undefined };
}

/** A staging config as the canary watch judged it. */
export interface JudgedStaging {
  stagingId: string;
  stagingEtag: string;
}

/** One named change; `reason` is what the operator reads in the log. */
export type AbortChange =
  | { kind: 'disable-policy'; policyId: string; reason: string }
  | { kind: 'detach-policy'; primaryId: string; policyId: string; reason: string }
  | { kind: 'delete-policy'; policyId: string; reason: string };

export type AbortChangeKind = AbortChange['kind'];

/**
 * Changes to make now, in order, and what comes next: after a disable or detach, the primary's propagation; in
 * teardown, the detach propagating before the policy can be deleted (`detached`).
 */
export interface AbortPlan extends Plan<AbortChange, AbortPhase> {
  /** Why the plan is empty, for the log and the summary; undefined when there are changes or a deferred delete. */
  nothingToDo?: string;
  /** True when the canary belongs to a newer release than the execution being rolled back: it is left alone. */
  newerRelease?: true;
}

/** Refuses, before any write, a primary that cannot be the production distribution. */
export function checkAbortState(state: AbortState): void {
  checkIsPrimary(
    state.primary,
    'abort needs the production distribution that keeps the aliases and has the policy attached.',
  );
  const attached = attachedPolicyId(state.primary.config);
  if (state.policyFromParameters && attached && attached !== state.policyId) {
    // Deleting the named policy would leave the attached one routing viewers to staging while we report a rollback.
    const policy = (w: Words) => w.param('ContinuousDeploymentPolicyId');
    throw new StateCheckError(
      (w) =>
        `primary ${state.primary.id} has policy ${attached} attached, ` +
        `but ${policy(w)} names ${state.policyId}. Nothing was changed. ` +
        `Run teardown without ${policy(w)} to roll back and delete ${attached}, ` +
        `then again with ${state.policyId} to delete that one.`,
    );
  }
  if (state.policyFromContinuation) checkRemembered(state, attached);
}

/**
 * The policy a continuation token names is acted on only while the live state says it is this job's: attached to
 * the primary (not yet detached), or detached and disabled — abort disables a policy before it detaches it, and a
 * promotion disables it too. A token that names another policy than the one attached, or an enabled policy attached
 * nowhere here, was not written by this job: deleting that policy (or reporting a rollback) while the real canary
 * stays attached is exactly what a forged token would want. Nothing is written; a new run plans from the live state.
 */
function checkRemembered({ primary, policyId, policy }: AbortState, attached: string | undefined): void {
  const rerun = (w: Words) => `Nothing was changed. Run abort again without ${w.token}: it acts on the live state.`;
  if (attached && attached !== policyId) {
    throw new StateCheckError(
      (w) =>
        `primary ${primary.id} has policy ${attached} attached, but ${w.token} names policy ` +
        `${policyId}: the token is not this job's (or another release attached its policy meanwhile). ${rerun(w)}`,
    );
  }
  if (!attached && policy?.config.Enabled) {
    throw new StateCheckError(
      (w) =>
        `${sentence(w.token)} names policy ${policyId}, which is enabled and not attached to primary ` +
        `${primary.id}: abort disables a policy before detaching it, so this job did not detach it and will not ` +
        `delete it. ${rerun(w)}`,
    );
  }
}

/** The disable decision for a policy as read: only an enabled policy attached to the primary routes traffic. */
export function planDisable(
  primary: DistributionState,
  policy: PolicyState | undefined,
): Extract<AbortChange, { kind: 'disable-policy' }> | undefined {
  if (!policy?.config.Enabled || attachedPolicyId(primary.config) !== policy.id) return undefined;
  return {
    kind: 'disable-policy',
    policyId: policy.id,
    reason:
      `policy ${policy.id} is enabled and attached to primary ${primary.id}: ` +
      'disabling it sends all traffic to the primary',
  };
}

/** The detach decision for a primary as read. */
export function planDetach(
  primary: DistributionState,
  policyId: string,
): Extract<AbortChange, { kind: 'detach-policy' }> | undefined {
  if (attachedPolicyId(primary.config) !== policyId) return undefined;
  return {
    kind: 'detach-policy',
    primaryId: primary.id,
    policyId,
    reason: `policy ${policyId} is attached to primary ${primary.id}`,
  };
}

/** Plans one invocation of abort in `mode`. */
export function planAbort(state: AbortState, mode: AbortMode): AbortPlan {
  checkAbortState(state);
  const { primary, policyId, policy } = state;
  const guard = releaseGuard(state) ?? judgedGuard(state);
  if (guard) return { changes: [], next: settled(primary), ...guard };
  if (!policyId) {
    return {
      changes: [],
      next: settled(primary),
      nothingToDo: `no continuous deployment policy is attached to primary ${primary.id}`,
    };
  }

  const changes: AbortChange[] = [];
  // Disable first, even when detaching: it is a policy-only write that takes staging out of the traffic path at
  // once, so a detach that then fails (a primary update refused, a permission missing) still leaves viewers on the
  // primary. It costs one extra write and a session reset that no longer matters after a rejection.
  const disable = planDisable(primary, policy);
  if (disable) changes.push(disable);
  const detach = mode === 'disable' ? undefined : planDetach(primary, policyId);
  if (detach) changes.push(detach);

  if (mode === 'teardown' && policy) {
    // A policy still referenced by the primary cannot be deleted (ContinuousDeploymentPolicyInUse), and the docs ask
    // for the detach to be Deployed first: delete only once the primary no longer references it and has settled.
    if (detach || !isDeployed(primary)) {
      return {
        changes,
        next: waitFor(
          PHASE.detached,
          `primary ${primary.id} to be Deployed without policy ${policyId} before deleting the policy`,
          [primary.id],
        ),
      };
    }
    changes.push({
      kind: 'delete-policy',
      policyId,
      reason: `policy ${policyId} is detached from primary ${primary.id}, which is Deployed`,
    });
    // Deleting the policy does not touch the primary, which is already Deployed.
    return { changes, next: DONE };
  }
  // A disable or detach starts a propagation, and whatever runs next should see a settled primary.
  if (changes.length) return { changes, next: propagating(primary) };
  return { changes, next: settled(primary), nothingToDo: nothingToDo(state) };
}

/**
 * Rolling back one execution's release must never touch the canary of a newer one: act only while the staging still
 * carries the config that execution put up for review (its StagingETag; our actions never write the staging).
 */
function releaseGuard({ release }: AbortState): Pick<AbortPlan, 'nothingToDo' | 'newerRelease'> | undefined {
  if (!release) return undefined;
  const { executionId, reviewed, stagingEtagNow } = release;
  if (!reviewed) {
    return {
      nothingToDo:
        `execution ${executionId} reported no StagingETag (its enable-CD never succeeded), ` +
        'so it never put a canary up for review and there is nothing of it to roll back',
    };
  }
  if (stagingEtagNow === reviewed.stagingEtag) return undefined;
  return stagingMoved(
    reviewed,
    stagingEtagNow,
    `that execution ${executionId} put up for review: a newer release owns the canary, so it was left alone`,
  );
}

/** The guard's answer when staging no longer carries the config expected: nothing to do, and why. */
function stagingMoved(
  expected: { stagingId: string; stagingEtag: string },
  etagNow: string | undefined,
  why: string,
): Pick<AbortPlan, 'nothingToDo' | 'newerRelease'> {
  const now = etagNow ? `now carries ETag ${etagNow}` : 'no longer exists';
  return {
    newerRelease: true,
    nothingToDo: `staging ${expected.stagingId} ${now}, not ETag ${expected.stagingEtag} ${why}`,
  };
}

/**
 * The watch's disable re-reads and re-plans after a stale ETag, and a tick takes a while: by then a newer release
 * may have redeployed staging and enabled the policy for its own canary, which the watch has not judged. Act only
 * while staging still carries the config that was judged unhealthy; the next tick judges the new canary.
 */
function judgedGuard({ judged }: AbortState): Pick<AbortPlan, 'nothingToDo' | 'newerRelease'> | undefined {
  if (!judged || judged.stagingEtagNow === judged.stagingEtag) return undefined;
  return stagingMoved(
    judged,
    judged.stagingEtagNow,
    "that was judged unhealthy: the canary live now is another release's, " +
      'so it was left alone (the next tick judges it)',
  );
}

function propagating(primary: DistributionState): AbortPlan['next'] {
  return waitFor(PHASE.propagating, `primary ${primary.id} to be Deployed`, [primary.id]);
}

/** Nothing to write: done once the primary is Deployed. */
function settled(primary: DistributionState): AbortPlan['next'] {
  return isDeployed(primary) ? DONE : propagating(primary);
}

function nothingToDo({ primary, policyId, policy }: AbortState): string {
  if (!policy) return `policy ${policyId} no longer exists`;
  if (attachedPolicyId(primary.config) !== policyId)
    return `policy ${policyId} is not attached to primary ${primary.id}`;
  return `policy ${policyId} is already disabled`;
}

/** What the removal of a policy reads: the policy (gone is fine) and the primaries it was attached to when listed. */
export interface RemovalState {
  policy: PolicyState | undefined;
  primaries: DistributionState[];
}

/** The removal of a policy: detaches (waiting in `detached` for them to propagate), then the delete. */
export type RemovalPlan = Plan<Extract<AbortChange, { kind: 'detach-policy' | 'delete-policy' }>, 'detached'> & {
  nothingToDo?: string;
};

/**
 * The removal of a policy that may be an orphan (`cfcd cleanup`): abort's teardown without the disable — CloudFront
 * refuses a policy update naming a staging that is gone — and for any number of primaries, or none. Detach from every
 * primary that still names the policy; once none does and all are Deployed, delete it.
 */
export function planRemoval({ policy, primaries }: RemovalState): RemovalPlan {
  if (!policy) return { changes: [], next: DONE, nothingToDo: 'the policy no longer exists' };
  const detaches = primaries.map((p) => planDetach(p, policy.id)).filter((c) => c !== undefined);
  const waitForDetach = (ids: string[]) =>
    waitFor('detached' as const, `${ids.join(', ')} to be Deployed without policy ${policy.id}`, ids);
  if (detaches.length) return { changes: detaches, next: waitForDetach(detaches.map((c) => c.primaryId)) };
  const inProgress = primaries.filter((p) => !isDeployed(p)).map((p) => p.id);
  if (inProgress.length) return { changes: [], next: waitForDetach(inProgress) };
  const where = primaries.length
    ? `detached from ${primaries.map((p) => p.id).join(', ')}, which are Deployed`
    : 'attached to no distribution';
  return {
    changes: [{ kind: 'delete-policy', policyId: policy.id, reason: `policy ${policy.id} is ${where}` }],
    next: DONE,
  };
}
