/**
 * One tick of the watch. Read the primary, then the policy it names: no canary live → one log line, done (a quiet
 * tick costs at most these two reads). A live canary: the staging ‖ the alarms, then staging's traffic (the gate's own
 * GetMetricData read), judged by the gate's own evaluation. Unhealthy → disable the policy with abort's own pass
 * (If-Match, re-plan on a stale ETag) while the pending approval and its release are looked up beside it, then reject
 * that approval if it is this canary's release. Every tick ends with one `tick` log line: the decision and the figures.
 */
import { readCanaryTraffic } from '../../shared/aws/metrics.js';
import { reviewedRelease } from '../../shared/aws/pipeline-executions.js';
import { awsErrorOf } from '../../shared/aws/call.js';
import { readDistribution, readPolicyIfExists } from '../../shared/aws/cloudfront.js';
import { attachedPolicyId } from '../../shared/domain/distribution-config.js';
import { step } from '../../shared/domain/errors.js';
import { gateVariables } from '../../shared/domain/gate.js';
import type { DistributionState, ReviewedRelease } from '../../shared/domain/resources.js';
import { type Logger, createLogger } from '../../shared/log.js';
import { parseAbortObject } from '../abort/params.js';
import { rollBackToPrimary } from '../abort/rollback.js';
import { type AlarmStates, readAlarms } from './alarms.js';
import { readPipelineState, rejectApproval } from './approval.js';
import { type ApprovalTarget, type WatchParams, parseWatchParams } from './params.js';
import {
  type Health,
  type PendingApproval,
  canaryOf,
  decideRejection,
  judge,
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
}

/** The tick judged the canary unhealthy but could not finish the rollback; thrown after the tick's line is logged. */
export class WatchRollbackError extends Error {
  override readonly name = 'WatchRollbackError';
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

/** abort's own disable pass: re-reads primary and policy, plans, writes with If-Match, re-plans on a stale ETag. */
async function disablePolicy(primaryId: string, log: Logger): Promise<RollbackReport> {
  try {
    const pass = await rollBackToPrimary(
      parseAbortObject({ PrimaryDistributionId: primaryId, Mode: 'disable' }),
      undefined,
      log,
    );
    return { changes: pass.written, ...(pass.plan.nothingToDo ? { nothingToDo: pass.plan.nothingToDo } : {}) };
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
  if (!rollback.error) return `traffic moved back to primary ${primaryId}`;
  return `the watch could not disable policy ${policyId} (${rollback.awsError}); the abort this rejection starts disables it`;
}

function logTick(log: Logger, summary: TickSummary): TickSummary {
  const failed = summary.rollback?.error || summary.rejection?.outcome === 'failed';
  const warn = summary.decision === 'unhealthy' || summary.decision === 'not-watched' || summary.missingAlarms;
  const level = failed ? 'error' : warn ? 'warn' : 'info';
  log[level]('tick', { ...summary });
  return summary;
}

/** Runs one tick with parsed parameters; resolves with what it logged. */
export async function tick(params: WatchParams, log: Logger, now: () => number = Date.now): Promise<TickSummary> {
  const primary = await step('read the primary', () => readDistribution(params.primaryId));
  const policyId = attachedPolicyId(primary.config);
  const policy = policyId ? await step('read the policy', () => readPolicyIfExists(policyId)) : undefined;
  const canary = canaryOf(primary, policyId, policy);
  const base = { primaryId: primary.id, policyId: policyId ?? null };
  if (canary.kind === 'quiet') {
    return logTick(log, { decision: 'quiet', reason: canary.reason, ...base, stagingId: params.stagingId ?? null });
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
  const { gate } = params;
  const traffic = gate
    ? await step('read staging traffic from CloudWatch', () => readCanaryTraffic(gate, primary, watched.staging, now()))
    : undefined;
  const subject = { primaryId: primary.id, stagingId: watched.staging.id, policy: canary.policy };
  const health = judge({ gate, figures: traffic?.figures, subject, alarms: alarms.readings });
  const judged: TickSummary = {
    decision: health.verdict,
    reason: health.reason,
    ...base,
    stagingId: watched.staging.id,
    stagingEtag: watched.staging.etag,
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
  if (health.verdict !== 'unhealthy') return logTick(log, judged);

  // The approval's token and release are read beside the disable; the rejection waits for the disable.
  const { approval } = params;
  const lookup = approval ? lookUpApproval(approval) : undefined;
  lookup?.catch(() => undefined);
  const rollback = await disablePolicy(primary.id, log);
  const rejection: RejectionReport =
    approval && lookup
      ? await answerApproval(approval, lookup, watched.staging, () =>
          rejectionSummary(health.breaches, whereTrafficIs(primary.id, canary.policy.id, rollback)),
        )
      : { outcome: 'not-configured', reason: 'no PipelineName in the input: there is no approval to reject' };
  const summary = logTick(log, { ...judged, rollback, rejection });
  const problems = [
    ...(rollback.error ? [`disabling policy ${canary.policy.id} failed: ${rollback.error}`] : []),
    ...(rejection.outcome === 'failed' ? [`rejecting the pending approval failed: ${rejection.error}`] : []),
  ];
  if (problems.length) {
    throw new WatchRollbackError(
      `watch: the canary of staging ${watched.staging.id} is unhealthy (${health.reason}), but ${problems.join('; ')}`,
    );
  }
  return summary;
}

/** One tick from the schedule's constant input. Throws on bad input (before any AWS call) and on failure. */
export async function watch(event: unknown): Promise<TickSummary> {
  const log = createLogger({ function: 'watch' });
  try {
    return await tick(parseWatchParams(event), log);
  } catch (err) {
    // A rollback that failed half-way has logged its tick line already.
    if (!(err instanceof WatchRollbackError)) log.error('tick-failed', { error: errorText(err) });
    throw err;
  }
}
