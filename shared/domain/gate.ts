/**
 * The promotion gate's pure core (the canary watch judges staging with it too): from what staging (and the primary)
 * served in the window, decide whether to promote now, wait for more staging traffic, or refuse. A manual approval says
 * a person looked; it does not say staging received real traffic (at CloudFront-wide peak load a POP may send
 * everything to the primary whatever the policy says, and weighted routing takes minutes to start). No I/O here:
 * figures and thresholds in, verdict out.
 */
import { PIPELINE_WORDS, type Words } from './errors.js';
import type { PolicyState } from './resources.js';
import { routingOf } from './traffic-config.js';
import type { ParamReader } from './params.js';
import { MAX_WINDOW_MINUTES, type TrafficFigures } from './traffic-metrics.js';

/** The window the gate looks at when `MetricsWindowMinutes` is not given. */
export const DEFAULT_METRICS_WINDOW_MINUTES = 15;

/** The promotion gate's thresholds: what staging must have served, and how well, in the window before promoting. */
export interface GateParams {
  /** `Requests` (Sum) staging must have served in the window. */
  minStagingRequests: number | undefined;
  /** Highest acceptable staging `5xxErrorRate`, percent. */
  maxStaging5xxErrorRate: number | undefined;
  /** Highest acceptable excess of staging's `5xxErrorRate` over the primary's, percentage points. */
  maxErrorRateIncrease: number | undefined;
  windowMinutes: number;
}

/**
 * Reads the thresholds (`MinStagingRequests`, `MaxStaging5xxErrorRate`, `MaxErrorRateIncrease`) and the window
 * (`windowField`). The gate is on when any threshold is set. The window alone sets none, so it leaves the gate off:
 * the pipeline template always passes it (with its default) next to thresholds that may be empty.
 */
export function parseGate(p: ParamReader, windowField: string): GateParams | undefined {
  const gate: GateParams = {
    minStagingRequests: p.optionalNumber('MinStagingRequests', { min: 1, max: 1_000_000_000, integer: true }),
    maxStaging5xxErrorRate: p.optionalNumber('MaxStaging5xxErrorRate', { min: 0, max: 100 }),
    maxErrorRateIncrease: p.optionalNumber('MaxErrorRateIncrease', { min: 0, max: 100 }),
    // Refused rather than clamped past 15 days: a silently shorter window would judge other traffic than configured.
    windowMinutes:
      p.optionalNumber(windowField, { min: 1, max: MAX_WINDOW_MINUTES, integer: true }) ??
      DEFAULT_METRICS_WINDOW_MINUTES,
  };
  const on =
    gate.minStagingRequests !== undefined ||
    gate.maxStaging5xxErrorRate !== undefined ||
    gate.maxErrorRateIncrease !== undefined;
  return on ? gate : undefined;
}

/** What the gate read from CloudWatch for one window. */
export interface GateFigures {
  windowMinutes: number;
  staging: TrafficFigures;
  /** Read only when an error-rate threshold is set (the primary is the baseline and the context). */
  primary: TrafficFigures | undefined;
}

export interface GateSubject {
  primaryId: string;
  stagingId: string;
  /** The policy attached to the primary: how viewers reach staging, for the "why no traffic" hints. */
  policy: PolicyState | undefined;
}

export type GateVerdict =
  | { kind: 'pass'; reason: string }
  /** `brief`: the wait in one short line with the figures that matter, for a display that repeats it every pass. */
  | { kind: 'wait'; reason: string; brief: string }
  /** `reason` in a pipeline's words; `said` names what to run next in any reader's words. */
  | { kind: 'refuse'; reason: string; said: (words: Words) => string };

/** Rates are compared and shown rounded to 3 decimals, so a message never says "1% is above 1%". */
const round = (x: number) => Math.round(x * 1000) / 1000;

/** A percentage for messages and output variables; "no data" when the distribution served nothing. */
export function formatRate(rate: number | undefined): string {
  return rate === undefined ? 'no data' : String(round(rate));
}

function describeTraffic(role: string, id: string, t: TrafficFigures): string {
  const rate = t.errorRate5xx === undefined ? formatRate(undefined) : `${formatRate(t.errorRate5xx)}%`;
  return `${role} ${id} served ${t.requests} request(s), 5xx error rate ${rate}`;
}

/** Both distributions' figures in one sentence. */
export function describeFigures(subject: GateSubject, f: GateFigures): string {
  const parts = [describeTraffic('staging', subject.stagingId, f.staging)];
  if (f.primary) parts.push(describeTraffic('primary', subject.primaryId, f.primary));
  return `in the last ${f.windowMinutes} minute(s): ${parts.join('; ')}`;
}

/** True when the gate judges error rates (and so needs the primary's figures as the baseline). */
export function judgesErrorRate(gate: GateParams): boolean {
  return gate.maxStaging5xxErrorRate !== undefined || gate.maxErrorRateIncrease !== undefined;
}

/** The staging requests the window must hold. An error-rate threshold needs at least one: no data proves nothing. */
export function requiredStagingRequests(gate: GateParams): number {
  return Math.max(gate.minStagingRequests ?? 0, judgesErrorRate(gate) ? 1 : 0);
}

