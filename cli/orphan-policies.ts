/**
 * `cfcd cleanup`: every continuous deployment policy of the account, where it is attached, and whether its staging
 * still exists — and the removal of one: detach it from each primary with a fresh ETag, wait for those primaries to
 * be Deployed, then delete it (CloudFront refuses to delete a policy still attached: ContinuousDeploymentPolicyInUse).
 *
 * The removal is a small action of its own, run by the same driver as the pipeline actions, with abort's own detach,
 * wait and delete (shared/rollback). It is not abort's teardown because that one first disables the policy, and an
 * orphan is exactly a policy whose staging may be gone, which CloudFront will not accept in a policy update; and
 * because an orphan may be attached to no primary at all.
 */
import type { DistributionSummary } from '@aws-sdk/client-cloudfront';
import { readDistribution } from '../shared/aws/cloudfront.js';
import { attachedPolicyId, stagingDomainsOf } from '../shared/domain/distribution-config.js';
import { type Routing, routingOf } from '../shared/domain/traffic-config.js';
import type { ActionDefinition, Memory } from '../shared/job/driver.js';
import type { RemovalPlan, RemovalState } from '../shared/rollback/plan.js';
import { type RemovalParams, removalSteps } from '../shared/rollback/steps.js';
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

/**
 * The removal of one policy, declared: the driver runs it pass after pass like the pipeline actions (cfcd's job loop),
 * with abort's own detach and delete (shared/rollback).
 */
export const removalAction: ActionDefinition<RemovalParams, RemovalState, RemovalPlan, 'detached', Memory> = {
  name: 'cleanup',
  parameterNames: [],
  parseParams: (raw) => raw as RemovalParams,
  maxWaitMinutes: () => 60,
  phases: ['detached'],
  readStep: 'read the policy and its primaries',
  steps: ({ params, log }) => removalSteps(params, log),
  summarise: ({ params, plan, changes }) => ({
    summary: changes.includes('delete-policy')
      ? `policy ${params.policyId} deleted`
      : `nothing to delete (${plan.nothingToDo ?? 'another writer got there first'})`,
    outputVariables: {},
  }),
};
