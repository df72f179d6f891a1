/**
 * The watch's pure core: from what one tick read, decide whether a canary is live, whether it is healthy — judged by
 * the promotion gate's own evaluation and the user's alarms — and, when it is not, whether the pending approval is
 * this canary's release and what its rejection says. No I/O here; unit-tested without mocks.
 */
import type { GetPipelineStateOutput } from '@aws-sdk/client-codepipeline';
import { type AlarmReading, alarmLabel, alarmsInAlarm } from '../../shared/domain/alarms.js';
import { checkIsPrimary, checkIsStaging, routesTo } from '../../shared/domain/checks.js';
import { stagingDomainsOf } from '../../shared/domain/distribution-config.js';
import {
  type GateFigures,
  type GateParams,
  type GateSubject,
  type GateVerdict,
  describeFigures,
  evaluateGate,
  formatRate,
  requiredStagingRequests,
} from '../../shared/domain/gate.js';
import type { DistributionState, PolicyState, ReviewedRelease } from '../../shared/domain/resources.js';
import type { ApprovalTarget } from './params.js';

/** Whether viewers are being routed to a staging distribution right now. */
export type Canary =
  /** `disabled`: the attached policy, when it exists and is disabled (after a promotion, an abort or a rollback). */
  | { kind: 'quiet'; reason: string; disabled?: PolicyState }
  | { kind: 'live'; policy: PolicyState; stagingDomains: string[] };

/**
 * Decides from the primary and the policy it names whether a canary is live: only an enabled policy attached to the
 * primary and routing to a staging domain sends viewers anywhere but the primary. Everything else is a quiet tick.
 */
export function canaryOf(
  primary: DistributionState,
  policyId: string | undefined,
  policy: PolicyState | undefined,
): Canary {
  checkIsPrimary(
    primary,
    'the watch needs the production distribution that has the policy attached. ' +
      "Fix PrimaryDistributionId in the schedule's input.",
  );
  const quiet = (reason: string): Extract<Canary, { kind: 'quiet' }> => ({ kind: 'quiet', reason });
  if (!policyId) return quiet(`no continuous deployment policy is attached to primary ${primary.id}`);
  if (!policy) return quiet(`policy ${policyId} attached to primary ${primary.id} no longer exists`);
  if (policy.config.Enabled !== true) {
    return { ...quiet(`policy ${policyId} is disabled: all traffic is on primary ${primary.id}`), disabled: policy };
  }
  const stagingDomains = stagingDomainsOf(policy.config);
  if (!stagingDomains.length) return quiet(`policy ${policyId} routes to no staging distribution`);
  return { kind: 'live', policy, stagingDomains };
}

/** The staging distribution the watch judges, or why it judges none. */
export type Watched = { kind: 'watched'; staging: DistributionState } | { kind: 'not-watched'; reason: string };

/**
 * Checks that the staging found (named by `StagingDistributionId`, or looked up by the policy's staging domain) is
 * the one the live policy routes viewers to: another staging's figures say nothing about this canary.
 */
export function watchedStaging(
  live: Extract<Canary, { kind: 'live' }>,
  staging: DistributionState | undefined,
  primaryId: string,
): Watched {
  const { policy, stagingDomains } = live;
  if (!staging) {
    return {
      kind: 'not-watched',
      reason:
        `policy ${policy.id} attached to primary ${primaryId} routes to [${stagingDomains.join(', ')}], ` +
        'and no staging distribution has that domain',
    };
  }
  checkIsStaging(
    staging,
    'the watch judges the staging distribution the policy routes to. ' +
      "Fix StagingDistributionId in the schedule's input, or leave it out.",
  );
  if (!routesTo(policy, staging)) {
    return {
      kind: 'not-watched',
      reason:
        `policy ${policy.id} routes to [${stagingDomains.join(', ')}], ` +
        `not to StagingDistributionId ${staging.id} (${staging.domainName}): the watch judges only ${staging.id}. ` +
        "Fix StagingDistributionId in the schedule's input, " +
        'or leave it out to judge whichever staging the policy routes to.',
    };
  }
  return { kind: 'watched', staging };
}

/** What one tick judged the canary by: the gate's figures (when a threshold is set) and the alarms (when named). */
export interface HealthInput {
  gate: GateParams | undefined;
  figures: GateFigures | undefined;
  subject: GateSubject;
  alarms: AlarmReading[];
}

/** The health of a live canary. `not-enough-traffic` is healthy for now: no error rate is judged yet. */
export interface Health {
  verdict: 'healthy' | 'not-enough-traffic' | 'unhealthy';
  reason: string;
  /** Each reason the canary is unhealthy, short enough for the approval's rejection summary. */
  breaches: string[];
  /** The gate's own verdict, when a threshold is set. */
  gate?: GateVerdict;
}

