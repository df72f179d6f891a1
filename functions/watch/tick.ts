/**
 * One tick of the watch. Read the primary, then the policy it names: no canary live → one log line, done (a quiet
 * tick costs at most these two reads, and a GetPipelineState when the policy is disabled and PipelineName is set: a
 * pending approval whose canary is off is judged and, unhealthy, rejected — see reviewWithoutCanary). A live canary:
 * the staging ‖ the alarms, then staging's traffic (the gate's own GetMetricData read), judged by the gate's own
 * evaluation. Unhealthy → disable the policy with abort's own pass (If-Match, re-plan on a stale ETag) while the
 * pending approval and its release are looked up beside it, then reject that approval if it is this canary's
 * release. Every tick ends with one `tick` log line: the decision and the figures.
 */
import { type CanaryTraffic, readCanaryTraffic } from '../../shared/aws/metrics.js';
import { reviewedRelease } from '../../shared/aws/pipeline-executions.js';
import { awsErrorOf } from '../../shared/aws/call.js';
import { readDistribution, readDistributionIfExists, readPolicyIfExists } from '../../shared/aws/cloudfront.js';
import type { AlarmStates } from '../../shared/domain/alarms.js';
import { attachedPolicyId } from '../../shared/domain/distribution-config.js';
import { CfcdError, step } from '../../shared/domain/errors.js';
import { gateVariables } from '../../shared/domain/gate.js';
import type { DistributionState, PolicyState, ReviewedRelease } from '../../shared/domain/resources.js';
import { type Logger, createLogger, errorFields } from '../../shared/log.js';
import { type MetricValues, emitMetrics } from '../../shared/metrics-emf.js';
import { routingOf } from '../../shared/domain/traffic-config.js';
import { parseAbortObject } from '../../shared/rollback/params.js';
import { rollBackJudged } from '../../shared/rollback/steps.js';
import { readAlarms } from '../../shared/aws/alarms.js';
import { readPipelineState, rejectApproval } from './approval.js';
import { type ApprovalTarget, type WatchParams, parseWatchParams } from './params.js';
import {
  type Canary,
  type Health,
  type PendingApproval,
  canaryOf,
  decideRejection,
  judge,
  offCanaryReview,
  pendingApproval,
  rejectionSummary,
  watchedStaging,
} from './plan.js';
import { findStaging } from './staging.js';

/** What one tick decided: no canary, a canary it cannot judge, or the canary's health. */
export type TickDecision = 'quiet' | 'not-watched' | Health['verdict'];

/** What disabling the policy came to (abort's pass): the changes written, or why none was needed, or the error. */
export interface RollbackReport {
  changes: string[];
  nothingToDo?: string;
  /** Staging was redeployed since the verdict: the canary live now is another release's, and it was left alone. */
  newerRelease?: true;
  error?: string;
  /** The AWS error code of the failure, e.g. `AccessDenied`. */
  awsError?: string;
}

/** What became of the pending approval after an unhealthy verdict. */
export type RejectionReport =
  | { outcome: 'not-configured'; reason: string }
  | { outcome: 'no-pending-approval'; reason: string }
  | { outcome: 'rejected'; pipelineExecutionId: string; summary: string }
  | { outcome: 'already-answered'; pipelineExecutionId: string; error: string }
  | { outcome: 'other-release' | 'release-unknown'; pipelineExecutionId: string; reason: string }
  | { outcome: 'failed'; error: string };

/** The tick's log line, also the invocation's result. */
export interface TickSummary {
  decision: TickDecision;
  reason: string;
  primaryId: string;
  policyId: string | null;
  stagingId: string | null;
  stagingEtag?: string;
  /** The gate's figures (`StagingRequests`, `Staging5xxErrorRate`, ...), as promote reports them. */
  figures?: Record<string, string>;
  window?: { start: string; end: string };
  thresholds?: Record<string, number | null>;
  alarms?: { name: string; region: string | null; state: string }[];
  /** Alarms DescribeAlarms did not find: a typo, another account or another region. */
  missingAlarms?: string[];
  rollback?: RollbackReport;
  rejection?: RejectionReport;
  /** A quiet tick that looked for a pending approval could not: the input names none that exists, or a read failed. */
  approvalProblem?: string;
}

/** The tick judged the canary unhealthy but could not finish the rollback; thrown after the tick's line is logged. */
export class WatchRollbackError extends CfcdError {
  override readonly name = 'WatchRollbackError';
  readonly kind = 'failed';
}

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

function alarmFields(alarms: AlarmStates): Pick<TickSummary, 'alarms' | 'missingAlarms'> {
  return {
    ...(alarms.readings.length
      ? { alarms: alarms.readings.map((a) => ({ name: a.name, region: a.region ?? null, state: a.state })) }
      : {}),
    ...(alarms.missing.length ? { missingAlarms: alarms.missing.map((a) => a.name) } : {}),
  };
}

