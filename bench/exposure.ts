/**
 * Exposure of a canary, side by side: today's single step (enable-CD routes the staging's configured weight at once,
 * the watch guards it every minute) against the ramp's ladder (each step set, propagated, baked and judged before the
 * next, the watch still guarding). For a broken release: how many viewer requests the canary served before it was
 * taken off, and when; for a healthy one: when the ladder reaches its last step.
 *
 * A deterministic simulation of minutes, not a measurement: CloudFront's propagation, its routing delay, CloudWatch's
 * 1-minute figures and CodePipeline's re-invocation interval are not measurable locally, so they are the model's
 * parameters ({@link EXPOSURE_MODEL}). What decides is the real code, called with the simulated state: the ramp's
 * parameters (`parseRampParams`), its plan (`extraReads`, `planRamp`: where it stands, its bake, its step window and
 * its judgement with the promotion gate's `evaluateGate`), the driver's wait limit (`checkWaitLimit` with the ramp's
 * `MaxWaitMinutes`), the watch's parameters (`parseWatchParams`), its live-canary check (`canaryOf`), its window
 * (`metricsWindow`) and its judgement (`judge`), and the reduction of 1-minute datapoints to figures
 * (`figuresFromResults` over `trafficQueries`). What is modelled: viewer traffic (a constant rate, split by the
 * weight in effect each second), when a policy change reaches viewers, when the primary reports Deployed, and when a
 * minute's figures can be read.
 */
