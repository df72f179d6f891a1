/**
 * The bake's pure core: when the bake starts, the verdict on what production served since, and what comes next —
 * keep baking, succeed, or revert (shared/revert/plan.ts plans the revert's steps). No I/O here.
 */
import { type AlarmStates, alarmLabel, alarmsInAlarm } from '../../shared/domain/alarms.js';
import { attachedPolicyId } from '../../shared/domain/distribution-config.js';
import { StateCheckError } from '../../shared/domain/errors.js';
import { formatRate } from '../../shared/domain/gate.js';
import type { InvalidationRecord } from '../../shared/domain/invalidation.js';
import { DONE, type Plan, waitFor } from '../../shared/domain/plan.js';
import { type DistributionState, isDeployed } from '../../shared/domain/resources.js';
import type { MetricsWindow, TrafficFigures } from '../../shared/domain/traffic-metrics.js';
import {
  type RevertChange,
  type RevertPlan,
  type RevertState,
  planRevert,
  primaryStanding,
  revertUnderWay,
} from '../../shared/revert/plan.js';
import type { BakeParams } from './params.js';
import { PHASE, type BakePhase } from './phases.js';

const MINUTE_MS = 60_000;

/** What production served: since the bake started, and in a window as long just before the promotion. */
export interface BakeTraffic {
  bake: TrafficFigures;
  baseline: TrafficFigures;
  bakeWindow: MetricsWindow;
  baselineWindow: MetricsWindow;
}

/**
 * The two windows a bake compares: from the bake's start to now, and one of the same length ending at the minute the
 * promotion was recorded in (that minute held both releases, so it is left out). At least one minute each.
 */
export function bakeWindows(bakeStartedAt: number, recordedAt: number, now: number) {
  const start = Math.floor(bakeStartedAt / MINUTE_MS) * MINUTE_MS;
  const end = Math.max(Math.ceil(now / MINUTE_MS) * MINUTE_MS, start + MINUTE_MS);
  const minutes = (end - start) / MINUTE_MS;
  const baselineEnd = Math.floor(recordedAt / MINUTE_MS) * MINUTE_MS;
  return {
    bake: { start: new Date(start), end: new Date(end), minutes },
    baseline: { start: new Date(baselineEnd - minutes * MINUTE_MS), end: new Date(baselineEnd), minutes },
  };
}

/** The bake's verdict for one look at production. */
export type BakeVerdict =
  | { kind: 'unhealthy'; why: string }
  | { kind: 'healthy'; why: string }
  /** Still inside BakeMinutes, or too little traffic yet (within MaxWaitMinutes). */
  | { kind: 'keep-baking'; why: string; brief: string }
  /** Too little traffic by MaxWaitMinutes. */
  | { kind: 'inconclusive'; why: string };

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The figures in one sentence: what the operator reads in the failure and the log. */
export function describeBakeFigures(primaryId: string, t: BakeTraffic): string {
  const rate = (f: TrafficFigures) => (f.errorRate5xx === undefined ? 'no data' : `${formatRate(f.errorRate5xx)}%`);
  return (
    `primary ${primaryId} served ${t.bake.requests} request(s) in the ${t.bakeWindow.minutes} minute(s) since the ` +
    `bake started, 5xx error rate ${rate(t.bake)}; ${t.baseline.requests} request(s) in the ` +
    `${t.baselineWindow.minutes} minute(s) before the promotion, 5xx error rate ${rate(t.baseline)}`
  );
}

/** The alarms in ALARM a verdict names; it counts the others. */
const NAMED_ALARMS = 3;

/** No alarm named, or none read in this pass. */
const NO_ALARMS: AlarmStates = { readings: [], missing: [] };

/** What the alarms add to a healthy verdict: the ones judged, and the ones DescribeAlarms did not find. */
function alarmsNote(alarms: AlarmStates): string {
  const judged = alarms.readings.length ? `; no alarm in ALARM (${alarms.readings.map(alarmLabel).join(', ')})` : '';
  const missing = alarms.missing.length
    ? `; alarm(s) ${alarms.missing.map(alarmLabel).join(', ')} not found by DescribeAlarms, not judged`
    : '';
  return `${judged}${missing}`;
}

