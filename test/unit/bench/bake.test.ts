import { describe, expect, it } from 'vitest';
import {
  BAKE_MODEL,
  type BakeScenario,
  T0,
  UNALIGNED_MODEL,
  bakeRows,
  detectionWindowMinutes,
  lowerBoundMinutes,
  measureBake,
  primaryFigures,
  primaryMinute,
  promoted,
  simulateBake,
} from '../../../bench/bake.js';
import { configHash } from '../../../shared/revert/record.js';

const MIN = 60_000;
const model = BAKE_MODEL;
const minute0 = T0 - (T0 % MIN);
const busy: BakeScenario = { id: 'busy', requestsPerMinute: 10_000, failingShare: 0.2, failsAfterMinutes: 0 };

describe("the bake bench's arithmetic", () => {
  it('counts a minute second by second: healthy share before the failure, the failing share from it', () => {
    const never = Number.POSITIVE_INFINITY;
    const healthy = primaryMinute(
      minute0,
      6_000,
      { promotedFrom: 0, failingFrom: never, previousFrom: never, failingShare: 0.5 },
      model,
    );
    expect(healthy).toEqual({ startMs: minute0, requests: 6_000, errors: Math.round(6_000 * model.healthy5xxShare) });
    // Failing from 20 s into the minute: 40 s at 50 %, 20 s at the healthy share.
    const t = { promotedFrom: 0, failingFrom: minute0 + 20_000, previousFrom: never, failingShare: 0.5 };
    expect(primaryMinute(minute0, 6_000, t, model).errors).toBe(
      Math.round(4_000 * 0.5 + 2_000 * model.healthy5xxShare),
    );
    // The previous release back from 30 s: only 10 s failed.
    const back = { ...t, previousFrom: minute0 + 30_000 };
    expect(primaryMinute(minute0, 6_000, back, model).errors).toBe(
      Math.round(1_000 * 0.5 + 5_000 * model.healthy5xxShare),
    );
    // Not promoted yet: the failure cannot show.
    const notYet = { ...t, promotedFrom: minute0 + MIN };
    expect(primaryMinute(minute0, 6_000, notYet, model).errors).toBe(Math.round(6_000 * model.healthy5xxShare));
  });

  it('reads a window only from the minutes CloudWatch has published, the rate weighted by requests', () => {
    const minutes = [
      { startMs: minute0, requests: 1_000, errors: 10 },
      { startMs: minute0 + MIN, requests: 3_000, errors: 300 },
    ];
    const window = { start: new Date(minute0), end: new Date(minute0 + 2 * MIN), minutes: 2 };
    expect(primaryFigures(minutes, window, minute0 + 2 * MIN, model)).toEqual({ requests: 1_000, errorRate5xx: 1 });
    const late = primaryFigures(minutes, window, minute0 + (2 + model.metricsLagMinutes) * MIN, model);
    expect(late.requests).toBe(4_000);
    expect(late.errorRate5xx).toBeCloseTo(7.75, 9);
    expect(primaryFigures([], window, minute0 + 10 * MIN, model)).toEqual({ requests: 0, errorRate5xx: undefined });
  });

  it('bounds the detection by the first published minute that holds MinRequests since the failure', () => {
    // 20 s into a minute, busy: the rest of that minute holds 6,667 requests; published a minute after it ends.
    expect(detectionWindowMinutes(minute0 + 20_000, 10_000, 100, model)).toBeCloseTo(40 / 60 + 1, 9);
    // Quiet, 40 a minute: 26.7 in the first minute's rest, 106.7 two minutes later.
    expect(detectionWindowMinutes(minute0 + 20_000, 40, 100, model)).toBeCloseTo(40 / 60 + 2 + 1, 9);
    expect(lowerBoundMinutes(2, model)).toBe(2 + 2 * model.propagationMinutes + model.invalidationMinutes);
  });

  it('promotes as CloudFront does: the staging config but for CallerReference, aliases, policy and Staging', () => {
    const primary = {
      CallerReference: 'p',
      Comment: 'old',
      Enabled: true,
      Staging: false,
      ContinuousDeploymentPolicyId: 'policy',
      Aliases: { Quantity: 1, Items: ['www.example.com'] },
      Origins: { Quantity: 0, Items: [] },
      DefaultCacheBehavior: { TargetOriginId: 'a', ViewerProtocolPolicy: 'allow-all' as const },
    };
    const staging = { ...primary, CallerReference: 's', Comment: 'new', Staging: true, Aliases: undefined };
    const after = promoted(primary, staging);
    expect(after).toMatchObject({
      CallerReference: 'p',
      Comment: 'new',
      Staging: false,
      ContinuousDeploymentPolicyId: 'policy',
    });
    expect(after.Aliases?.Items).toEqual(['www.example.com']);
    expect(configHash(after)).toBe(configHash(staging));
  });

  it('never brings viewers back before the lower bound, and spends each wait between the revert steps', () => {
    for (const m of [model, UNALIGNED_MODEL]) {
      const o = simulateBake(busy, m);
      expect(o.end).toBe('reverted');
      expect(o.verdict).toMatch(/exceeds its rate before the promotion/);
      expect(o.viewersBackAfter).toBeGreaterThanOrEqual(o.lowerBound);
      expect(o.detectedAfter).toBeGreaterThanOrEqual(o.detectionWindow);
      expect(o.stagingWrittenAfter).toBe(o.detectedAfter);
      expect(o.primaryWrittenAfter! - o.stagingWrittenAfter!).toBeGreaterThanOrEqual(m.propagationMinutes);
      expect(o.viewersBackAfter! - o.primaryWrittenAfter!).toBeGreaterThanOrEqual(
        m.propagationMinutes + m.invalidationMinutes,
      );
      // A re-invocation interval at most per wait: detection, staging Deployed, primary Deployed, invalidation.
      expect(o.viewersBackAfter! - o.lowerBound).toBeLessThanOrEqual(4 * m.reinvokeMinutes);
      expect(o.failedRequests).toBe(Math.round(o.viewersBackAfter! * busy.requestsPerMinute * busy.failingShare));
    }
  });

  it('writes nothing for a failure under the threshold or after the bake: production stays on the failing release', () => {
    for (const s of [
      { ...busy, failingShare: 0.005 },
      { ...busy, failsAfterMinutes: 20 },
    ]) {
      const o = simulateBake(s);
      expect(o.end).toBe('healthy');
      expect([o.detectedAfter, o.stagingWrittenAfter, o.primaryWrittenAfter, o.viewersBackAfter]).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
      expect(o.failedRequests).toBeNaN();
    }
  });

  it('prints one row per scenario and model, minutes from the failure', () => {
    const runs = measureBake();
    const rows = bakeRows(runs);
    expect(rows).toHaveLength(runs.reduce((n, r) => n + r.outcomes.length, 0));
    expect(rows[0]).toEqual(expect.arrayContaining(['5 min, 2 min', '10,000/min', 'reverted']));
  });
});