import type { MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { ContinuousDeploymentPolicyConfig, DistributionConfig } from '@aws-sdk/client-cloudfront';
import { parseRampParams, type RampParams } from '../functions/ramp/params.js';
import type { RampPhase } from '../functions/ramp/phases.js';
import { extraReads, planRamp, type RampMemory, type RampState, withStepWeight } from '../functions/ramp/plan.js';
import { parseWatchParams } from '../functions/watch/params.js';
import { canaryOf, judge } from '../functions/watch/plan.js';
import { withPolicyEnabled } from '../shared/domain/distribution-config.js';
import { CfcdError } from '../shared/domain/errors.js';
import type { GateFigures } from '../shared/domain/gate.js';
import type { DistributionState, PolicyState } from '../shared/domain/resources.js';
import {
  figuresFromResults,
  metricsWindow,
  type MetricsWindow,
  trafficQueries,
} from '../shared/domain/traffic-metrics.js';
import { checkWaitLimit } from '../shared/job/driver.js';

const MINUTE = 60_000;
const SECOND = 1_000;

/** The timing model, in minutes, and the traffic. Documented in docs/performance.md ("Exposure of a canary"). */
export const EXPOSURE_MODEL = {
  /** A policy write → the primary reports Deployed (CloudFront: "several minutes"). */
  propagationMinutes: 5,
  /** A weight write (or enabling) → viewers are routed at the new weight: observed about 10 minutes (aws-notes). */
  weightEffectMinutes: 10,
  /** A disable → no more viewers reach staging. Not observed: taken as one propagation. */
  disableEffectMinutes: 5,
  /** A minute's CloudWatch datapoint can be read this long after the minute ends. */
  metricsLagMinutes: 1,
  /** CodePipeline re-invokes a continuation about once a minute. */
  reinvokeMinutes: 1,
  /** The watch's schedule: every minute, 30 s out of step with the pipeline's passes. */
  watchEveryMinutes: 1,
  watchOffsetSeconds: 30,
  /** The share of a broken release's answers that are 5xx, and the primary's (healthy) share. */
  broken5xxShare: 1,
  primary5xxShare: 0.001,
  /** The simulation gives up here: no scenario below comes near it. */
  horizonMinutes: 24 * 60,
} as const;

export type ExposureModel = typeof EXPOSURE_MODEL;

/** The threshold every scenario judges by, the watch's and the ramp's alike (their other settings: defaults). */
export const THRESHOLDS = { MaxStaging5xxErrorRate: 5 } as const;

export type Strategy = { kind: 'single'; percent: number } | { kind: 'ladder'; steps: number[]; stepMinutes: number };

export interface ExposureScenario {
  id: string;
  strategy: Strategy;
  /** The watch runs beside (as it does in the pipeline when a Watch* threshold is set). */
  watch: boolean;
  broken: boolean;
  requestsPerMinute: number;
}

/** One policy write: when, what it set (a weight 0–0.15, or 0 for a disable), and who wrote it. */
export interface PolicyWrite {
  atMs: number;
  weight: number;
  by: 'enable-cd' | 'ramp' | 'watch';
}

export interface ExposureOutcome {
  scenario: ExposureScenario;
  /** Requests staging served (all of them, from the first write to the end), and the 5xx among them. */
  stagingRequests: number;
  staging5xx: number;
  /** Minutes from the first write that routes viewers by weight to the policy's disable (a broken release). */
  rollbackAtMinutes: number | undefined;
  rolledBackBy: PolicyWrite['by'] | undefined;
  /** The weight (percent) viewers were routed at when the rollback was written. */
  weightAtRollback: number | undefined;
  /** Minutes until the last viewer was routed to staging (the disable in effect). */
  offAtMinutes: number | undefined;
  /** Minutes until the last step's weight is in effect for viewers, and until the ramp reported success. */
  fullWeightAtMinutes: number | undefined;
  rampDoneAtMinutes: number | undefined;
  /** How the ramp ended: success, or its failure message's start. */
  rampEnd: string | undefined;
  writes: PolicyWrite[];
  /**
   * Each step the ramp judged healthy or unhealthy: its weight, when its window started, and whether the window holds
   * only its own weight's traffic (false: it started while viewers were still routed at the step below's weight).
   */
  judged: { percent: number; windowStartMs: number; own: boolean }[];
}

const PRIMARY_ID = 'E1PRIMARYBENCH';
const STAGING_ID = 'E2STAGINGBENCH';
const POLICY_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const STAGING_DOMAIN = 'd2stagingbench.cloudfront.net';
/** The first write that routes viewers by weight happens 20 s into a minute, as nothing aligns it to one. */
export const T0 = Date.UTC(2026, 11, 1, 12, 0, 20);

function distributionConfig(staging: boolean): DistributionConfig {
  return {
    CallerReference: staging ? 'staging-ref' : 'primary-ref',
    Comment: 'bench',
    Enabled: true,
    Staging: staging,
    Origins: {
      Quantity: 1,
      Items: [{ Id: 'o', DomainName: 'site.s3.us-east-1.amazonaws.com', OriginPath: staging ? '/v2' : '/v1' }],
    },
    DefaultCacheBehavior: { TargetOriginId: 'o', ViewerProtocolPolicy: 'redirect-to-https' },
    ...(staging ? {} : { ContinuousDeploymentPolicyId: POLICY_ID }),
  };
}

/**
 * The weight viewers are routed at, second by second: of the writes already in effect (a weight change after
 * `weightEffectMinutes`, a disable after `disableEffectMinutes`), the one written last.
 */
export function weightInEffect(writes: readonly PolicyWrite[], atMs: number, model: ExposureModel): number {
  let current: PolicyWrite | undefined;
  for (const w of writes) {
    const effect = (w.weight === 0 ? model.disableEffectMinutes : model.weightEffectMinutes) * MINUTE;
    if (w.atMs + effect <= atMs && (!current || w.atMs >= current.atMs)) current = w;
  }
  return current?.weight ?? 0;
}

/** What one minute held: requests and 5xx of each distribution (the rate split second by second, then rounded). */
export interface MinuteTraffic {
  startMs: number;
  staging: { requests: number; errors: number };
  primary: { requests: number; errors: number };
}

export function minuteTraffic(
  writes: readonly PolicyWrite[],
  startMs: number,
  rpm: number,
  broken: boolean,
  model: ExposureModel,
): MinuteTraffic {
  let staged = 0;
  for (let s = 0; s < 60; s++) staged += (rpm / 60) * weightInEffect(writes, startMs + s * SECOND, model);
  const staging = Math.round(staged);
  const primary = rpm - staging;
  const stagingShare = broken ? model.broken5xxShare : model.primary5xxShare;
  return {
    startMs,
    staging: { requests: staging, errors: Math.round(staging * stagingShare) },
    primary: { requests: primary, errors: Math.round(primary * model.primary5xxShare) },
  };
}

/**
 * The figures GetMetricData would give for `window` at `nowMs`: only minutes whose datapoint is published by then
 * (`metricsLagMinutes` after the minute ends), as the 1-minute `Requests` Sum and `5xxErrorRate` Average, reduced
 * by the same code the functions use.
 */
export function figuresAt(
  minutes: readonly MinuteTraffic[],
  window: MetricsWindow,
  nowMs: number,
  model: ExposureModel,
): GateFigures {
  const ids = [STAGING_ID, PRIMARY_ID];
  const published = minutes.filter(
    (m) =>
      m.startMs >= window.start.getTime() &&
      m.startMs < window.end.getTime() &&
      m.startMs + MINUTE + model.metricsLagMinutes * MINUTE <= nowMs,
  );
  const results: MetricDataResult[] = trafficQueries(ids).map((q) => {
    const side = q.MetricStat?.Metric?.Dimensions?.[0]?.Value === STAGING_ID ? 'staging' : 'primary';
    const requests = q.MetricStat?.Metric?.MetricName === 'Requests';
    const points = published.filter((m) => m[side].requests > 0);
    return {
      Id: q.Id,
      Timestamps: points.map((m) => new Date(m.startMs)),
      Values: points.map((m) => (requests ? m[side].requests : (100 * m[side].errors) / m[side].requests)),
    };
  });
  const [staging, primary] = figuresFromResults(ids, results);
  return { windowMinutes: window.minutes, staging: staging!, primary };
}

/** The ramp's UserParameters for a ladder, parsed by the ramp's own parser (its defaults included). */
export function rampParamsOf(strategy: Extract<Strategy, { kind: 'ladder' }>): RampParams {
  return parseRampParams(
    JSON.stringify({
      PrimaryDistributionId: PRIMARY_ID,
      StagingDistributionId: STAGING_ID,
      ContinuousDeploymentPolicyId: POLICY_ID,
      Steps: strategy.steps,
      StepMinutes: strategy.stepMinutes,
      ...THRESHOLDS,
    }),
  );
}

const watchParams = () =>
  parseWatchParams({ PrimaryDistributionId: PRIMARY_ID, StagingDistributionId: STAGING_ID, ...THRESHOLDS });

/** Runs one scenario minute by minute until the canary is off (broken) or the ladder is done (healthy). */
export function simulate(scenario: ExposureScenario, model: ExposureModel = EXPOSURE_MODEL): ExposureOutcome {
  const writes: PolicyWrite[] = [];
  const judged: ExposureOutcome['judged'] = [];
  const minutes: MinuteTraffic[] = [];
  let policyConfig: ContinuousDeploymentPolicyConfig = {
    StagingDistributionDnsNames: { Quantity: 1, Items: [STAGING_DOMAIN] },
    Enabled: true,
    TrafficConfig: { Type: 'SingleHeader', SingleHeaderConfig: { Header: 'aws-cf-cd-staging', Value: 'true' } },
  };
  let policyVersion = 1;
  let policyModified = T0 - 10 * MINUTE;
  let primaryBusyUntil = T0;
  const write = (atMs: number, config: ContinuousDeploymentPolicyConfig, by: PolicyWrite['by']) => {
    policyConfig = config;
    policyVersion++;
    policyModified = atMs;
    primaryBusyUntil = atMs + model.propagationMinutes * MINUTE;
    const weight =
      config.Enabled === true && config.TrafficConfig?.Type === 'SingleWeight'
        ? (config.TrafficConfig.SingleWeightConfig?.Weight ?? 0)
        : 0;
    writes.push({ atMs, weight, by });
  };
  const distribution = (staging: boolean, nowMs: number): DistributionState => ({
    id: staging ? STAGING_ID : PRIMARY_ID,
    etag: staging ? 'ETAG-STAGING' : `ETAG-PRIMARY-${policyVersion}`,
    status: !staging && nowMs < primaryBusyUntil ? 'InProgress' : 'Deployed',
    domainName: staging ? STAGING_DOMAIN : 'd1primarybench.cloudfront.net',
    arn: `arn:aws:cloudfront::111122223333:distribution/${staging ? STAGING_ID : PRIMARY_ID}`,
    // The staging stack deployed, and enable-CD waited for it, before the canary began.
    lastModified: new Date(staging ? T0 - 10 * MINUTE : policyModified),
    config: distributionConfig(staging),
  });
  const policy = (): PolicyState => ({ id: POLICY_ID, etag: `ETAG-POLICY-${policyVersion}`, config: policyConfig });
  const trafficUntil = (nowMs: number) => {
    for (let m = minutes.length; T0 - (T0 % MINUTE) + m * MINUTE + MINUTE <= nowMs; m = minutes.length)
      minutes.push(
        minuteTraffic(writes, T0 - (T0 % MINUTE) + m * MINUTE, scenario.requestsPerMinute, scenario.broken, model),
      );
  };

  const { strategy } = scenario;
  const params = strategy.kind === 'ladder' ? rampParamsOf(strategy) : undefined;
  if (strategy.kind === 'single')
    write(
      T0,
      {
        ...policyConfig,
        TrafficConfig: { Type: 'SingleWeight', SingleWeightConfig: { Weight: strategy.percent / 100 } },
      },
      'enable-cd',
    );
  const watch = scenario.watch ? watchParams() : undefined;

  let memory: RampMemory = {};
  let phase: RampPhase | undefined;
  let rampDone: { atMs: number; end: string } | undefined;
  let nextRamp = params ? T0 : Number.POSITIVE_INFINITY;
  let nextWatch = watch ? T0 + model.watchOffsetSeconds * SECOND : Number.POSITIVE_INFINITY;
  const horizon = T0 + model.horizonMinutes * MINUTE;
  const disabled = () => policyConfig.Enabled !== true;
  const finished = (nowMs: number) => {
    if (!disabled()) return scenario.broken ? false : rampDone !== undefined || !params;
    const last = writes[writes.length - 1]!;
    return nowMs >= last.atMs + model.disableEffectMinutes * MINUTE && (rampDone !== undefined || !params);
  };

  for (let now = T0; now < horizon; now = Math.min(nextRamp, nextWatch)) {
    trafficUntil(now);
    if (now === nextRamp && params) {
      const state: RampState = {
        primary: distribution(false, now),
        staging: distribution(true, now),
        policy: policy(),
        policyModified,
        now,
      };
      try {
        // The driver's own limit: counted from the ramp's first invocation.
        checkWaitLimit(
          { maxWaitMinutes: (p: RampParams) => p.maxWaitMinutes },
          params,
          { reason: 'the ladder', inProgress: [] },
          now - T0,
        );
        const needs = extraReads(state, params, memory);
        if (needs.window)
          state.traffic = { figures: figuresAt(minutes, needs.window, now, model), window: needs.window };
        const plan = planRamp(state, params, memory, phase);
        const verdict =
          plan.judged ??
          (plan.remember.unhealthy
            ? { percent: params.steps[Number(plan.remember.unhealthy.split('|')[0])] as number }
            : undefined);
        if (verdict && needs.window) {
          const windowStartMs = needs.window.start.getTime();
          // Its own traffic only when no other weight routed viewers at the window's start (header routing: none).
          const atStart = weightInEffect(writes, windowStartMs, model);
          judged.push({
            percent: verdict.percent,
            windowStartMs,
            own: atStart === 0 || atStart * 100 === verdict.percent,
          });
        }
        for (const change of plan.changes)
          write(
            now,
            change.kind === 'set-weight'
              ? withStepWeight(policyConfig, change.percent)
              : withPolicyEnabled(policyConfig, false),
            'ramp',
          );
        memory = { ...memory, ...plan.remember };
        if (plan.next.kind === 'done') {
          rampDone = { atMs: now, end: 'success' };
          nextRamp = Number.POSITIVE_INFINITY;
        } else {
          phase = plan.next.phase;
          nextRamp = now + model.reinvokeMinutes * MINUTE;
        }
      } catch (err) {
        if (!(err instanceof CfcdError)) throw err;
        rampDone = { atMs: now, end: `failed: ${err.message.slice(0, 60)}…` };
        nextRamp = Number.POSITIVE_INFINITY;
      }
    }
    if (now === nextWatch && watch) {
      const primary = distribution(false, now);
      const canary = canaryOf(primary, POLICY_ID, policy());
      if (canary.kind === 'live' && watch.gate) {
        const staging = distribution(true, now);
        const window = metricsWindow(watch.gate.windowMinutes, now, staging.lastModified?.getTime());
        const figures = figuresAt(minutes, window, now, model);
        const subject = { primaryId: PRIMARY_ID, stagingId: STAGING_ID, policy: canary.policy };
        const health = judge({ gate: watch.gate, figures, subject, alarms: [] });
        if (health.verdict === 'unhealthy') write(now, withPolicyEnabled(policyConfig, false), 'watch');
      }
      nextWatch = now + model.watchEveryMinutes * MINUTE;
    }
    if (finished(now)) break;
  }

  const rollback = writes.find((w) => w.weight === 0);
  // Every request staging served: until the disable is in effect, or (healthy) the last write is.
  const last = writes[writes.length - 1];
  if (last) trafficUntil(last.atMs + Math.max(model.weightEffectMinutes, model.disableEffectMinutes) * MINUTE + MINUTE);
  const minutesOf = (ms: number | undefined) =>
    ms === undefined ? undefined : Math.round(((ms - T0) / MINUTE) * 10) / 10;
  const lastStep = params ? (params.steps[params.steps.length - 1] as number) / 100 : undefined;
  const fullWrite = writes.find((w) => lastStep !== undefined && w.weight === lastStep);
  const single = strategy.kind === 'single' ? writes[0] : undefined;
  const full = fullWrite ?? single;
  return {
    scenario,
    stagingRequests: minutes.reduce((s, m) => s + m.staging.requests, 0),
    staging5xx: minutes.reduce((s, m) => s + m.staging.errors, 0),
    rollbackAtMinutes: minutesOf(rollback?.atMs),
    rolledBackBy: rollback?.by,
    weightAtRollback: rollback ? Math.round(weightInEffect(writes, rollback.atMs, model) * 100_000) / 1000 : undefined,
    offAtMinutes: minutesOf(rollback ? rollback.atMs + model.disableEffectMinutes * MINUTE : undefined),
    fullWeightAtMinutes: full && !rollback ? minutesOf(full.atMs + model.weightEffectMinutes * MINUTE) : undefined,
    rampDoneAtMinutes: minutesOf(rampDone?.atMs),
    rampEnd: rampDone?.end,
    writes,
    judged,
  };
}

/** The scenarios `npm run bench` runs: each strategy on a busy and a quiet site, broken and healthy. */
export function exposureScenarios(): ExposureScenario[] {
  const single: Strategy = { kind: 'single', percent: 15 };
  const ladder: Strategy = { kind: 'ladder', steps: [1, 5, 15], stepMinutes: 5 };
  // A bake as long as the routing delay: each step's window then holds its own weight's traffic.
  const longBake: Strategy = { kind: 'ladder', steps: [1, 5, 15], stepMinutes: 10 };
  const out: ExposureScenario[] = [];
  for (const broken of [true, false])
    for (const requestsPerMinute of [10_000, 1_000]) {
      out.push({ id: `single-watch`, strategy: single, watch: true, broken, requestsPerMinute });
      out.push({ id: `ladder-watch`, strategy: ladder, watch: true, broken, requestsPerMinute });
      out.push({ id: `ladder-alone`, strategy: ladder, watch: false, broken, requestsPerMinute });
      out.push({ id: `ladder-long-bake`, strategy: longBake, watch: true, broken, requestsPerMinute });
    }
  return out;
}

export const strategyTitle = (s: ExposureScenario) =>
  (s.strategy.kind === 'single'
    ? `single step ${s.strategy.percent} %`
    : `ladder ${s.strategy.steps.join(' → ')} %, StepMinutes ${s.strategy.stepMinutes}`) +
  (s.watch ? ', watch on' : ', no watch');

/** The table rows: one per scenario. */
export function exposureRows(outcomes: readonly ExposureOutcome[]): (string | number)[][] {
  const min = (x: number | undefined) => (x === undefined ? '–' : `${x} min`);
  return outcomes.map((o) => [
    o.scenario.broken ? 'broken' : 'healthy',
    `${o.scenario.requestsPerMinute.toLocaleString('en-US')}/min`,
    strategyTitle(o.scenario),
    o.scenario.broken ? o.stagingRequests.toLocaleString('en-US') : '–',
    o.rolledBackBy ? `${o.rolledBackBy} at ${o.weightAtRollback} %` : '–',
    min(o.rollbackAtMinutes),
    min(o.offAtMinutes),
    min(o.fullWeightAtMinutes),
    o.rampEnd ? `${o.rampEnd.startsWith('success') ? 'success' : 'failed'} at ${min(o.rampDoneAtMinutes)}` : '–',
    o.judged.length ? `${o.judged.filter((j) => j.own).length} of ${o.judged.length}` : '–',
  ]);
}

export const EXPOSURE_HEADERS = [
  'release',
  'traffic',
  'exposure',
  'requests served by the broken canary',
  'rolled back by (weight)',
  'rollback written',
  'last viewer on staging',
  'last step in effect',
  'ramp',
  'steps judged on their own weight',
];

export function measureExposure(model: ExposureModel = EXPOSURE_MODEL): ExposureOutcome[] {
  return exposureScenarios().map((s) => simulate(s, model));
}
