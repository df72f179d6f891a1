import { describe, expect, it } from 'vitest';
import {
  EXPOSURE_MODEL,
  type MinuteTraffic,
  type PolicyWrite,
  T0,
  figuresAt,
  minuteTraffic,
  rampParamsOf,
  simulate,
  weightInEffect,
} from '../../../bench/exposure.js';

const MIN = 60_000;
const model = EXPOSURE_MODEL;
const minute0 = T0 - (T0 % MIN);

describe("the exposure model's arithmetic", () => {
  it('routes viewers at a weight only once it is in effect, and a later disable wins as soon as it is', () => {
    const weight: PolicyWrite = { atMs: T0, weight: 0.05, by: 'ramp' };
    expect(weightInEffect([weight], T0 + model.weightEffectMinutes * MIN - 1, model)).toBe(0);
    expect(weightInEffect([weight], T0 + model.weightEffectMinutes * MIN, model)).toBe(0.05);
    // Disabled 2 minutes after the weight's write: in effect 5 minutes later, before the weight's 10, and it wins.
    const writes = [weight, { atMs: T0 + 2 * MIN, weight: 0, by: 'watch' } as const];
    const disabledAt = T0 + (2 + model.disableEffectMinutes) * MIN;
    expect(weightInEffect(writes, disabledAt - 1, model)).toBe(0);
    expect(weightInEffect(writes, disabledAt, model)).toBe(0);
    expect(weightInEffect(writes, T0 + 60 * MIN, model)).toBe(0);
    // A step up: the step below stays in effect until the new weight is.
    const up = [{ atMs: T0 - 20 * MIN, weight: 0.01, by: 'ramp' } as const, weight];
    expect(weightInEffect(up, T0 + model.weightEffectMinutes * MIN - 1, model)).toBe(0.01);
    expect(weightInEffect(up, T0 + model.weightEffectMinutes * MIN, model)).toBe(0.05);
  });

  it('splits a minute second by second between staging and the primary, and counts a broken canary’s 5xx', () => {
    const writes: PolicyWrite[] = [{ atMs: T0 - model.weightEffectMinutes * MIN, weight: 0.15, by: 'enable-cd' }];
    // T0 is 20 s into its minute: 40 s of that minute go to staging at 15 %.
    const m = minuteTraffic(writes, minute0, 6_000, true, model);
    expect(m.staging.requests).toBe(Math.round((6_000 * 0.15 * 40) / 60));
    expect(m.staging.requests + m.primary.requests).toBe(6_000);
    expect(m.staging.errors).toBe(m.staging.requests);
    expect(m.primary.errors).toBe(Math.round(m.primary.requests * model.primary5xxShare));
    const healthy = minuteTraffic(writes, minute0 + MIN, 6_000, false, model);
    expect(healthy.staging.requests).toBe(900);
    expect(healthy.staging.errors).toBe(Math.round(900 * model.primary5xxShare));
  });

  it('reads a window only from the minutes CloudWatch has published, rates weighted by requests', () => {
    const minutes: MinuteTraffic[] = [
      { startMs: minute0, staging: { requests: 100, errors: 0 }, primary: { requests: 900, errors: 9 } },
      { startMs: minute0 + MIN, staging: { requests: 300, errors: 30 }, primary: { requests: 700, errors: 0 } },
    ];
    const window = { start: new Date(minute0), end: new Date(minute0 + 2 * MIN), minutes: 2 };
    // The second minute ends at +2 min and is readable metricsLagMinutes later.
    const early = figuresAt(minutes, window, minute0 + 2 * MIN, model);
    expect(early.staging).toEqual({ requests: 100, errorRate5xx: 0 });
    const late = figuresAt(minutes, window, minute0 + (2 + model.metricsLagMinutes) * MIN, model);
    expect(late.staging.requests).toBe(400);
    expect(late.staging.errorRate5xx).toBeCloseTo(7.5, 9);
    expect(late.primary?.requests).toBe(1_600);
    expect(late.primary?.errorRate5xx).toBeCloseTo(9 / 16, 9);
  });

  it('counts what a broken single step served: its weight × the rate × the minutes it was routed', () => {
    const o = simulate({
      id: 'single',
      strategy: { kind: 'single', percent: 15 },
      watch: true,
      broken: true,
      requestsPerMinute: 10_000,
    });
    expect(o.rolledBackBy).toBe('watch');
    expect(o.weightAtRollback).toBe(15);
    const routedMinutes = (o.offAtMinutes as number) - model.weightEffectMinutes;
    expect(o.stagingRequests).toBe(Math.round(10_000 * 0.15 * routedMinutes));
    expect(o.staging5xx).toBe(o.stagingRequests);
  });

  it('moves a healthy ladder up its steps only, one write per step, and a broken one is taken off at its first', () => {
    const ladder = { kind: 'ladder' as const, steps: [1, 5, 15], stepMinutes: 5 };
    const healthy = simulate({ id: 'h', strategy: ladder, watch: true, broken: false, requestsPerMinute: 10_000 });
    expect(healthy.writes.map((w) => [w.by, w.weight])).toEqual([
      ['ramp', 0.01],
      ['ramp', 0.05],
      ['ramp', 0.15],
    ]);
    expect(healthy.rampEnd).toBe('success');
    const last = healthy.writes[2] as PolicyWrite;
    expect(healthy.fullWeightAtMinutes).toBe((last.atMs - T0) / MIN + model.weightEffectMinutes);
    // Each step waited for Deployed and its bake before the next write.
    for (const [a, b] of [
      [0, 1],
      [1, 2],
    ] as const)
      expect(healthy.writes[b]!.atMs - healthy.writes[a]!.atMs).toBeGreaterThanOrEqual(
        (model.propagationMinutes + ladder.stepMinutes) * MIN,
      );
    const broken = simulate({ id: 'b', strategy: ladder, watch: false, broken: true, requestsPerMinute: 10_000 });
    expect(broken.writes.map((w) => [w.by, w.weight])).toEqual([
      ['ramp', 0.01],
      ['ramp', 0],
    ]);
    expect(broken.rampEnd).toMatch(/^failed: ramp step 1 of 3 \(1% of viewers\) was unhealthy/);
    const routedMinutes = (broken.offAtMinutes as number) - model.weightEffectMinutes;
    expect(broken.stagingRequests).toBe(Math.round(10_000 * 0.01 * routedMinutes));
  });

  it('judges with the ramp’s own parameters and defaults', () => {
    const params = rampParamsOf({ kind: 'ladder', steps: [1, 5, 15], stepMinutes: 5 });
    expect(params.gate.minStagingRequests).toBe(100);
    expect(params.gate.maxStaging5xxErrorRate).toBe(5);
    expect(() => rampParamsOf({ kind: 'ladder', steps: [5, 1], stepMinutes: 5 })).toThrow(/Steps/);
  });
});
