/**
 * The door back, timed: from the moment a promoted release starts failing in production to production serving the
 * previous release again, against its lower bound — the detection window plus two propagations (the staging, then the
 * primary) plus one invalidation.
 *
 * A deterministic simulation of minutes, not a measurement: CloudFront's propagation and invalidation, CloudWatch's
 * 1-minute figures and CodePipeline's re-invocation interval are not measurable locally, so they are the model's
 * parameters ({@link BAKE_MODEL}). What decides is the real code, called with the simulated state: the bake's
 * parameter parser (`parseBakeParams`, the template's defaults), the revert record (`buildRecord`, `recordKey`, and
 * `configHash` behind `primaryStanding`), the bake's plan (`planBake`: when the bake starts with `bakeStart` and
 * `productionSettled`, its windows with `bakeWindows`, its verdict with `judgeBake`) and the revert's plan
 * (`planRevert` in shared/revert/plan.ts: each step from the live state, the cache decision with `decideCache`), and
 * the reduction of 1-minute datapoints to figures (`figuresFromResults` over `trafficQueries`). What is modelled:
 * viewer traffic (a constant rate; a failing release answers a share of it with 5xx), what each write does to the
 * distributions (an `UpdateDistribution` makes the staging `InProgress` for one propagation,
 * `UpdateDistributionWithStagingConfig` copies the staging's promotable config onto the primary, `InProgress` for one
 * propagation, an invalidation is `Completed` after its minutes), when viewers get which release (the promoted one
 * from the promotion's invalidation `Completed`, the previous one again from the revert's: the pessimistic end of
 * both switches), and when a minute's figures can be read. Not run here: the AWS calls, the ETags' 412s, the token,
 * the content check (no site bucket), the driver's wait limit: the e2e tests' and the chaos run's.
 */