/**
 * The thresholds the figures break, one phrase each. Each threshold is judged by the gate's own evaluation with the
 * other left out, so the watch says exactly which one failed without a second copy of the comparison.
 */
function gateBreaches(gate: GateParams, f: GateFigures, subject: GateSubject): string[] {
  const refuses = (only: Partial<GateParams>) =>
    evaluateGate({ ...gate, maxStaging5xxErrorRate: undefined, maxErrorRateIncrease: undefined, ...only }, f, subject)
      .kind === 'refuse';
  const rate = formatRate(f.staging.errorRate5xx);
  const over = `over ${f.windowMinutes} min (${f.staging.requests} requests)`;
  const breaches: string[] = [];
  const { maxStaging5xxErrorRate: maxRate, maxErrorRateIncrease: maxIncrease } = gate;
  if (maxRate !== undefined && refuses({ maxStaging5xxErrorRate: maxRate })) {
    breaches.push(`staging ${subject.stagingId} 5xx ${rate} % > ${maxRate} % ${over}`);
  }
  if (maxIncrease !== undefined && refuses({ maxErrorRateIncrease: maxIncrease })) {
    const baseline = formatRate(f.primary?.errorRate5xx ?? 0);
    const increase = formatRate(Number(rate) - Number(baseline));
    breaches.push(
      `staging ${subject.stagingId} 5xx ${rate} % is ${increase} points above ` +
        `primary ${subject.primaryId}'s ${baseline} % (> ${maxIncrease}) ${over}`,
    );
  }
  return breaches;
}

/**
 * Judges a live canary. Unhealthy when the gate refuses (a rate above its threshold, over at least the required
 * requests) or any alarm is in ALARM — an alarm is the user's own judgement, so it counts whatever the traffic. A
 * gate that waits means not enough traffic yet to judge an error rate: healthy for now.
 */
export function judge({ gate, figures, subject, alarms }: HealthInput): Health {
  const verdict = gate && figures ? evaluateGate(gate, figures, subject) : undefined;
  const withGate = verdict ? { gate: verdict } : {};
  const breaches = [
    ...(verdict?.kind === 'refuse' && gate && figures ? gateBreaches(gate, figures, subject) : []),
    ...alarmsInAlarm(alarms).map((a) => `alarm ${alarmLabel(a)} in ALARM`),
  ];
  const traffic = figures ? describeFigures(subject, figures) : undefined;
  if (breaches.length) {
    return {
      verdict: 'unhealthy',
      reason: `${breaches.join('; ')}${traffic ? ` (${traffic})` : ''}`,
      breaches,
      ...withGate,
    };
  }
  const alarmsOk = alarms.length ? `; no alarm in ALARM (${alarms.map(alarmLabel).join(', ')})` : '';
  const canary = `canary of staging ${subject.stagingId}`;
  if (verdict?.kind === 'wait' && gate && figures) {
    return {
      verdict: 'not-enough-traffic',
      reason:
        `no error rate judged yet: staging ${subject.stagingId} ` +
        `must serve at least ${requiredStagingRequests(gate)} request(s) first (${traffic})${alarmsOk}`,
      breaches,
      ...withGate,
    };
  }
  return {
    verdict: 'healthy',
    reason: `${traffic ? `staging ${subject.stagingId} is healthy (${traffic})` : canary}${alarmsOk}`,
    breaches,
    ...withGate,
  };
}

/** The approval the watch may reject: the one waiting for a reviewer, with its token and its pipeline execution. */
export type PendingApproval =
  | { kind: 'pending'; pipelineExecutionId: string; token: string }
  | { kind: 'none'; reason: string }
  | { kind: 'misconfigured'; reason: string };

/** Finds the approval action in GetPipelineState's answer; only an InProgress execution has a token to answer. */
export function pendingApproval(state: GetPipelineStateOutput, target: ApprovalTarget): PendingApproval {
  const { pipelineName, stageName, actionName } = target;
  const stages = state.stageStates ?? [];
  const stage = stages.find((s) => s.stageName === stageName);
  if (!stage) {
    return {
      kind: 'misconfigured',
      reason:
        `pipeline ${pipelineName} has no stage ${stageName} ` +
        `(stages: ${stages.map((s) => s.stageName).join(', ') || 'none'}); ` +
        "fix ApprovalStageName in the schedule's input",
    };
  }
  const actions = stage.actionStates ?? [];
  const action = actions.find((a) => a.actionName === actionName);
  if (!action) {
    return {
      kind: 'misconfigured',
      reason:
        `stage ${stageName} of pipeline ${pipelineName} has no action ${actionName} ` +
        `(actions: ${actions.map((a) => a.actionName).join(', ') || 'none'}); ` +
        "fix ApprovalActionName in the schedule's input",
    };
  }
  const execution = action.latestExecution;
  const pipelineExecutionId = stage.latestExecution?.pipelineExecutionId;
  if (execution?.status !== 'InProgress' || !execution.token || !pipelineExecutionId) {
    return {
      kind: 'none',
      reason: execution
        ? `approval ${stageName}/${actionName} of pipeline ${pipelineName} is not waiting ` +
          `(its latest execution is ${execution.status ?? 'unknown'})`
        : `approval ${stageName}/${actionName} of pipeline ${pipelineName} has not run`,
    };
  }
  return { kind: 'pending', pipelineExecutionId, token: execution.token };
}