/** The thresholds production breaks, one phrase each: the 5xx rate's (with enough requests) and the alarms'. */
function bakeBreaches(
  params: Pick<BakeParams, 'minRequests' | 'maxErrorRateIncrease' | 'maxPrimary5xxErrorRate'>,
  traffic: BakeTraffic,
  alarms: AlarmStates,
): string[] {
  const breaches: string[] = [];
  const rate = traffic.bake.errorRate5xx;
  if (traffic.bake.requests >= params.minRequests && rate !== undefined) {
    const now = round(rate);
    if (params.maxPrimary5xxErrorRate !== undefined && now > params.maxPrimary5xxErrorRate)
      breaches.push(
        `the primary's 5xx error rate ${now}% is above MaxPrimary5xxErrorRate ${params.maxPrimary5xxErrorRate}%`,
      );
    if (params.maxErrorRateIncrease !== undefined) {
      const before = round(traffic.baseline.errorRate5xx ?? 0);
      const increase = round(now - before);
      if (increase > params.maxErrorRateIncrease)
        breaches.push(
          `the primary's 5xx error rate ${now}% exceeds its rate before the promotion ${before}% by ${increase} ` +
            `percentage point(s), more than MaxErrorRateIncrease ${params.maxErrorRateIncrease}`,
        );
    }
  }
  const ringing = alarmsInAlarm(alarms.readings);
  // The verdict travels in the continuation token (2048 characters): a few names say why, a count says the rest.
  for (const a of ringing.slice(0, NAMED_ALARMS)) breaches.push(`alarm ${alarmLabel(a)} is in ALARM`);
  if (ringing.length > NAMED_ALARMS) breaches.push(`${ringing.length - NAMED_ALARMS} more alarm(s) are in ALARM`);
  return breaches;
}

/**
 * Judges production. Order matters: a rate is judged as soon as the window holds `MinRequests`, and an alarm in
 * ALARM counts whatever the traffic (it is the user's own judgement): an unhealthy release is reverted at once, not at
 * the end of the bake; healthy only once `BakeMinutes` have passed; too little traffic for a rate threshold waits
 * until `MaxWaitMinutes` (counted from the job's start), then is inconclusive. A bake judged by alarms alone needs no
 * traffic. A primary with no traffic before the promotion counts as 0% (the stricter reading: there is no baseline to
 * excuse errors).
 */
export function judgeBake(
  params: Pick<
    BakeParams,
    'primaryId' | 'bakeMinutes' | 'minRequests' | 'maxErrorRateIncrease' | 'maxPrimary5xxErrorRate' | 'maxWaitMinutes'
  >,
  traffic: BakeTraffic,
  timing: { bakedMs: number; waitedMs: number },
  alarms: AlarmStates | undefined,
): BakeVerdict {
  const figures = describeBakeFigures(params.primaryId, traffic);
  const breaches = bakeBreaches(params, traffic, alarms ?? NO_ALARMS);
  if (breaches.length) return { kind: 'unhealthy', why: `${breaches.join('; ')} (${figures})` };
  const bakeMs = params.bakeMinutes * MINUTE_MS;
  if (timing.bakedMs < bakeMs) {
    const left = Math.ceil((bakeMs - timing.bakedMs) / MINUTE_MS);
    return {
      kind: 'keep-baking',
      why: `the bake of ${params.bakeMinutes} minute(s) to end (${left} left; ${figures})`,
      brief: `baking: ${left} minute(s) left, ${traffic.bake.requests} request(s) so far`,
    };
  }
  const judgesRate = params.maxErrorRateIncrease !== undefined || params.maxPrimary5xxErrorRate !== undefined;
  const enough = traffic.bake.requests >= params.minRequests && traffic.bake.errorRate5xx !== undefined;
  if (enough || !judgesRate) {
    const note = alarmsNote(alarms ?? NO_ALARMS);
    return {
      kind: 'healthy',
      why: `production stayed healthy for ${params.bakeMinutes} minute(s) (${figures})${note}`,
    };
  }
  const tooFew =
    `too little traffic to judge: ${traffic.bake.requests} request(s), ` +
    `MinRequests is ${params.minRequests} (${figures})`;
  if (timing.waitedMs >= params.maxWaitMinutes * MINUTE_MS) return { kind: 'inconclusive', why: tooFew };
  return {
    kind: 'keep-baking',
    why: `production to serve ${params.minRequests} request(s): ${tooFew}`,
    brief: `baking: ${traffic.bake.requests} of ${params.minRequests} request(s)`,
  };
}

/** Everything one pass of the bake read. */
export interface BakeState extends RevertState {
  now: number;
  /** The primary's latest invalidation (null: none), read while the bake waits to start. */
  latestInvalidation?: InvalidationRecord | null;
  /** What production served, read once the bake has started and while no verdict is known. */
  traffic?: BakeTraffic;
  /** The alarms of `AlarmNames`, read with the traffic. */
  alarms?: AlarmStates;
}

/** What the bake remembers between invocations (strings: they travel in the token). */
export interface BakeMemory {
  /** Epoch ms of the job's first pass: MaxWaitMinutes counts from it. */
  jobStartedAt?: string;
  /** Epoch ms the bake started (the primary Deployed with the promotion, its invalidation Completed). */
  bakeStartedAt?: string;
  /** Why production is being reverted, with the figures: the failure message repeats it. */
  verdict?: string;
  /** With `RevertRecord` `none`: the key of the record the first pass found the primary carrying. */
  foundRecord?: string;
}