/** The pending approval and, when there is one, its execution's release. */
interface Lookup {
  pending: PendingApproval;
  release?: ReviewedRelease | undefined;
}

async function lookUpApproval(target: ApprovalTarget): Promise<Lookup> {
  const state = await step('read the pipeline state', () => readPipelineState(target));
  const pending = pendingApproval(state, target);
  if (pending.kind !== 'pending') return { pending };
  const release = await step('read the release of the pending execution', () =>
    reviewedRelease(target.pipelineName, pending.pipelineExecutionId),
  );
  return { pending, release };
}

/**
 * abort's own disable pass: re-reads primary and policy, plans, writes with If-Match, re-plans on a stale ETag — and
 * only while staging still carries the config judged unhealthy (a newer release's canary is the next tick's to judge).
 */
async function disablePolicy(primaryId: string, judged: DistributionState, log: Logger): Promise<RollbackReport> {
  try {
    const pass = await rollBackJudged(
      parseAbortObject({ PrimaryDistributionId: primaryId, Mode: 'disable' }),
      { stagingId: judged.id, stagingEtag: judged.etag },
      log,
    );
    return {
      changes: pass.written,
      ...(pass.plan.nothingToDo ? { nothingToDo: pass.plan.nothingToDo } : {}),
      ...(pass.plan.newerRelease ? { newerRelease: true as const } : {}),
    };
  } catch (err) {
    return { changes: [], error: errorText(err), awsError: awsErrorOf(err).name };
  }
}

async function answerApproval(
  target: ApprovalTarget,
  lookup: Promise<Lookup>,
  staging: DistributionState,
  summaryOf: () => string,
): Promise<RejectionReport> {
  try {
    const { pending, release } = await lookup;
    if (pending.kind === 'none') return { outcome: 'no-pending-approval', reason: pending.reason };
    if (pending.kind === 'misconfigured') return { outcome: 'failed', error: pending.reason };
    const { pipelineExecutionId } = pending;
    const decision = decideRejection(release, staging, pipelineExecutionId);
    if (decision.kind !== 'reject') return { outcome: decision.kind, pipelineExecutionId, reason: decision.reason };
    const summary = summaryOf();
    const answer = await step('reject the pending approval', () => rejectApproval(target, pending.token, summary));
    return answer.kind === 'rejected'
      ? { outcome: 'rejected', pipelineExecutionId, summary }
      : { outcome: 'already-answered', pipelineExecutionId, error: answer.error };
  } catch (err) {
    return { outcome: 'failed', error: errorText(err) };
  }
}

/** Where viewers are after the disable, for the rejection summary. */
function whereTrafficIs(primaryId: string, policyId: string, rollback: RollbackReport): string {
  if (rollback.newerRelease) {
    return (
      "staging was redeployed since: the canary live now is another release's, " +
      'which the watch judges on its next tick'
    );
  }
  if (!rollback.error) return `traffic moved back to primary ${primaryId}`;
  return (
    `the watch could not disable policy ${policyId} (${rollback.awsError}); ` +
    'the abort this rejection starts disables it'
  );
}

/** The metric counting each verdict on a live canary; a quiet tick counts in none. */
const VERDICT_METRICS: Record<Exclude<TickDecision, 'quiet'>, keyof MetricValues> = {
  healthy: 'TicksHealthy',
  'not-enough-traffic': 'TicksNotEnoughTraffic',
  unhealthy: 'TicksUnhealthy',
  'not-watched': 'TicksNotWatched',
};

/** The policy's state as the dashboard shows it: enabled or not, and the staging's weight while a canary is live. */
export function policyMetrics(canary: Canary): MetricValues {
  if (canary.kind === 'quiet') return { PolicyEnabled: 0, StagingWeight: 0 };
  const routing = routingOf(canary.policy.config);
  // A header-based canary has no weight: only the viewers who send the header reach the staging.
  return { PolicyEnabled: 1, ...(routing.type === 'weight' ? { StagingWeight: routing.weight * 100 } : {}) };
}

/** The tick's verdict and, when it disabled the policy, the rollback, as metrics. */
export function tickMetrics(summary: TickSummary): MetricValues {
  return {
    ...(summary.decision === 'quiet' ? {} : { [VERDICT_METRICS[summary.decision]]: 1 }),
    ...(summary.rollback ? { Rollbacks: Number(summary.rollback.changes.length > 0) } : {}),
  };
}