import type { MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { DistributionConfig } from '@aws-sdk/client-cloudfront';
import { type BakeParams, parseBakeParams } from '../functions/bake/params.js';
import { type BakeMemory, type BakeState, bakeStart, bakeWindows, planBake } from '../functions/bake/plan.js';
import type { InvalidationRecord } from '../shared/domain/invalidation.js';
import {
  figuresFromResults,
  type MetricsWindow,
  type TrafficFigures,
  trafficQueries,
} from '../shared/domain/traffic-metrics.js';
import { primaryStanding, revertUnderWay } from '../shared/revert/plan.js';
import { type RevertRecord, buildRecord, recordKey } from '../shared/revert/record.js';

const MINUTE = 60_000;
const SECOND = 1_000;

/** The timing model, in minutes, and the traffic. Documented in docs/performance.md ("The door back, timed"). */
export interface BakeModel {
  propagationMinutes: number;
  invalidationMinutes: number;
  metricsLagMinutes: number;
  reinvokeMinutes: number;
  healthy5xxShare: number;
  horizonMinutes: number;
}

export const BAKE_MODEL: Readonly<BakeModel> = {
  /** A distribution write → that distribution reports Deployed (CloudFront: "several minutes"). */
  propagationMinutes: 5,
  /** CreateInvalidation → Completed, every edge emptied of the paths (usually a minute or two). */
  invalidationMinutes: 2,
  /** A minute's CloudWatch datapoint can be read this long after the minute ends. */
  metricsLagMinutes: 1,
  /** CodePipeline re-invokes a continuation about once a minute; the bake's first job that long after the promotion. */
  reinvokeMinutes: 1,
  /** The primary's 5xx share while it serves a healthy release (the previous one; the promoted one until it fails). */
  healthy5xxShare: 0.001,
  /** The simulation gives up here: no scenario below comes near it. */
  horizonMinutes: 6 * 60,
};

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The bake's thresholds in every scenario: the template's defaults (BakeMinutes 15, 1 point, 100 requests). */
export const BAKE_THRESHOLDS = { BakeMinutes: 15, MaxErrorRateIncrease: 1 } as const;

export interface BakeScenario {
  id: string;
  requestsPerMinute: number;
  /** The share of the promoted release's answers that are 5xx once it fails (a path, or load, going wrong). */
  failingShare: number;
  /** Minutes after the promoted release reaches viewers (the promotion's invalidation Completed) that it fails. */
  failsAfterMinutes: number;
}

const PRIMARY_ID = 'E1PRIMARYBAKE';
const STAGING_ID = 'E2STAGINGBAKE';
const POLICY_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const ARTIFACTS = 'bench-pipeline-artifacts';
const PREVIOUS = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0';
const PROMOTED = 'b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1';
/** Promote's UpdateDistributionWithStagingConfig: 20 s into a minute, as nothing aligns it to one. */
export const T0 = Date.UTC(2026, 11, 1, 12, 0, 20);

function siteConfig(staging: boolean, commit: string): DistributionConfig {
  return {
    CallerReference: staging ? 'staging-ref' : 'primary-ref',
    Comment: 'bench',
    Enabled: true,
    Staging: staging,
    DefaultRootObject: 'index.html',
    Origins: {
      Quantity: 1,
      Items: [
        {
          Id: 'site',
          DomainName: 'site.s3.us-east-1.amazonaws.com',
          OriginPath: `/releases/${commit}`,
          S3OriginConfig: { OriginAccessIdentity: '' },
        },
      ],
    },
    DefaultCacheBehavior: { TargetOriginId: 'site', ViewerProtocolPolicy: 'redirect-to-https' },
    ...(staging ? {} : { ContinuousDeploymentPolicyId: POLICY_ID }),
  };
}

/** What UpdateDistributionWithStagingConfig does: the staging's config onto the primary, but for four fields. */
export function promoted(primary: DistributionConfig, staging: DistributionConfig): DistributionConfig {
  return {
    ...staging,
    CallerReference: primary.CallerReference,
    Aliases: primary.Aliases,
    ContinuousDeploymentPolicyId: primary.ContinuousDeploymentPolicyId,
    Staging: false,
  };
}

/** One minute of the primary's traffic. */
export interface PrimaryMinute {
  startMs: number;
  requests: number;
  errors: number;
}

/**
 * The primary's traffic in the minute from `startMs`, second by second: the promoted release between `promotedFrom`
 * and `previousFrom` (failing from `failingFrom` with `failingShare` 5xx), the previous release otherwise.
 */
export function primaryMinute(
  startMs: number,
  rpm: number,
  t: { promotedFrom: number; failingFrom: number; previousFrom: number; failingShare: number },
  model: BakeModel,
): PrimaryMinute {
  let errors = 0;
  for (let s = 0; s < 60; s++) {
    const at = startMs + s * SECOND;
    const failing = at >= t.promotedFrom && at >= t.failingFrom && at < t.previousFrom;
    errors += (rpm / 60) * (failing ? t.failingShare : model.healthy5xxShare);
  }
  return { startMs, requests: rpm, errors: Math.round(errors) };
}

/**
 * The figures GetMetricData would give for the primary over `window` at `nowMs`: only the minutes published by then
 * (`metricsLagMinutes` after each ends), as 1-minute `Requests` Sum and `5xxErrorRate` Average, reduced by the
 * functions' own code.
 */
export function primaryFigures(
  minutes: readonly PrimaryMinute[],
  window: MetricsWindow,
  nowMs: number,
  model: BakeModel,
): TrafficFigures {
  const published = minutes.filter(
    (m) =>
      m.startMs >= window.start.getTime() &&
      m.startMs < window.end.getTime() &&
      m.startMs + MINUTE + model.metricsLagMinutes * MINUTE <= nowMs &&
      m.requests > 0,
  );
  const results: MetricDataResult[] = trafficQueries([PRIMARY_ID]).map((q) => {
    const requests = q.MetricStat?.Metric?.MetricName === 'Requests';
    return {
      Id: q.Id,
      Timestamps: published.map((m) => new Date(m.startMs)),
      Values: published.map((m) => (requests ? m.requests : (100 * m.errors) / m.requests)),
    };
  });
  return figuresFromResults([PRIMARY_ID], results)[0] as TrafficFigures;
}

/**
 * The lower bound's detection window: from the failure's start to the first published 1-minute datapoint whose
 * minutes since the failure started hold `minRequests` requests (an ideal judge that reads the failing minutes only,
 * with no dilution and no re-invocation delay).
 */
export function detectionWindowMinutes(
  failureAtMs: number,
  rpm: number,
  minRequests: number,
  model: BakeModel,
): number {
  const first = Math.floor(failureAtMs / MINUTE) * MINUTE;
  // Requests served from the failure's start to the end of the minute that holds it, then a minute's worth each.
  let end = first + MINUTE;
  let served = (rpm * (end - failureAtMs)) / MINUTE;
  while (served < minRequests) {
    end += MINUTE;
    served += rpm;
  }
  return (end + model.metricsLagMinutes * MINUTE - failureAtMs) / MINUTE;
}

/** The lower bound: the detection window plus two propagations plus one invalidation. */
export function lowerBoundMinutes(detection: number, model: BakeModel): number {
  return detection + 2 * model.propagationMinutes + model.invalidationMinutes;
}

export interface BakeOutcome {
  scenario: BakeScenario;
  /** Minutes from promote's write (T0) to the failure's start, and to the bake's start. */
  failureAtMinutes: number;
  bakeStartedAtMinutes: number | undefined;
  /** How the bake ended: `reverted`, `healthy` or `inconclusive`, and when (minutes from the failure's start). */
  end: string;
  /** Minutes from the failure's start: the verdict, the staging write (b), the primary's (d), viewers back, the job. */
  detectedAfter: number | undefined;
  stagingWrittenAfter: number | undefined;
  primaryWrittenAfter: number | undefined;
  viewersBackAfter: number | undefined;
  jobFailedAfter: number | undefined;
  detectionWindow: number;
  lowerBound: number;
  /** 5xx answers production served from the failure's start until viewers were back (or the bake ended). */
  failedRequests: number;
  /** The verdict as the bake worded it (the job's failure message repeats it). */
  verdict: string | undefined;
}

/** The bake's UserParameters for the scenarios, parsed by the bake's own parser (its defaults included). */
export function bakeParamsOf(record: string): BakeParams {
  return parseBakeParams(
    JSON.stringify({
      PrimaryDistributionId: PRIMARY_ID,
      StagingDistributionId: STAGING_ID,
      ContinuousDeploymentPolicyId: POLICY_ID,
      RevertRecordBucket: ARTIFACTS,
      RevertRecord: record,
      ...BAKE_THRESHOLDS,
    }),
  );
}

/** Runs one scenario, one bake pass per re-invocation, until the bake's job ends. */
export function simulateBake(scenario: BakeScenario, model: BakeModel = BAKE_MODEL): BakeOutcome {
  const prop = model.propagationMinutes * MINUTE;
  const inv = model.invalidationMinutes * MINUTE;
  let etags = 0;
  const distribution = (id: string, config: DistributionConfig, lastModified: number) => ({
    id,
    etag: `E${++etags}`,
    status: 'InProgress',
    domainName: `${id.toLowerCase()}.cloudfront.net`,
    arn: `arn:aws:cloudfront::111122223333:distribution/${id}`,
    lastModified: new Date(lastModified),
    config,
    deployedAt: lastModified + prop,
  });
  // Before the promotion: the primary serves the previous release, the staging the promoted one (both Deployed).
  const before = { ...distribution(PRIMARY_ID, siteConfig(false, PREVIOUS), T0 - 60 * MINUTE), status: 'Deployed' };
  const staging = { ...distribution(STAGING_ID, siteConfig(true, PROMOTED), T0 - 30 * MINUTE), status: 'Deployed' };
  // Promote records, then promotes: the record is the real one, of the states it read.
  const record: RevertRecord = buildRecord(before, staging, new Date(T0 - 2 * SECOND));
  const key = recordKey(before, new Date(T0 - 2 * SECOND));
  const params = bakeParamsOf(key);
  let primary = distribution(PRIMARY_ID, promoted(before.config, staging.config), T0);
  let stagingNow = staging;
  const invalidations: (InvalidationRecord & { completesAt: number; distributionId: string })[] = [];
  const invalidate = (atMs: number, distributionId: string, paths: string[], callerReference: string) =>
    invalidations.push({
      id: `I${invalidations.length + 1}`,
      status: 'InProgress',
      createTime: new Date(atMs),
      paths,
      callerReference,
      completesAt: atMs + inv,
      distributionId,
    });
  // Promote's own invalidation, once the promotion is Deployed.
  invalidate(T0 + prop, PRIMARY_ID, ['/*'], 'promote');
  const promotedFrom = T0 + prop + inv;
  const failingFrom = promotedFrom + scenario.failsAfterMinutes * MINUTE;
  let previousFrom = Number.POSITIVE_INFINITY;

  const minutes: PrimaryMinute[] = [];
  const minute0 = Math.floor(T0 / MINUTE) * MINUTE - 90 * MINUTE;
  const trafficUntil = (nowMs: number) => {
    for (let m = minute0 + minutes.length * MINUTE; m + MINUTE <= nowMs; m += MINUTE)
      minutes.push(
        primaryMinute(
          m,
          scenario.requestsPerMinute,
          { promotedFrom, failingFrom, previousFrom, failingShare: scenario.failingShare },
          model,
        ),
      );
  };
  const settle = (d: typeof primary, now: number) => ({
    ...d,
    status: now >= d.deployedAt ? 'Deployed' : 'InProgress',
  });
  const invalidationsOf = (id: string, now: number) =>
    invalidations
      .filter((i) => i.distributionId === id && i.createTime.getTime() <= now)
      .map(({ completesAt, distributionId: _, ...i }) => ({
        ...i,
        status: now >= completesAt ? 'Completed' : i.status,
      }))
      .reverse();

  let memory: BakeMemory = {};
  const firstPass = T0 + model.reinvokeMinutes * MINUTE;
  const at: { detected?: number; staging?: number; primary?: number; jobFailed?: number; started?: number } = {};
  let end = 'still baking at the horizon';
  let verdict: string | undefined;
  for (let now = firstPass; now < T0 + model.horizonMinutes * MINUTE; now += model.reinvokeMinutes * MINUTE) {
    trafficUntil(now);
    primary = settle(primary, now);
    stagingNow = settle(stagingNow, now);
    // What the action reads, as functions/bake/action.ts reads it: each read only where the bake stands needs it.
    const state: BakeState = { now, record, recordAt: `s3://${ARTIFACTS}/${key}`, primary, staging: stagingNow };
    const standing = primaryStanding(record, primary);
    if (standing === 'reverted') {
      const changed = primary.lastModified.getTime();
      const since = invalidationsOf(PRIMARY_ID, now).filter((i) => i.createTime.getTime() >= changed);
      state.cache = { distributionId: PRIMARY_ID, since };
    } else if (standing === 'promoted') {
      if (
        memory.bakeStartedAt === undefined &&
        memory.verdict === undefined &&
        !revertUnderWay(record, primary, stagingNow)
      )
        state.latestInvalidation = invalidationsOf(PRIMARY_ID, now)[0] ?? null;
      const started = bakeStart(state, memory);
      if (started !== undefined && memory.verdict === undefined) {
        const windows = bakeWindows(started, Date.parse(record.recordedAt), now);
        state.traffic = {
          bake: primaryFigures(minutes, windows.bake, now, model),
          baseline: primaryFigures(minutes, windows.baseline, now, model),
          bakeWindow: windows.bake,
          baselineWindow: windows.baseline,
        };
      }
    }
    const waited = now - Number(memory.jobStartedAt ?? now);
    const plan = planBake(state, params, memory, waited);
    if ('verdict' in plan && plan.verdict && at.detected === undefined) {
      at.detected = now;
      verdict = plan.verdict;
    }
    for (const change of plan.changes) {
      if (change.kind === 'stage-recorded-config') {
        stagingNow = distribution(STAGING_ID, change.config, now);
        at.staging = now;
      } else if (change.kind === 'promote-recorded-config') {
        primary = distribution(PRIMARY_ID, promoted(primary.config, stagingNow.config), now);
        at.primary = now;
      } else {
        invalidate(now, change.distributionId, change.paths, change.callerReference);
        previousFrom = now + inv;
      }
    }
    // What the action remembers between passes (functions/bake/action.ts, `remember`).
    memory = {
      jobStartedAt: memory.jobStartedAt ?? String(now),
      ...(memory.bakeStartedAt !== undefined ? { bakeStartedAt: memory.bakeStartedAt } : {}),
      ...('bakeStartedAt' in plan && plan.bakeStartedAt !== undefined
        ? { bakeStartedAt: String(plan.bakeStartedAt) }
        : {}),
      ...(memory.verdict !== undefined ? { verdict: memory.verdict } : {}),
      ...('verdict' in plan && plan.verdict ? { verdict: plan.verdict } : {}),
    };
    if (memory.bakeStartedAt !== undefined) at.started ??= Number(memory.bakeStartedAt);
    if (plan.next.kind === 'done') {
      end = plan.kind;
      if (plan.kind === 'reverted') at.jobFailed = now;
      break;
    }
  }
  // Every 5xx the failing release answered from the failure's start until the previous release was back.
  const failedRequests = Number.isFinite(previousFrom)
    ? Math.round(((previousFrom - failingFrom) / MINUTE) * scenario.requestsPerMinute * scenario.failingShare)
    : Number.NaN;
  const after = (ms: number | undefined) =>
    ms === undefined ? undefined : Math.round(((ms - failingFrom) / MINUTE) * 100) / 100;
  const detectionWindow = detectionWindowMinutes(failingFrom, scenario.requestsPerMinute, params.minRequests, model);
  return {
    scenario,
    failureAtMinutes: (failingFrom - T0) / MINUTE,
    bakeStartedAtMinutes: at.started === undefined ? undefined : Math.round(((at.started - T0) / MINUTE) * 100) / 100,
    end,
    detectedAfter: after(at.detected),
    stagingWrittenAfter: after(at.staging),
    primaryWrittenAfter: after(at.primary),
    viewersBackAfter: Number.isFinite(previousFrom) ? after(previousFrom) : undefined,
    jobFailedAfter: after(at.jobFailed),
    detectionWindow: Math.round(detectionWindow * 100) / 100,
    lowerBound: Math.round(lowerBoundMinutes(detectionWindow, model) * 100) / 100,
    failedRequests,
    verdict,
  };
}

/**
 * The scenarios `npm run bench -- bake` runs: a busy and a quiet site; a failure from the moment the release reaches
 * viewers, one that starts later in the bake (load), one too small for the threshold, one after the bake.
 */
export function bakeScenarios(): BakeScenario[] {
  return [
    { id: 'busy-path-20', requestsPerMinute: 10_000, failingShare: 0.2, failsAfterMinutes: 0 },
    { id: 'busy-path-2', requestsPerMinute: 10_000, failingShare: 0.02, failsAfterMinutes: 0 },
    { id: 'quiet-path-20', requestsPerMinute: 40, failingShare: 0.2, failsAfterMinutes: 0 },
    { id: 'busy-load-20', requestsPerMinute: 10_000, failingShare: 0.2, failsAfterMinutes: 8 },
    { id: 'busy-load-2', requestsPerMinute: 10_000, failingShare: 0.02, failsAfterMinutes: 8 },
    { id: 'busy-below', requestsPerMinute: 10_000, failingShare: 0.005, failsAfterMinutes: 0 },
    { id: 'busy-after-bake', requestsPerMinute: 10_000, failingShare: 0.2, failsAfterMinutes: 20 },
  ];
}

/**
 * The same model with waits that are not whole re-invocation intervals (CloudFront's are not): each of the revert's
 * three waits then ends between two passes, and the pass after it comes up to a minute later.
 */
export const UNALIGNED_MODEL: BakeModel = { ...BAKE_MODEL, propagationMinutes: 4.5, invalidationMinutes: 1.5 };

export interface BakeRun {
  model: BakeModel;
  outcomes: BakeOutcome[];
}

/** Every scenario in the model, then the first and the quiet one with unaligned waits. */
export function measureBake(): BakeRun[] {
  const unaligned = bakeScenarios().filter((s) => s.id === 'busy-path-20' || s.id === 'quiet-path-20');
  return [
    { model: BAKE_MODEL, outcomes: bakeScenarios().map((s) => simulateBake(s, BAKE_MODEL)) },
    { model: UNALIGNED_MODEL, outcomes: unaligned.map((s) => simulateBake(s, UNALIGNED_MODEL)) },
  ];
}

export const BAKE_HEADERS = [
  'propagation, invalidation',
  'traffic',
  'failure (5xx share, starts)',
  'bake',
  'detected',
  'staging written (b)',
  'primary written (d)',
  'viewers on the previous release',
  'job failed',
  'lower bound (detection window)',
  'above the bound',
  '5xx served',
];

/** The table rows: one per scenario and model, minutes from the failure's start. */
export function bakeRows(runs: readonly BakeRun[]): string[][] {
  const min = (x: number | undefined) => (x === undefined ? '–' : `${x} min`);
  return runs.flatMap(({ model, outcomes }) =>
    outcomes.map((o) => {
      const s = o.scenario;
      const starts = s.failsAfterMinutes
        ? `${s.failsAfterMinutes} min after it reaches viewers`
        : 'as it reaches viewers';
      return [
        `${model.propagationMinutes} min, ${model.invalidationMinutes} min`,
        `${s.requestsPerMinute.toLocaleString('en-US')}/min`,
        `${s.failingShare * 100} %, ${starts}`,
        o.end,
        min(o.detectedAfter),
        min(o.stagingWrittenAfter),
        min(o.primaryWrittenAfter),
        min(o.viewersBackAfter),
        min(o.jobFailedAfter),
        `${o.lowerBound} min (${o.detectionWindow})`,
        o.viewersBackAfter === undefined ? '–' : `+${round2(o.viewersBackAfter - o.lowerBound)} min`,
        Number.isNaN(o.failedRequests) ? 'until fixed by hand' : o.failedRequests.toLocaleString('en-US'),
      ];
    }),
  );
}

/** The table's title names its timing model: the figures mean nothing without it. */
export function bakeTitle(m: BakeModel = BAKE_MODEL): string {
  return (
    'The door back, timed (a simulation running the bake’s and the revert’s decision code; minutes from the ' +
    `failure’s start; 1-minute metrics readable ${m.metricsLagMinutes} min after the minute, CodePipeline ` +
    `re-invokes every ${m.reinvokeMinutes} min; BakeMinutes ${BAKE_THRESHOLDS.BakeMinutes}, MaxErrorRateIncrease ` +
    `${BAKE_THRESHOLDS.MaxErrorRateIncrease} point, MinRequests 100; healthy 5xx share ${m.healthy5xxShare * 100} %)`
  );
}