/**
 * Why staging may not be getting traffic, most likely first. Only a disabled policy and header routing are facts read
 * from the policy; the rest are possibilities, worded as such. No parameter is named: the same words are read in a
 * pipeline's log and in cfcd.
 */
function likelyCauses(subject: GateSubject, gate: GateParams): string[] {
  const { policy } = subject;
  const r = policy ? routingOf(policy.config) : undefined;
  const causes: string[] = [];
  if (policy && policy.config.Enabled !== true)
    causes.push(`policy ${policy.id} is disabled, so CloudFront routes no viewer to staging (enable-CD re-enables it)`);
  if (r?.type === 'weight')
    causes.push(
      `weighted routing (${round(r.weight * 100)}% of viewers) can take about 10 minutes to start ` +
        'after the policy is enabled',
    );
  if (r?.type === 'header')
    causes.push(
      `header routing sends only requests carrying the header ${r.header}: ${r.value} to staging; ` +
        'have reviewers or a synthetic check send them',
    );
  causes.push('at CloudFront-wide peak load a POP may send every request to the primary regardless of the policy');
  causes.push(`the staging id may be wrong: these are the figures of ${subject.stagingId}`);
  if (gate.minStagingRequests !== undefined)
    causes.push(
      `the minimum of ${gate.minStagingRequests} request(s) may be more than ${gate.windowMinutes} minute(s) of ` +
        'staging traffic brings (lower the minimum or lengthen the metrics window)',
    );
  return causes;
}

/** A refusal: `why` names the threshold broken, as its reader sets it (a UserParameters field or a flag). */
function refuse(subject: GateSubject, f: GateFigures, why: (w: Words) => string): GateVerdict {
  const abort = { PrimaryDistributionId: subject.primaryId, Mode: 'disable' };
  const said = (w: Words) =>
    `promotion gate: ${why(w)} (${describeFigures(subject, f)}). ` +
    `Nothing was promoted: primary ${subject.primaryId} keeps its config. To stop routing viewers to staging, run ${w.command('abort', abort)}; ` +
    (w.where === 'pipeline' ? 'fix staging and run the pipeline again.' : `fix staging, then ${w.approveAgain}.`);
  return { kind: 'refuse', reason: said(PIPELINE_WORDS), said };
}

/**
 * Decides the gate for one read of the metrics. Order matters:
 * 1. enough staging traffic first: an error rate over a handful of requests is noise, so below the required count
 *    the gate waits (and the error-rate thresholds are not judged yet);
 * 2. staging's 5xx error rate against `MaxStaging5xxErrorRate`;
 * 3. staging's 5xx error rate against the primary's plus `MaxErrorRateIncrease`. A primary with no data in the window
 *    counts as 0%: the stricter reading, since there is no baseline to excuse staging's errors.
 * A refusal is final (the errors already happened); a wait is not.
 */
export function evaluateGate(gate: GateParams, f: GateFigures, subject: GateSubject): GateVerdict {
  const needed = requiredStagingRequests(gate);
  const stagingRate = f.staging.errorRate5xx;
  if (f.staging.requests < needed || stagingRate === undefined) {
    return {
      kind: 'wait',
      reason:
        `staging ${subject.stagingId} to serve at least ${needed} request(s) before promoting ` +
        `(${describeFigures(subject, f)}). If it never does, possible causes: ${likelyCauses(subject, gate).join('; ')}`,
      brief:
        `staging ${subject.stagingId} to serve ${needed} request(s): ` +
        `${f.staging.requests} in the last ${f.windowMinutes} minute(s)`,
    };
  }
  const staging = round(stagingRate);
  if (gate.maxStaging5xxErrorRate !== undefined && staging > gate.maxStaging5xxErrorRate) {
    return refuse(
      subject,
      f,
      (w) =>
        `staging's 5xx error rate ${staging}% is above ${w.param('MaxStaging5xxErrorRate')} ` +
        `${gate.maxStaging5xxErrorRate}%`,
    );
  }
  if (gate.maxErrorRateIncrease !== undefined) {
    const baseline = round(f.primary?.errorRate5xx ?? 0);
    const increase = round(staging - baseline);
    if (increase > gate.maxErrorRateIncrease) {
      const primaryRate = f.primary?.errorRate5xx === undefined ? '0% (no data counts as 0%)' : `${baseline}%`;
      return refuse(
        subject,
        f,
        (w) =>
          `staging's 5xx error rate ${staging}% exceeds the primary's ${primaryRate} ` +
          `by ${increase} percentage point(s), more than ${w.param('MaxErrorRateIncrease')} ${gate.maxErrorRateIncrease}`,
      );
    }
  }
  return {
    kind: 'pass',
    reason: `staging ${subject.stagingId} served enough healthy traffic (${describeFigures(subject, f)})`,
  };
}

/** The gate's figures as output variables (CodePipeline variables are strings). */
export function gateVariables(f: GateFigures): Record<string, string> {
  return {
    StagingRequests: String(f.staging.requests),
    Staging5xxErrorRate: formatRate(f.staging.errorRate5xx),
    ...(f.primary ? { Primary5xxErrorRate: formatRate(f.primary.errorRate5xx) } : {}),
    MetricsWindowMinutes: String(f.windowMinutes),
  };
}