function logTick(log: Logger, summary: TickSummary): TickSummary {
  emitMetrics({ action: 'watch', primaryId: summary.primaryId }, tickMetrics(summary));
  const failed = summary.rollback?.error || summary.rejection?.outcome === 'failed';
  const warn =
    summary.decision === 'unhealthy' ||
    summary.decision === 'not-watched' ||
    summary.missingAlarms ||
    summary.approvalProblem;
  const level = failed ? 'error' : warn ? 'warn' : 'info';
  log[level]('tick', { ...summary });
  return summary;
}

/** The gate's figures, its window and thresholds, and the alarms, as the tick's line reports them. */
function judgementFields(
  gate: WatchParams['gate'],
  traffic: CanaryTraffic | undefined,
  alarms: AlarmStates,
): Partial<TickSummary> {
  return {
    ...(traffic
      ? {
          figures: {
            ...gateVariables(traffic.figures),
            ...(traffic.figures.primary ? { PrimaryRequests: String(traffic.figures.primary.requests) } : {}),
          },
          window: { start: traffic.window.start.toISOString(), end: traffic.window.end.toISOString() },
        }
      : {}),
    ...(gate
      ? {
          thresholds: {
            MinStagingRequests: gate.minStagingRequests ?? null,
            MaxStaging5xxErrorRate: gate.maxStaging5xxErrorRate ?? null,
            MaxErrorRateIncrease: gate.maxErrorRateIncrease ?? null,
            WindowMinutes: gate.windowMinutes,
          },
        }
      : {}),
    ...alarmFields(alarms),
  };
}

/** Judges the canary of `staging`: its traffic (the gate's read, when a threshold is set) and the alarms read. */
async function judgeCanary(
  params: WatchParams,
  primary: DistributionState,
  staging: DistributionState,
  policy: PolicyState,
  alarms: AlarmStates,
  now: () => number,
): Promise<{ health: Health; fields: Partial<TickSummary> }> {
  const { gate } = params;
  const traffic = gate
    ? await step('read staging traffic from CloudWatch', () => readCanaryTraffic(gate, primary, staging, now()))
    : undefined;
  const subject = { primaryId: primary.id, stagingId: staging.id, policy };
  const health = judge({ gate, figures: traffic?.figures, subject, alarms: alarms.readings });
  return { health, fields: judgementFields(gate, traffic, alarms) };
}

/** After an unhealthy verdict and the disable: reject the approval, log the tick, throw if either part failed. */
async function rejectAndReport(
  log: Logger,
  params: WatchParams,
  lookup: Promise<Lookup> | undefined,
  judged: TickSummary,
  health: Health,
  staging: DistributionState,
  rollback: RollbackReport,
  trafficNow: string,
): Promise<TickSummary> {
  const { approval } = params;
  const rejection: RejectionReport =
    approval && lookup
      ? await answerApproval(approval, lookup, staging, () => rejectionSummary(health.breaches, trafficNow))
      : { outcome: 'not-configured', reason: 'no PipelineName in the input: there is no approval to reject' };
  const summary = logTick(log, { ...judged, rollback, rejection });
  const problems = [
    ...(rollback.error ? [`disabling policy ${judged.policyId} failed: ${rollback.error}`] : []),
    ...(rejection.outcome === 'failed' ? [`rejecting the pending approval failed: ${rejection.error}`] : []),
  ];
  if (problems.length) {
    throw new WatchRollbackError(
      `watch: the canary of staging ${staging.id} is unhealthy (${health.reason}), but ${problems.join('; ')}`,
    );
  }
  return summary;
}

/**
 * A quiet tick whose policy is disabled while an approval is pending: the watch's own rollback whose rejection failed
 * (Lambda's retry and every later tick must still reject it), or a person's disable. When that execution's enable-cd
 * routed viewers to the staging and the staging still carries the reviewed ETag, its canary is judged on the window's
 * figures (still those of the live canary) and, unhealthy, its approval is rejected; nothing is written to
 * CloudFront. No approval pending — the steady state — costs one GetPipelineState beside the quiet tick's reads.
 */
