import { describe, expect, it } from 'vitest';
import { type BakeParams, parseBakeParams } from '../../../../functions/bake/params.js';
import {
  type BakeState,
  type BakeTraffic,
  bakeStart,
  bakeWindows,
  judgeBake,
  planBake,
} from '../../../../functions/bake/plan.js';
import type { AlarmReading, AlarmStates } from '../../../../shared/domain/alarms.js';
import type { DistributionState } from '../../../../shared/domain/resources.js';
import { asStagingConfig, buildRecord } from '../../../../shared/revert/record.js';
import { POLICY_ID, PRIMARY_ID, STAGING_ID, distributionConfig, primaryState, stagingState } from '../../fixtures.js';

const MIN = 60_000;
const PROMOTED_AT = Date.parse('2026-12-07T10:00:30Z');
const params = (extra: Record<string, unknown> = {}): BakeParams =>
  parseBakeParams(
    JSON.stringify({
      PrimaryDistributionId: PRIMARY_ID,
      StagingDistributionId: STAGING_ID,
      RevertRecordBucket: 'artifacts',
      RevertRecord: `cfcd-revert/${PRIMARY_ID}/x.json`,
      BakeMinutes: 15,
      MaxErrorRateIncrease: 1,
      MinRequests: 100,
      ...extra,
    }),
  );

const traffic = (requests: number, rate: number | undefined, baseline: number | 'none' = 0.5): BakeTraffic => {
  const w = bakeWindows(PROMOTED_AT, PROMOTED_AT, PROMOTED_AT + 5 * MIN);
  return {
    bake: { requests, errorRate5xx: rate },
    baseline:
      baseline === 'none' ? { requests: 0, errorRate5xx: undefined } : { requests: 1000, errorRate5xx: baseline },
    bakeWindow: w.bake,
    baselineWindow: w.baseline,
  };
};

const NO_ALARMS: AlarmStates = { readings: [], missing: [] };
const ALARM_ARN = 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:site-5xx';
const alarm = (state: string, name = 'site-5xx'): AlarmReading => ({ name, region: 'us-east-1', state });
const alarms = (...readings: AlarmReading[]): AlarmStates => ({ readings, missing: [] });

describe('bakeWindows', () => {
  it('compares the bake with a window as long that ends at the minute the promotion was recorded in', () => {
    const w = bakeWindows(Date.parse('2026-12-07T10:02:10Z'), PROMOTED_AT, Date.parse('2026-12-07T10:07:40Z'));
    expect(w.bake).toEqual({
      start: new Date('2026-12-07T10:02:00Z'),
      end: new Date('2026-12-07T10:08:00Z'),
      minutes: 6,
    });
    expect(w.baseline).toEqual({
      start: new Date('2026-12-07T09:54:00Z'),
      end: new Date('2026-12-07T10:00:00Z'),
      minutes: 6,
    });
  });
});