/** Whether to reject the pending approval: only when its release is the canary the watch judged. */
export type RejectDecision = { kind: 'reject' } | { kind: 'other-release' | 'release-unknown'; reason: string };

/**
 * Rejects only the approval whose reviewer is looking at this staging config: the pending execution's `StagingETag`
 * must be the staging's current ETag. A newer execution's Deploy may have changed staging while an older one waits
 * (or a person did); rejecting the older would let a reviewer approve nothing, rejecting a newer one would answer a
 * review of a config the watch did not judge. Disabling the policy is right either way; this decides the rejection.
 */
export function decideRejection(
  release: ReviewedRelease | undefined,
  staging: DistributionState,
  pipelineExecutionId: string,
): RejectDecision {
  if (!release) {
    return {
      kind: 'release-unknown',
      reason:
        `execution ${pipelineExecutionId} reported no StagingETag ` +
        '(its enable-cd never succeeded, or predates release identity), ' +
        'so the watch cannot tell whether its reviewer sees this canary; the approval is left to the reviewer',
    };
  }
  if (release.stagingId !== staging.id) {
    return {
      kind: 'other-release',
      reason:
        `execution ${pipelineExecutionId} is the release of staging ${release.stagingId}, not of ${staging.id}; ` +
        'its approval is left to the reviewer',
    };
  }
  if (release.stagingEtag !== staging.etag) {
    return {
      kind: 'other-release',
      reason:
        `staging ${staging.id} carries ETag ${staging.etag}, ` +
        `but execution ${pipelineExecutionId} was reviewed at ETag ${release.stagingEtag}: ` +
        'the unhealthy canary is another release; its approval is left to the reviewer',
    };
  }
  return { kind: 'reject' };
}

/** Whether a review still pending while the policy is disabled is judged (and maybe rejected) or left alone. */
export type OffCanaryReview = { kind: 'judge'; release: ReviewedRelease } | { kind: 'leave'; reason: string };

/**
 * A review pending while its canary is off: the watch rolled it back and its rejection failed (the next ticks must
 * still reject it), or a person disabled the policy. Its canary's traffic is still in the window, so it is judged as
 * a live canary is — only when enable-CD left viewers routed to it: a release whose staging served what production
 * serves never had a canary (`PolicyEnabled` false), and one that reported no release has nothing to compare.
 */
export function offCanaryReview(release: ReviewedRelease | undefined, pipelineExecutionId: string): OffCanaryReview {
  if (!release) {
    return {
      kind: 'leave',
      reason: `execution ${pipelineExecutionId} awaits review but reported no StagingETag: nothing to judge`,
    };
  }
  if (release.routed !== true) {
    return {
      kind: 'leave',
      reason:
        `execution ${pipelineExecutionId} awaits review, ` +
        `but its enable-cd routed no viewer to staging ${release.stagingId}: there is no canary to judge`,
    };
  }
  return { kind: 'judge', release };
}

/** PutApprovalResult's summary limit. */
export const SUMMARY_MAX_CHARS = 512;

/**
 * The rejection's summary: the breaches (figures included) and where traffic is now, within 512 characters. Whole
 * breaches are dropped from the end, with a count, before the first one is cut; where traffic is is always kept.
 */
export function rejectionSummary(breaches: readonly string[], whereTrafficIs: string): string {
  const compose = (parts: string[]) => `canary watch: ${[...parts, whereTrafficIs].join('; ')}`;
  const more = (kept: number) =>
    breaches.length > kept ? [`(+${breaches.length - kept} more, see the watch log)`] : [];
  for (let kept = breaches.length; kept >= 1; kept--) {
    const text = compose([...breaches.slice(0, kept), ...more(kept)]);
    if (text.length <= SUMMARY_MAX_CHARS) return text;
  }
  if (!breaches.length) return compose([]).slice(0, SUMMARY_MAX_CHARS);
  const room = SUMMARY_MAX_CHARS - compose(['', ...more(1)]).length - 1;
  return compose([`${(breaches[0] as string).slice(0, Math.max(room, 0))}…`, ...more(1)]).slice(0, SUMMARY_MAX_CHARS);
}