/** A revert pass; `verdict` is why, when this pass learnt it (the token keeps it for the failure message). */
export type BakeRevertPlan = RevertPlan<BakePhase> & { verdict?: string };

export type BakePlan =
  | BakeRevertPlan
  | (Plan<RevertChange, BakePhase> & {
      kind: 'waiting-to-start' | 'baking' | 'healthy' | 'inconclusive';
      reason: string;
      bakeStartedAt?: number;
    });

/** True when the bake may start: the primary Deployed with the promotion and its latest invalidation Completed. */
export function productionSettled(primary: DistributionState, latest: InvalidationRecord | null | undefined): boolean {
  return isDeployed(primary) && (!latest || latest.status === 'Completed');
}

/**
 * The bake's start, from the token when it holds one, never before the primary's last change (the promotion: a
 * forged token cannot shorten the bake) nor after now; undefined when it has not started and production has not
 * settled yet.
 */
export function bakeStart(state: BakeState, memory: BakeMemory): number | undefined {
  const remembered = memory.bakeStartedAt === undefined ? Number.NaN : Number(memory.bakeStartedAt);
  const promotedAt = state.primary.lastModified?.getTime() ?? 0;
  if (Number.isFinite(remembered)) return Math.min(Math.max(remembered, promotedAt), state.now);
  return productionSettled(state.primary, state.latestInvalidation) ? state.now : undefined;
}

/** The refusal for a primary with another policy than `ContinuousDeploymentPolicyId`. */
function checkPolicy(params: BakeParams, primary: DistributionState): void {
  const attached = attachedPolicyId(primary.config);
  if (params.policyId && attached !== params.policyId)
    throw new StateCheckError(
      `primary ${primary.id} has ${attached ? `policy ${attached}` : 'no continuous deployment policy'} attached, ` +
        `not ContinuousDeploymentPolicyId ${params.policyId}: the revert promotes through that policy's staging. ` +
        'Nothing was written.',
    );
}

/**
 * Plans one pass of the bake. A revert found under way in the live state is carried on whatever the token says
 * (a crash after a write lost the token that would have said so); a primary that carries neither the promotion nor
 * the recorded config is refused before anything else.
 */
export function planBake(state: BakeState, params: BakeParams, memory: BakeMemory, waitedMs: number): BakePlan {
  const standing = primaryStanding(state.record, state.primary);
  // Only the live state (or this pass's figures, below) starts or continues a revert; the token's verdict only says why.
  const reverting = revertUnderWay(state.record, state.primary, state.staging);
  if (standing === 'changed' || reverting) {
    if (standing !== 'reverted') checkPolicy(params, state.primary);
    const plan = planRevert(state, PHASE.reverting, params.invalidationPaths);
    if (memory.verdict !== undefined) return plan;
    // Found under way with no verdict in the token: the figures, judged again, say why when they still can.
    const started = bakeStart(state, memory);
    const again =
      state.traffic && started !== undefined
        ? judgeBake(params, state.traffic, { bakedMs: state.now - started, waitedMs }, state.alarms)
        : undefined;
    const figures = state.traffic ? ` (${describeBakeFigures(state.primary.id, state.traffic)})` : '';
    const verdict =
      again?.kind === 'unhealthy'
        ? again.why
        : `a revert of this promotion was found under way in the live state (staging ${state.staging.id} or ` +
          `primary ${state.primary.id} carries the recorded config)${figures}`;
    return { ...plan, verdict };
  }
  const started = bakeStart(state, memory);
  if (started === undefined)
    return {
      kind: 'waiting-to-start',
      reason: `primary ${state.primary.id} to be Deployed with the promotion and its edge-cache invalidation Completed`,
      changes: [],
      next: waitFor(
        PHASE.awaitingProduction,
        `primary ${state.primary.id} to be Deployed with the promotion and its invalidation Completed before baking`,
        isDeployed(state.primary) ? [] : [state.primary.id],
      ),
    };
  if (!state.traffic) throw new Error('bake: the traffic was not read');
  const verdict = judgeBake(params, state.traffic, { bakedMs: state.now - started, waitedMs }, state.alarms);
  switch (verdict.kind) {
    case 'unhealthy':
      checkPolicy(params, state.primary);
      return { ...planRevert(state, PHASE.reverting, params.invalidationPaths), verdict: verdict.why };
    case 'keep-baking':
      return {
        kind: 'baking',
        reason: verdict.why,
        changes: [],
        next: waitFor(PHASE.baking, verdict.why, [], verdict.brief),
        bakeStartedAt: started,
      };
    case 'healthy':
      return { kind: 'healthy', reason: verdict.why, changes: [], next: DONE, bakeStartedAt: started };
    case 'inconclusive':
      return { kind: 'inconclusive', reason: verdict.why, changes: [], next: DONE, bakeStartedAt: started };
  }
}