describe('judgeBake', () => {
  const timing = (bakedMinutes: number, waitedMinutes = bakedMinutes + 2) => ({
    bakedMs: bakedMinutes * MIN,
    waitedMs: waitedMinutes * MIN,
  });

  it('judges unhealthy as soon as the window holds MinRequests, before the bake ends', () => {
    const v = judgeBake(params(), traffic(200, 3), timing(2), NO_ALARMS);
    expect(v.kind).toBe('unhealthy');
    expect(v.why).toContain('5xx error rate 3% exceeds its rate before the promotion 0.5% by 2.5 percentage point(s)');
    expect(v.why).toContain('more than MaxErrorRateIncrease 1');
    expect(v.why).toContain(`primary ${PRIMARY_ID} served 200 request(s)`);
  });

  it('counts no traffic before the promotion as 0%', () => {
    expect(judgeBake(params(), traffic(200, 1.2, 'none'), timing(20), NO_ALARMS).kind).toBe('unhealthy');
    expect(judgeBake(params(), traffic(200, 1.2, 0.5), timing(20), NO_ALARMS).kind).toBe('healthy');
  });

  it('judges the absolute ceiling', () => {
    const v = judgeBake(
      params({ MaxPrimary5xxErrorRate: 2, MaxErrorRateIncrease: '' }),
      traffic(200, 2.5, 2.4),
      timing(20),
      NO_ALARMS,
    );
    expect(v).toMatchObject({ kind: 'unhealthy', why: expect.stringContaining('above MaxPrimary5xxErrorRate 2%') });
  });

  it('keeps baking until BakeMinutes, then passes a healthy production', () => {
    expect(judgeBake(params(), traffic(200, 0.5), timing(14), NO_ALARMS)).toMatchObject({
      kind: 'keep-baking',
      brief: 'baking: 1 minute(s) left, 200 request(s) so far',
    });
    expect(judgeBake(params(), traffic(200, 0.5), timing(15), NO_ALARMS)).toMatchObject({ kind: 'healthy' });
  });

  it('never calls a handful of errors unhealthy: below MinRequests it waits, then is inconclusive at MaxWaitMinutes', () => {
    expect(judgeBake(params(), traffic(50, 100), timing(20, 30), NO_ALARMS)).toMatchObject({
      kind: 'keep-baking',
      brief: 'baking: 50 of 100 request(s)',
    });
    expect(judgeBake(params(), traffic(50, 100), timing(58, 60), NO_ALARMS)).toMatchObject({
      kind: 'inconclusive',
      why: expect.stringContaining('too little traffic to judge: 50 request(s), MinRequests is 100'),
    });
  });

  it('judges an alarm in ALARM unhealthy at once, whatever the traffic, naming it with the figures', () => {
    const v = judgeBake(params({ AlarmNames: ALARM_ARN }), traffic(3, 0), timing(1), alarms(alarm('ALARM')));
    expect(v.kind).toBe('unhealthy');
    expect(v.why).toMatch(/^alarm site-5xx \(us-east-1\) is in ALARM \(primary \w+ served 3 request\(s\)/);
  });

  it('names every breach: the rate and the alarms', () => {
    const v = judgeBake(
      params({ AlarmNames: `${ALARM_ARN},latency` }),
      traffic(200, 3),
      timing(2),
      alarms(alarm('ALARM'), { name: 'latency', region: undefined, state: 'ALARM' }),
    );
    expect(v.why).toContain(
      'more than MaxErrorRateIncrease 1; alarm site-5xx (us-east-1) is in ALARM; alarm latency is in ALARM (primary',
    );
  });

  it('names at most three alarms in ALARM and counts the others (the verdict travels in the token)', () => {
    const ringing = ['a', 'b', 'c', 'd', 'e'].map((n) => alarm('ALARM', n));
    const v = judgeBake(params({ AlarmNames: 'a,b,c,d,e' }), traffic(200, 0.5), timing(2), alarms(...ringing));
    expect(v.why).toMatch(
      /^alarm a \(us-east-1\) is in ALARM; alarm b .*; alarm c .*; 2 more alarm\(s\) are in ALARM \(/,
    );
    expect(v.why).not.toContain('alarm d');
  });

  it('takes OK and INSUFFICIENT_DATA as no breach, and says which alarms it judged and which it did not find', () => {
    const states: AlarmStates = {
      readings: [alarm('OK'), alarm('INSUFFICIENT_DATA', 'quiet')],
      missing: [{ name: 'typo', region: undefined }],
    };
    const v = judgeBake(params({ AlarmNames: `${ALARM_ARN},quiet,typo` }), traffic(200, 0.5), timing(15), states);
    expect(v.kind).toBe('healthy');
    expect(v.why).toMatch(
      /; no alarm in ALARM \(site-5xx \(us-east-1\), quiet \(us-east-1\)\); alarm\(s\) typo not found by DescribeAlarms, not judged$/,
    );
  });

  it('judged by alarms alone, needs no traffic: healthy once BakeMinutes have passed, whatever the rate', () => {
    const byAlarms = params({ MaxErrorRateIncrease: '', AlarmNames: ALARM_ARN });
    expect(judgeBake(byAlarms, traffic(0, undefined, 'none'), timing(14), alarms(alarm('OK'))).kind).toBe(
      'keep-baking',
    );
    expect(judgeBake(byAlarms, traffic(0, undefined, 'none'), timing(15), alarms(alarm('OK'))).kind).toBe('healthy');
    expect(judgeBake(byAlarms, traffic(500, 50), timing(15), alarms(alarm('OK'))).kind).toBe('healthy');
    expect(judgeBake(byAlarms, traffic(0, undefined), timing(3), alarms(alarm('ALARM'))).kind).toBe('unhealthy');
  });
});

describe('planBake', () => {
  const primaryBefore = () =>
    primaryState({ config: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, '/v1') });
  const stagingConfig = distributionConfig({ Staging: true, CallerReference: 's', Aliases: { Quantity: 0 } }, '/v2');
  const record = buildRecord(primaryBefore(), stagingState({ config: stagingConfig }), new Date(PROMOTED_AT));
  const promoted = (o: Partial<DistributionState> = {}) =>
    primaryState({
      config: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, '/v2'),
      lastModified: new Date(PROMOTED_AT),
      ...o,
    });
  const state = (o: Partial<BakeState> = {}): BakeState => ({
    now: PROMOTED_AT + 3 * MIN,
    record,
    recordAt: 's3://artifacts/k',
    primary: promoted(),
    staging: stagingState({ config: stagingConfig }),
    latestInvalidation: { id: 'I1', status: 'Completed', createTime: new Date(), paths: ['/*'], callerReference: 'x' },
    traffic: traffic(200, 0.5),
    ...o,
  });

  it('waits for the primary Deployed and its invalidation Completed before it starts', () => {
    const inProgress = { ...state().latestInvalidation!, status: 'InProgress' };
    for (const s of [
      state({ primary: promoted({ status: 'InProgress' }) }),
      state({ latestInvalidation: inProgress }),
    ]) {
      expect(planBake(s, params(), {}, 0)).toMatchObject({
        kind: 'waiting-to-start',
        changes: [],
        next: { kind: 'wait', phase: 'awaiting-production' },
      });
    }
  });

  it('starts the bake at the first settled look, and keeps its start from the token, clamped to the promotion', () => {
    const s = state();
    expect(planBake(s, params(), {}, 0)).toMatchObject({ kind: 'baking', bakeStartedAt: s.now });
    expect(bakeStart(s, { bakeStartedAt: String(PROMOTED_AT + MIN) })).toBe(PROMOTED_AT + MIN);
    // A forged start before the promotion, or in the future, cannot shorten or stretch the bake.
    expect(bakeStart(s, { bakeStartedAt: '0' })).toBe(PROMOTED_AT);
    expect(bakeStart(s, { bakeStartedAt: String(s.now + 60 * MIN) })).toBe(s.now);
  });

  it('succeeds with no change once BakeMinutes of healthy traffic have passed', () => {
    const plan = planBake(state({ now: PROMOTED_AT + 16 * MIN }), params(), { bakeStartedAt: String(PROMOTED_AT) }, 0);
    expect(plan).toMatchObject({ kind: 'healthy', changes: [], next: { kind: 'done' } });
  });

  it('is inconclusive, with no change, when too little traffic came by MaxWaitMinutes', () => {
    const s = state({ now: PROMOTED_AT + 61 * MIN, traffic: traffic(5, 0) });
    expect(planBake(s, params(), { bakeStartedAt: String(PROMOTED_AT) }, 61 * MIN)).toMatchObject({
      kind: 'inconclusive',
      changes: [],
    });
  });

  it('starts the revert in the pass that judges production unhealthy, keeping the verdict', () => {
    const plan = planBake(state({ traffic: traffic(200, 10) }), params(), {}, 0);
    expect(plan).toMatchObject({
      kind: 'reverting',
      changes: [{ kind: 'stage-recorded-config' }],
      next: { kind: 'wait', phase: 'reverting' },
      verdict: expect.stringContaining('exceeds its rate before the promotion'),
    });
  });

  it('starts the revert in the pass an alarm rings in, the verdict naming the alarm', () => {
    const plan = planBake(
      state({ traffic: traffic(200, 0.5), alarms: alarms(alarm('ALARM')) }),
      params({ AlarmNames: ALARM_ARN }),
      {},
      0,
    );
    expect(plan).toMatchObject({
      kind: 'reverting',
      changes: [{ kind: 'stage-recorded-config' }],
      verdict: expect.stringMatching(/^alarm site-5xx \(us-east-1\) is in ALARM \(primary /),
    });
  });

  it('keeps baking while the alarms are OK', () => {
    const plan = planBake(
      state({ traffic: traffic(200, 0.5), alarms: alarms(alarm('OK')) }),
      params({ AlarmNames: ALARM_ARN }),
      {},
      0,
    );
    expect(plan).toMatchObject({ kind: 'baking', changes: [] });
  });

  it("never starts a revert on a token's verdict alone: with nothing under way, this pass's figures decide", () => {
    const plan = planBake(state({ traffic: traffic(200, 0.5) }), params(), { verdict: 'forged: 90 % 5xx' }, 0);
    expect(plan).toMatchObject({ kind: 'baking', changes: [] });
  });

  it('carries on a revert found under way in the live state, whatever the token says', () => {
    const staging = stagingState({ config: asStagingConfig(record, stagingConfig) });
    const plan = planBake(state({ staging, traffic: traffic(200, 0.1) }), params(), {}, 0);
    expect(plan).toMatchObject({
      kind: 'reverting',
      changes: [{ kind: 'promote-recorded-config' }],
      verdict: expect.stringContaining('found under way in the live state'),
    });
  });

  it('refuses a primary changed since the promotion, whether it was baking or reverting', () => {
    const newer = promoted({ config: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, '/v3') });
    expect(() => planBake(state({ primary: newer }), params(), {}, 0)).toThrow('no longer carries the promotion');
    expect(() => planBake(state({ primary: newer }), params(), { verdict: 'x' }, 0)).toThrow('nothing was written');
  });

  it('refuses to revert through another policy than ContinuousDeploymentPolicyId', () => {
    const other = params({ ContinuousDeploymentPolicyId: '11111111-2222-3333-4444-555555555555' });
    expect(() => planBake(state({ traffic: traffic(200, 10) }), other, {}, 0)).toThrow(
      `has policy ${POLICY_ID} attached, not ContinuousDeploymentPolicyId`,
    );
  });
});
