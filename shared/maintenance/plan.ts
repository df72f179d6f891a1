/**
 * Maintenance without a ticket: the pure plans of `cfcd suspend` and `cfcd resume`. While a continuous deployment
 * policy is attached, CloudFront refuses the changes a security rotation needs — the viewer certificate, the minimum
 * TLS version, a web ACL's first association or its removal (developer guide, "Quotas and other considerations for
 * continuous deployment": "you must delete the continuous deployment policy"; the AWS CLI's tracker, aws/aws-cli#10446,
 * reports the certificate and TLS version rejected until the policy is detached). Suspend detaches the policy and
 * leaves it as it is — disabled, its staging and routing untouched — so that resume re-attaches exactly what was
 * there. Both refuse while the policy is enabled: viewers are on staging then, a canary under review, and the way out
 * is promote or abort, not maintenance. Pure: no I/O.
 */
import { attachedPolicyId, stagingDomainsOf, usesHttp3 } from '../domain/distribution-config.js';
import { StateCheckError } from '../domain/errors.js';
import { type Plan, DONE, waitFor } from '../domain/plan.js';
import { cdExclusions } from '../domain/preflight.js';
import { type DistributionState, type PolicyState, isDeployed } from '../domain/resources.js';
import { routingOf } from '../domain/traffic-config.js';

export interface SuspendState {
  primary: DistributionState;
  /** The policy the primary names; undefined when none is attached (or it no longer exists). */
  policy: PolicyState | undefined;
}

export interface ResumeState {
  primary: DistributionState;
  /** The policy to re-attach; undefined when it does not exist. */
  policy: PolicyState | undefined;
}

export type SuspendChange = { kind: 'detach-policy'; reason: string; policyId: string };
export type ResumeChange = { kind: 'attach-policy'; reason: string; policyId: string };

/** A maintenance plan: the change, what comes next, and why there is nothing to do (an idempotent re-run). */
export interface SuspendPlan extends Plan<SuspendChange, 'detached'> {
  nothingToDo?: string;
}
export interface ResumePlan extends Plan<ResumeChange, 'attached'> {
  nothingToDo?: string;
}

/** The policy's routing in a few words, for the plan's reasons. */
function describeTraffic(config: PolicyState['config']): string {
  const r = routingOf(config);
  if (r.type === 'header') return `header ${r.header}: ${r.value}`;
  if (r.type === 'weight') return `weight ${r.weight}${r.stickiness ? ', sticky sessions' : ''}`;
  return `traffic ${r.trafficType}`;
}

/** The canary refusal both commands share: viewers on staging are released or rolled back, never suspended. */
function canaryUnderReview(primaryId: string, policy: PolicyState, doing: string): StateCheckError {
  const domains = stagingDomainsOf(policy.config).join(', ') || 'its staging';
  return new StateCheckError(
    `policy ${policy.id} is enabled: viewers are being routed to staging ${domains} ` +
      `(${describeTraffic(policy.config)}), a canary under review, so nothing was changed (${doing}). ` +
      `Finish it first: promote it (\`cfcd promote --primary ${primaryId} --staging <id>\`) or roll it back ` +
      `(\`cfcd abort --primary ${primaryId}\`, which disables the policy); then run this command again.`,
  );
}

/** Waits for the primary to be Deployed after the change, or is done. */
function settle<Phase extends string>(primary: DistributionState, phase: Phase, what: string) {
  return isDeployed(primary) ? DONE : waitFor(phase, `primary ${primary.id} to be Deployed (${what})`, [primary.id]);
}

/** Detach the disabled policy so that the changes continuous deployment forbids can be made. */
export function planSuspend(state: SuspendState, phase: 'detached' | undefined): SuspendPlan {
  const { primary, policy } = state;
  const attached = attachedPolicyId(primary.config);
  if (!attached) {
    const next = settle(primary, 'detached', 'the policy detached');
    const none = [
      `no policy is attached to primary ${primary.id}:`,
      'nothing to detach (already suspended, or never set up)',
    ].join(' ');
    return { changes: [], next, ...(phase ? {} : { nothingToDo: none }) };
  }
  if (policy?.config.Enabled) throw canaryUnderReview(primary.id, policy, `suspend ${primary.id}`);
  const why = policy
    ? `policy ${attached} is disabled (${describeTraffic(policy.config)}); it stays, detached, for cfcd resume`
    : `policy ${attached} no longer exists; the primary still names it`;
  return {
    changes: [{ kind: 'detach-policy', policyId: attached, reason: `detach ${attached} from ${primary.id}: ${why}` }],
    next: waitFor('detached', `primary ${primary.id} to be Deployed (the policy detached)`, [primary.id]),
  };
}

/**
 * Re-attach the policy suspend detached, exactly as it is (disabled, same staging and routing). Refuses what
 * CloudFront would refuse at attach time (another policy attached, HTTP/3, a multi-tenant primary) and a policy that
 * was enabled meanwhile (attaching it would put viewers on staging at once: that is enable-cd's job, with its checks).
 */
export function planResume(state: ResumeState, phase: 'attached' | undefined, policyId: string): ResumePlan {
  const { primary, policy } = state;
  const attached = attachedPolicyId(primary.config);
  if (attached === policyId) {
    return {
      changes: [],
      next: settle(primary, 'attached', 'the policy attached'),
      ...(phase ? {} : { nothingToDo: `policy ${policyId} is already attached to primary ${primary.id}` }),
    };
  }
  const refuse = (why: string) =>
    new StateCheckError(`cannot re-attach policy ${policyId} to primary ${primary.id}: ${why}. Nothing was changed.`);
  if (attached)
    throw refuse(
      `the primary has another policy attached (${attached}); ` +
        `suspend it first (\`cfcd suspend --primary ${primary.id}\`) or leave it`,
    );
  if (!policy)
    throw refuse(
      'the policy does not exist (deleted while suspended, e.g. by `cfcd cleanup --all-orphans`?); ' +
        'create it again with the staging stack, then run enable-cd',
    );
  if (policy.config.Enabled)
    throw refuse(
      'the policy was enabled while detached, and attaching it would route viewers to staging at once; ' +
        `disable it, or start a canary with \`cfcd enable-cd --primary ${primary.id} --staging <id> --policy ` +
        `${policyId}\`, whose checks run first`,
    );
  if (usesHttp3(primary.config))
    throw refuse(`its HttpVersion is ${primary.config.HttpVersion}; continuous deployment does not support HTTP/3`);
  const exclusions = cdExclusions(primary.config);
  if (exclusions.length) throw refuse(exclusions.map((e) => `${e.field}: ${e.why}`).join('; '));
  return {
    changes: [
      {
        kind: 'attach-policy',
        policyId,
        reason: `re-attach ${policyId} to ${primary.id} as it was: disabled, ${describeTraffic(policy.config)}`,
      },
    ],
    next: waitFor('attached', `primary ${primary.id} to be Deployed (the policy attached)`, [primary.id]),
  };
}
