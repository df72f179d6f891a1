/**
 * `cfcd cleanup`: every continuous deployment policy of the account, where it is attached, and whether its staging
 * still exists — and the removal of one: detach it from each primary with a fresh ETag, wait for those primaries to
 * be Deployed, then delete it (CloudFront refuses to delete a policy still attached: ContinuousDeploymentPolicyInUse).
 *
 * The removal is a small action of its own, run by the same job loop as the pipeline actions, with the same
 * read → plan → apply and stale-ETag policy (apply-plan.ts) and abort's own detach decision. It is not abort's
 * teardown because that one first disables the policy, and an orphan is exactly a policy whose staging may be gone,
 * which CloudFront will not accept in a policy update; and because an orphan may be attached to no primary at all.
 */
import type { DistributionSummary } from '@aws-sdk/client-cloudfront';
import { planDetach } from '../shared/rollback/plan.js';
import { type PlanSteps, applyPlan } from '../shared/aws/apply-plan.js';
import {
  deletePolicy,
  isNoSuchPolicy,
  readDistribution,
  readPolicyIfExists,
  writeDistributionConfig,
} from '../shared/aws/cloudfront.js';
import { attachedPolicyId, stagingDomainsOf, withPolicyId } from '../shared/domain/distribution-config.js';
import { step } from '../shared/domain/errors.js';
import { DONE, type Plan, waitFor } from '../shared/domain/plan.js';
import { type DistributionState, type PolicyState, isDeployed } from '../shared/domain/resources.js';
import { type Routing, routingOf } from '../shared/domain/traffic-config.js';
import { type Action, type Outcome, waitingOutcome } from '../shared/job/runner.js';
import type { Logger } from '../shared/log.js';
import { listDistributions, listPolicies, mapLimited } from './cloudfront-lists.js';

/** One policy of the account, as cleanup lists it. */
export interface PolicyEntry {
  id: string;
  enabled: boolean;
  traffic: Routing;
  stagingDomains: string[];
  /** The distribution with the policy's (first) staging domain; null when there is none any more. */
  staging: { id: string; domainName: string; status: string; isStaging: boolean } | null;
  /** The primaries whose config names this policy. */
  attachedTo: string[];
  /** Why the policy is an orphan (attached nowhere, or routing to a staging that is gone); null when it is not. */
  orphan: string | null;
  /** Attached, enabled and routing to an existing staging: viewers may be on staging right now. */
  liveCanary: boolean;
}

/** How many GetDistribution calls run at once: CloudFront's control plane has a low request rate. */
const READ_CONCURRENCY = 4;

function orphanReason(entry: Omit<PolicyEntry, 'orphan' | 'liveCanary'>): string | null {
  if (!entry.staging)
    return `routes to ${entry.stagingDomains.join(', ') || 'no distribution'}, which is no distribution any more`;
  if (!entry.staging.isStaging) return `routes to ${entry.staging.id}, which is not a staging distribution`;
  if (!entry.attachedTo.length) return 'attached to no distribution';
  return null;
}

/** Lists every policy with where it is attached and what its staging is (ListDistributions shows no policy ids). */
export async function readInventory(): Promise<PolicyEntry[]> {
  const [policies, distributions] = await Promise.all([listPolicies(), listDistributions()]);
  if (!policies.length) return [];
  const primaries = distributions.filter((d) => !d.Staging && d.Id);
  const attached = await mapLimited(primaries, READ_CONCURRENCY, async (d) => {
    const read = await readDistribution(d.Id as string);
    return { id: read.id, policyId: attachedPolicyId(read.config) };
  });
  const byDomain = new Map<string, DistributionSummary>(distributions.map((d) => [d.DomainName ?? '', d]));
  return policies.map((p) => {
    const stagingDomains = stagingDomainsOf(p.config);
    const found = stagingDomains.map((domain) => byDomain.get(domain)).find((d) => d !== undefined);
    const partial = {
      id: p.id,
      enabled: p.config.Enabled === true,
      traffic: routingOf(p.config),
      stagingDomains,
      staging: found?.Id
        ? {
            id: found.Id,
            domainName: found.DomainName ?? '',
            status: found.Status ?? 'unknown',
            isStaging: found.Staging === true,
          }
        : null,
      attachedTo: attached.filter((a) => a.policyId === p.id).map((a) => a.id),
    };
    const orphan = orphanReason(partial);
    return { ...partial, orphan, liveCanary: !orphan && partial.enabled };
  });
}