async function reviewWithoutCanary(
  params: WatchParams,
  approval: ApprovalTarget,
  primary: DistributionState,
  policy: PolicyState,
  quiet: TickSummary,
  log: Logger,
  now: () => number,
): Promise<TickSummary> {
  const stillQuiet = (why: string, more: Partial<TickSummary> = {}) =>
    logTick(log, { ...quiet, ...more, reason: `${quiet.reason}; ${why}` });
  let lookup: Lookup;
  try {
    lookup = await lookUpApproval(approval);
  } catch (err) {
    // Nothing is live: a CodePipeline error here is no reason to fail the tick (and earn Lambda's retries).
    const problem = `the pending approval could not be looked up (${errorText(err)}); the next tick looks again`;
    return stillQuiet(problem, { approvalProblem: problem });
  }
  const { pending, release } = lookup;
  if (pending.kind === 'misconfigured') return stillQuiet(pending.reason, { approvalProblem: pending.reason });
  if (pending.kind === 'none') return stillQuiet(pending.reason);
  const { pipelineExecutionId } = pending;
  const review = offCanaryReview(release, pipelineExecutionId);
  if (review.kind === 'leave') return stillQuiet(review.reason);
  const [staging, alarms] = await Promise.all([
    step('read the staging distribution', () => readDistributionIfExists(review.release.stagingId)),
    step('read the alarms', () => readAlarms(params.alarms)),
  ]);
  if (!staging) {
    return stillQuiet(`staging ${review.release.stagingId} of execution ${pipelineExecutionId} no longer exists`);
  }
  const match = decideRejection(review.release, staging, pipelineExecutionId);
  if (match.kind !== 'reject') return stillQuiet(match.reason, { stagingId: staging.id });
  const { health, fields } = await judgeCanary(params, primary, staging, policy, alarms, now);
  const judged = { ...quiet, stagingId: staging.id, stagingEtag: staging.etag, ...fields };
  if (health.verdict !== 'unhealthy') {
    return stillQuiet(
      `execution ${pipelineExecutionId} is still under review with its canary off (${health.reason}): ` +
        'the approval is left to its reviewer',
      judged,
    );
  }
  return rejectAndReport(
    log,
    params,
    Promise.resolve(lookup),
    { ...judged, decision: 'unhealthy', reason: health.reason },
    health,
    staging,
    { changes: [], nothingToDo: quiet.reason },
    `policy ${policy.id} is disabled: all traffic is on primary ${primary.id}`,
  );
}

/** Runs one tick with parsed parameters; resolves with what it logged. */
export async function tick(params: WatchParams, log: Logger, now: () => number = Date.now): Promise<TickSummary> {
  const primary = await step('read the primary', () => readDistribution(params.primaryId));
  const policyId = attachedPolicyId(primary.config);
  const policy = policyId ? await step('read the policy', () => readPolicyIfExists(policyId)) : undefined;
  const canary = canaryOf(primary, policyId, policy);
  emitMetrics({ action: 'watch', primaryId: primary.id }, policyMetrics(canary));
  const base = { primaryId: primary.id, policyId: policyId ?? null };
  if (canary.kind === 'quiet') {
    const quiet: TickSummary = {
      decision: 'quiet',
      reason: canary.reason,
      ...base,
      stagingId: params.stagingId ?? null,
    };
    return canary.disabled && params.approval
      ? reviewWithoutCanary(params, params.approval, primary, canary.disabled, quiet, log, now)
      : logTick(log, quiet);
  }

  const [staging, alarms] = await Promise.all([
    step('read the staging distribution', () =>
      params.stagingId ? readDistribution(params.stagingId) : findStaging(canary.stagingDomains),
    ),
    step('read the alarms', () => readAlarms(params.alarms)),
  ]);
  const watched = watchedStaging(canary, staging, primary.id);
  if (watched.kind === 'not-watched') {
    return logTick(log, {
      decision: 'not-watched',
      reason: watched.reason,
      ...base,
      stagingId: staging?.id ?? null,
      ...alarmFields(alarms),
    });
  }
  const { health, fields } = await judgeCanary(params, primary, watched.staging, canary.policy, alarms, now);
  const judged: TickSummary = {
    decision: health.verdict,
    reason: health.reason,
    ...base,
    stagingId: watched.staging.id,
    stagingEtag: watched.staging.etag,
    ...fields,
  };
  if (health.verdict !== 'unhealthy') return logTick(log, judged);

  // The approval's token and release are read beside the disable; the rejection waits for the disable.
  const lookup = params.approval ? lookUpApproval(params.approval) : undefined;
  lookup?.catch(() => undefined);
  const rollback = await disablePolicy(primary.id, watched.staging, log);
  return rejectAndReport(
    log,
    params,
    lookup,
    judged,
    health,
    watched.staging,
    rollback,
    whereTrafficIs(primary.id, canary.policy.id, rollback),
  );
}

/** One tick from the schedule's constant input. Throws on bad input (before any AWS call) and on failure. */
export async function watch(event: unknown): Promise<TickSummary> {
  const log = createLogger({ function: 'watch' });
  // Known once the input is parsed: a refused input counts as a failure of the action alone.
  let primaryId: string | undefined;
  try {
    const params = parseWatchParams(event);
    primaryId = params.primaryId;
    return await tick(params, log);
  } catch (err) {
    // A rollback that failed half-way has logged its tick line already.
    if (!(err instanceof WatchRollbackError)) log.error('tick-failed', { error: errorFields(err) });
    emitMetrics({ action: 'watch', primaryId }, { Failures: 1 });
    throw err;
  }
}