export interface RemovalParams {
  policyId: string;
  /** The primaries the policy was attached to when listed: detached, then awaited until Deployed. */
  primaries: string[];
}

interface RemovalState {
  policy: PolicyState | undefined;
  primaries: DistributionState[];
}

type RemovalChange =
  | { kind: 'detach-policy'; primaryId: string; policyId: string; reason: string }
  | { kind: 'delete-policy'; policyId: string; reason: string };

type RemovalPlan = Plan<RemovalChange, 'detached'> & { nothingToDo?: string };

/** Detach from every primary that still names the policy; once none does and all are Deployed, delete it. */
export function planRemoval(state: RemovalState): RemovalPlan {
  const { policy, primaries } = state;
  if (!policy) return { changes: [], next: DONE, nothingToDo: 'the policy no longer exists' };
  const detaches = primaries.map((p) => planDetach(p, policy.id)).filter((c) => c !== undefined);
  if (detaches.length) {
    const ids = detaches.map((c) => c.primaryId);
    return {
      changes: detaches,
      next: waitFor('detached', `${ids.join(', ')} to be Deployed without policy ${policy.id}`, ids),
    };
  }
  const inProgress = primaries.filter((p) => !isDeployed(p)).map((p) => p.id);
  if (inProgress.length)
    return {
      changes: [],
      next: waitFor('detached', `${inProgress.join(', ')} to be Deployed without policy ${policy.id}`, inProgress),
    };
  const where = primaries.length
    ? `detached from ${primaries.map((p) => p.id).join(', ')}, which are Deployed`
    : 'attached to no distribution';
  return {
    changes: [{ kind: 'delete-policy', policyId: policy.id, reason: `policy ${policy.id} is ${where}` }],
    next: DONE,
  };
}

function removalSteps(params: RemovalParams, log: Logger): PlanSteps<RemovalState, RemovalPlan> {
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
    write: async (change, state) => {
      if (change.kind === 'detach-policy') {
        const primary = state.primaries.find((p) => p.id === change.primaryId) as DistributionState;
        // "" detaches; leaving the field out would mean "no change" in SDK v3.
        const etag = await writeDistributionConfig(primary, withPolicyId(primary.config, ''));
        log.info('write', {
          change: change.kind,
          primaryId: primary.id,
          ifMatch: primary.etag,
          newEtag: etag,
          reason: change.reason,
        });
        return true;
      }
      try {
        await deletePolicy(state.policy as PolicyState);
      } catch (err) {
        if (!isNoSuchPolicy(err)) throw err;
        log.info('write-skipped', { change: change.kind, reason: 'the policy was already deleted' });
        return false;
      }
      log.info('write', { change: change.kind, policyId: change.policyId, reason: change.reason });
      return true;
    },
    stepName: (change) =>
      change.kind === 'detach-policy'
        ? `detach the policy from ${change.primaryId}`
        : 'delete the continuous deployment policy',
  };
}

/** The removal of one policy, as an action the job loop runs pass after pass. */
export const removalAction: Action<RemovalParams, 'detached'> = {
  name: 'cleanup',
  parseParams: (raw) => raw as RemovalParams,
  maxWaitMinutes: () => 60,
  phases: ['detached'],
  run: async ({ params, log }): Promise<Outcome<'detached'>> => {
    const steps = removalSteps(params, log);
    const initial = await step('read the policy and its primaries', () => steps.read());
    const { plan, written, next } = await applyPlan(steps, initial, log);
    if (next.kind === 'wait') return waitingOutcome(next);
    return {
      kind: 'succeeded',
      summary: written.some((c) => c.kind === 'delete-policy')
        ? `policy ${params.policyId} deleted`
        : `nothing to delete (${plan.nothingToDo ?? 'another writer got there first'})`,
    };
  },
};
