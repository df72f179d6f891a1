import { describe, expect, it } from 'vitest';
import { parseRampParams } from '../../../../functions/ramp/params.js';
import { PHASE } from '../../../../functions/ramp/phases.js';
import {
  type RampMemory,
  type RampState,
  decodeFigures,
  encodeFigures,
  extraReads,
  planRamp,
  ringingPhrase,
  routingAfterRamp,
  stepWindow,
  withRollback,
  withStepWeight,
} from '../../../../functions/ramp/plan.js';
import { ContinuationError } from '../../../../shared/job/continuation.js';
import { StateCheckError } from '../../../../shared/domain/errors.js';
import {
  PRIMARY_ID,
  STAGING_ID,
  headerPolicyConfig,
  policyState,
  primaryState,
  stagingState,
  weightPolicyConfig,
} from '../../fixtures.js';

const NOW = Date.parse('2026-11-01T01:00:30Z');
const MIN = 60_000;
const params = (extra: Record<string, unknown> = {}) =>
  parseRampParams(
    JSON.stringify({
      PrimaryDistributionId: PRIMARY_ID,
      StagingDistributionId: STAGING_ID,
      Steps: [1, 5, 15],
      StepMinutes: 5,
      MinStagingRequests: 10,
      MaxStaging5xxErrorRate: 5,
      ...extra,
    }),
  );
const atWeight = (percent: number, etag = 'EC') =>
  policyState({
    etag,
    config: weightPolicyConfig({
      TrafficConfig: { Type: 'SingleWeight', SingleWeightConfig: { Weight: percent / 100 } },
    }),
  });
const state = (o: Partial<RampState> = {}): RampState => ({
  primary: primaryState(),
  staging: stagingState(),
  policy: policyState(),
  policyModified: NOW - 10 * MIN,
  now: NOW,
  ...o,
});
const traffic = (requests: number, rate: number | undefined, primaryRate = 0) => ({
  window: stepWindow(NOW - 6 * MIN, NOW),
  figures: {
    windowMinutes: 6,
    staging: { requests, errorRate5xx: rate },
    primary: { requests: 1000, errorRate5xx: primaryRate },
  },
});
const baking = (etag = 'EC', since = NOW - 6 * MIN): RampMemory => ({
  started: 'true',
  bakeEtag: etag,
  bakeStart: String(since),
});

function refusal(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a refusal');
}

describe('the ramp plan', () => {
  it('starts the ladder from header routing once the probes passed, and waits for the primary to be Deployed', () => {
    const p = params({ Probes: ['/'] });
    const probe = p.probes[0]!;
    const plan = planRamp(state({ probes: [{ probe, url: 'https://x/', status: 200 }] }), p, {});
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'set-weight', percent: 1, stepIndex: 0 })]);
    expect(plan.next).toMatchObject({ kind: 'wait', phase: PHASE.propagating, inProgress: [PRIMARY_ID] });
    expect(plan.remember).toMatchObject({ started: 'true', pinnedEtag: stagingState().etag });
  });

  it('fails at the probes with no write and no viewer routed, naming each failed probe', () => {
    const p = params({ Probes: ['/', { Path: '/app.js', Contains: 'v2' }, '/about'] });
    const [root, app, about] = p.probes as [never, never, never];
    const err = refusal(() =>
      planRamp(
        state({
          probes: [
            { probe: root, url: 'u', status: 503 },
            { probe: app, url: 'u', status: 200, matched: false },
            { probe: about, url: 'u', error: 'request failed (timeout)' },
          ],
        }),
        p,
        {},
      ),
    );
    expect(err).toBeInstanceOf(StateCheckError);
    expect(err.message).toContain('/: HTTP 503, expected 200');
    expect(err.message).toContain('/app.js: the body does not contain "v2"');
    expect(err.message).toContain('/about: request failed (timeout)');
    expect(err.message).toContain('No viewer was routed');
  });

  it('refuses probes when viewers are already routed by weight before the ramp', () => {
    const err = refusal(() => planRamp(state({ policy: atWeight(10) }), params({ Probes: ['/'] }), {}));
    expect(err.message).toContain('the probes must run before any viewer is routed');
  });

  it('waits, writing nothing, while a distribution is InProgress before the ramp', () => {
    const plan = planRamp(state({ staging: stagingState({ status: 'InProgress' }) }), params(), {});
    expect(plan.changes).toEqual([]);
    expect(plan.next).toMatchObject({ phase: PHASE.propagating, inProgress: [STAGING_ID] });
  });

  it('starts the bake at the first pass that finds the primary Deployed at the step, and waits while it bakes', () => {
    const plan = planRamp(state({ policy: atWeight(1) }), params(), { started: 'true' });
    expect(plan.changes).toEqual([]);
    expect(plan.next).toMatchObject({ phase: PHASE.baking, brief: expect.stringContaining('0 of 5 minute(s)') });
    expect(plan.remember).toMatchObject({ bakeEtag: 'EC', bakeStart: String(NOW) });
  });

  it('does not take a bake start from a token for another policy ETag, nor one before the policy changed', () => {
    const p = params();
    const other = planRamp(state({ policy: atWeight(1) }), p, baking('OLD'));
    expect(other.remember.bakeStart).toBe(String(NOW));
    const early = planRamp(state({ policy: atWeight(1), policyModified: NOW - MIN }), p, baking('EC', NOW - 6 * MIN));
    expect(early.remember.bakeStart).toBe(String(NOW));
  });

  it('moves up one step only after judging the step below healthy on its own window', () => {
    const plan = planRamp(state({ policy: atWeight(1), traffic: traffic(40, 0) }), params(), baking());
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'set-weight', percent: 5, stepIndex: 1 })]);
    expect(plan.next).toMatchObject({ phase: PHASE.propagating });
    expect(decodeFigures(plan.remember.figures ?? '')).toEqual([
      { percent: 1, windowMinutes: 6, staging: { requests: 40, errorRate5xx: 0 }, primary: expect.any(Object) },
    ]);
  });

  it('keeps baking without advancing while the step has too few requests (inconclusive)', () => {
    const plan = planRamp(state({ policy: atWeight(5), traffic: traffic(3, 0) }), params(), baking());
    expect(plan.changes).toEqual([]);
    expect(plan.next).toMatchObject({
      phase: PHASE.baking,
      reason: expect.stringContaining('never advancing on no evidence'),
      brief: expect.stringContaining('3 of 10 staging request(s)'),
    });
  });

  it('disables the policy when a step is unhealthy, then fails naming the step, its weight and figures', () => {
    const p = params();
    const plan = planRamp(state({ policy: atWeight(5), traffic: traffic(40, 50) }), p, baking());
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'disable-policy', policyId: policyState().id })]);
    expect(plan.next).toMatchObject({ phase: PHASE.rolledBack });

    const disabled = policyState({ config: weightPolicyConfig({ Enabled: false }) });
    const err = refusal(() =>
      planRamp(state({ policy: disabled }), p, { ...plan.remember } as RampMemory, PHASE.rolledBack),
    );
    expect(err).toBeInstanceOf(StateCheckError);
    expect(err.message).toContain('ramp step 2 of 3 (5% of viewers) was unhealthy');
    expect(err.message).toContain('staging served 40 request(s) in 6 minute(s), 5xx error rate 50%');
    expect(err.message).toContain('MaxStaging5xxErrorRate 5%');
    expect(err.message).toContain('was disabled');
  });

  // Issue 25/26: a ramp's weights end with its release. With RampHeader the rollback's one write disables the policy
  // AND puts it back on header routing, so that the next release's enable-CD (told no RampHeader, the ramp turned
  // off) finds header routing to review on, never this step's weight to switch back on.
  it('with RampHeader, rolls an unhealthy step back in one write: disabled, on header routing, stickiness dropped', () => {
    const p = params({ RampHeader: 'aws-cf-cd-staging: true' });
    const sticky = policyState({
      etag: 'EC',
      config: weightPolicyConfig({
        TrafficConfig: {
          Type: 'SingleWeight',
          SingleWeightConfig: { Weight: 0.05, SessionStickinessConfig: { IdleTTL: 300, MaximumTTL: 600 } },
        },
      }),
    });
    const plan = planRamp(state({ policy: sticky, traffic: traffic(40, 50) }), p, baking());
    expect(plan.changes).toEqual([
      expect.objectContaining({
        kind: 'disable-policy',
        policyId: sticky.id,
        header: { header: 'aws-cf-cd-staging', value: 'true' },
        reason: expect.stringContaining('put back on header routing (aws-cf-cd-staging: true) in the same write'),
      }),
    ]);
    const change = plan.changes[0] as Extract<(typeof plan.changes)[number], { kind: 'disable-policy' }>;
    const written = withRollback(sticky.config, change.header);
    expect(written).toEqual({
      ...sticky.config,
      Enabled: false,
      TrafficConfig: { Type: 'SingleHeader', SingleHeaderConfig: { Header: 'aws-cf-cd-staging', Value: 'true' } },
    });
    // The failure the next pass reports says where the policy was left.
    const left = policyState({ config: { ...written } });
    const err = refusal(() =>
      planRamp(state({ policy: left }), p, { ...plan.remember } as RampMemory, PHASE.rolledBack),
    );
    expect(err.message).toContain('was disabled and put back on header routing (aws-cf-cd-staging: true)');
  });

  it('with RampHeader, an alarm rollback before the step is judged also leaves header routing', () => {
    const p = params({ RampHeader: 'aws-cf-cd-staging: true', AlarmNames: 'site-5xx' });
    const alarms = { readings: [{ name: 'site-5xx', region: undefined, state: 'ALARM' as const }], missing: [] };
    const plan = planRamp(state({ policy: atWeight(1), alarms }), p, baking());
    expect(plan.changes).toEqual([
      expect.objectContaining({ kind: 'disable-policy', header: { header: 'aws-cf-cd-staging', value: 'true' } }),
    ]);
  });

  it('without RampHeader (cfcd ramp), the rollback only disables: the weight stays, as the watch leaves it', () => {
    const plan = planRamp(state({ policy: atWeight(5), traffic: traffic(40, 50) }), params(), baking());
    expect(plan.changes[0]).not.toHaveProperty('header');
    const change = plan.changes[0] as Extract<(typeof plan.changes)[number], { kind: 'disable-policy' }>;
    expect(withRollback(atWeight(5).config, change.header)).toEqual({ ...atWeight(5).config, Enabled: false });
  });

  it('is done after judging the last step healthy', () => {
    const plan = planRamp(state({ policy: atWeight(15), traffic: traffic(40, 0) }), params(), baking());
    expect(plan).toMatchObject({ changes: [], next: { kind: 'done' }, judged: { percent: 15 } });
  });

  it('fails cleanly, writing nothing, when the policy was disabled (the watch rolled back): never re-enables', () => {
    const disabled = policyState({ config: weightPolicyConfig({ Enabled: false }) });
    const err = refusal(() => planRamp(state({ policy: disabled }), params(), baking()));
    expect(err).toBeInstanceOf(StateCheckError);
    expect(err.message).toContain('does not switch it back on');
  });

  it('refuses a staging whose ETag is not ExpectedStagingETag, and one the token pinned', () => {
    const err = refusal(() => planRamp(state(), params({ ExpectedStagingETag: 'OTHER' }), {}));
    expect(err.message).toContain('ExpectedStagingETag=OTHER');
    expect(refusal(() => planRamp(state(), params(), { pinnedEtag: 'OTHER' })).message).toContain(
      'not ExpectedStagingETag=OTHER',
    );
    expect(refusal(() => planRamp(state(), params({ ExpectedStagingETag: 'A' }), { pinnedEtag: 'B' }))).toBeInstanceOf(
      ContinuationError,
    );
  });

  it('stops when another writer set a weight off the ladder after the ramp started', () => {
    const err = refusal(() => planRamp(state({ policy: atWeight(7) }), params(), baking()));
    expect(err.message).toContain('routes 7% of viewers, which is no step of the ladder');
  });

  it('stops, writing nothing, when the policy is back on header routing after the ramp set a weight', () => {
    // A late enable-CD delivery after a rollback, or a person: starting the ladder again would re-expose the release.
    const err = refusal(() => planRamp(state({ policy: policyState() }), params({ Probes: ['/'] }), baking()));
    expect(err).toBeInstanceOf(StateCheckError);
    expect(err.message).toContain('is back on header routing (aws-cf-cd-staging) after the ramp had set a weight');
    // Before the ramp started, header routing is where it starts.
    expect(planRamp(state(), params(), {}).position).toEqual({
      kind: 'start',
      from: 'header routing (aws-cf-cd-staging)',
    });
  });

  it('starts from the bottom of the ladder when the policy had another weight before the ramp', () => {
    const plan = planRamp(state({ policy: atWeight(10) }), params(), {});
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'set-weight', percent: 1 })]);
  });

  it('has nothing to ramp when the staging serves what the primary serves', () => {
    const same = stagingState({ config: { ...primaryState().config, Staging: true } });
    const plan = planRamp(state({ staging: same }), params(), {});
    expect(plan).toMatchObject({ changes: [], next: { kind: 'done' }, position: { kind: 'nothing-to-ramp' } });
  });

  it('refuses a token in phase rolled-back without the step it rolled back', () => {
    expect(refusal(() => planRamp(state(), params(), {}, PHASE.rolledBack))).toBeInstanceOf(ContinuationError);
  });
});

describe('the ramp judges alarms (AlarmNames)', () => {
  const ALARM_ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:site-5xx';
  const withAlarms = () => params({ AlarmNames: `${ALARM_ARN},checkout-latency` });
  const alarms = (site: string, latency = 'OK') => ({
    readings: [
      { name: 'site-5xx', region: 'us-east-1', state: site },
      { name: 'checkout-latency', region: undefined, state: latency },
    ],
    missing: [],
  });
  const disabled = policyState({ config: weightPolicyConfig({ Enabled: false }) });
  /** The failure the pass after a rollback reports. */
  const failureAfter = (remember: Partial<RampMemory>, p = withAlarms()) =>
    refusal(() => planRamp(state({ policy: disabled }), p, { ...remember } as RampMemory, PHASE.rolledBack));

  it('rolls back a step while it bakes, at once, when an alarm is in ALARM, naming the step, its weight and the alarm', () => {
    const p = withAlarms();
    const plan = planRamp(state({ policy: atWeight(5), alarms: alarms('ALARM') }), p, baking('EC', NOW - MIN));
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'disable-policy', policyId: policyState().id })]);
    expect(plan.changes[0]?.reason).toContain('step 2 of 3 (5% of viewers) is unhealthy: alarm site-5xx (us-east-1)');
    expect(plan.next).toMatchObject({ phase: PHASE.rolledBack });
    const err = failureAfter(plan.remember, p);
    expect(err).toBeInstanceOf(StateCheckError);
    expect(err.message).toContain(
      'ramp step 2 of 3 (5% of viewers) was unhealthy: alarm site-5xx (us-east-1) is in ALARM; policy',
    );
    expect(err.message).toContain('was disabled');
  });

  it('rolls back a step still propagating when an alarm is in ALARM (viewers are already being routed)', () => {
    const plan = planRamp(
      state({ policy: atWeight(5), primary: primaryState({ status: 'InProgress' }), alarms: alarms('OK', 'ALARM') }),
      withAlarms(),
      { started: 'true' },
    );
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'disable-policy' })]);
    expect(failureAfter(plan.remember).message).toContain('alarm checkout-latency is in ALARM');
  });

  it('names both the alarm and the figures when the alarm rings on the pass that judged the window', () => {
    const plan = planRamp(
      state({ policy: atWeight(1), traffic: traffic(40, 0), alarms: alarms('ALARM', 'ALARM') }),
      withAlarms(),
      baking(),
    );
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'disable-policy' })]);
    const message = failureAfter(plan.remember).message;
    expect(message).toContain(
      'step 1 of 3 (1% of viewers) was unhealthy: alarms site-5xx (us-east-1), checkout-latency',
    );
    expect(message).toContain('are in ALARM; at 1%, staging served 40 request(s) in 6 minute(s), 5xx error rate 0%');
  });

  it('moves up on healthy figures with the alarms OK or INSUFFICIENT_DATA, and says which it judged', () => {
    const plan = planRamp(
      state({ policy: atWeight(1), traffic: traffic(40, 0), alarms: alarms('INSUFFICIENT_DATA') }),
      withAlarms(),
      baking(),
    );
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'set-weight', percent: 5 })]);
    expect(plan.changes[0]?.reason).toContain('no alarm in ALARM (site-5xx (us-east-1), checkout-latency)');
  });

  it('never advances on the alarms alone: too few requests keep the step baking though every alarm is OK', () => {
    const plan = planRamp(
      state({ policy: atWeight(5), traffic: traffic(3, 0), alarms: alarms('OK') }),
      withAlarms(),
      baking(),
    );
    expect(plan.changes).toEqual([]);
    expect(plan.next).toMatchObject({ phase: PHASE.baking, reason: expect.stringContaining('no evidence') });
  });

  it('does not fail on an alarm DescribeAlarms did not find (the action logs a WARN), and notes it', () => {
    const plan = planRamp(
      state({
        policy: atWeight(1),
        traffic: traffic(40, 0),
        alarms: { readings: [], missing: [{ name: 'site-5xx', region: 'us-east-1' }] },
      }),
      params({ AlarmNames: ALARM_ARN }),
      baking(),
    );
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'set-weight', percent: 5 })]);
    expect(plan.changes[0]?.reason).toContain('site-5xx (us-east-1) not found by DescribeAlarms, not judged');
  });

  it('sets no first weight while an alarm is in ALARM, writing nothing', () => {
    const err = refusal(() => planRamp(state({ alarms: alarms('ALARM') }), withAlarms(), {}));
    expect(err).toBeInstanceOf(StateCheckError);
    expect(err.message).toContain("alarm site-5xx (us-east-1) is in ALARM before the ramp's first step: no weight");
    expect(planRamp(state({ alarms: alarms('OK') }), withAlarms(), {}).changes).toEqual([
      expect.objectContaining({ kind: 'set-weight', percent: 1 }),
    ]);
  });

  it('reads the alarms on every pass at a step and before the first weight, and only when some are named', () => {
    const p = withAlarms();
    expect(extraReads(state(), p, {})).toMatchObject({ alarms: true });
    expect(extraReads(state({ staging: stagingState({ status: 'InProgress' }) }), p, {})).toMatchObject({
      alarms: false,
    });
    const propagating = state({ policy: atWeight(1), primary: primaryState({ status: 'InProgress' }) });
    expect(extraReads(propagating, p, { started: 'true' })).toEqual({ probes: false, alarms: true });
    expect(extraReads(state({ policy: atWeight(1) }), p, baking('EC', NOW - MIN))).toEqual({
      probes: false,
      alarms: true,
    });
    expect(extraReads(state({ policy: atWeight(1) }), p, baking())).toMatchObject({ alarms: true, window: {} });
    expect(extraReads(state({ policy: atWeight(1) }), params(), baking())).toMatchObject({ alarms: false });
    expect(extraReads(state({ policy: disabled }), p, baking())).toEqual({ probes: false, alarms: false });
  });

  it('refuses to judge a step whose alarms were not read', () => {
    expect(() => planRamp(state({ policy: atWeight(1) }), withAlarms(), baking('EC', NOW - MIN))).toThrow(
      'the alarms were not read',
    );
  });

  it('names three alarms in ALARM and counts the rest, within what the token can carry', () => {
    const ringing = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, region: undefined, state: 'ALARM' }));
    expect(ringingPhrase(ringing)).toBe('alarms a, b, c and 2 more are in ALARM');
    const long = ['x', 'y', 'z'].map((c) => ({ name: c.repeat(255), region: 'us-east-1', state: 'ALARM' }));
    expect(ringingPhrase(long).length).toBeLessThanOrEqual(600);
  });
});

describe('step windows and weights', () => {
  it("counts only whole minutes after the step took effect: the step below's traffic never counts", () => {
    const w = stepWindow(Date.parse('2026-11-01T01:00:10Z'), Date.parse('2026-11-01T01:03:20Z'));
    expect(w).toEqual({
      start: new Date('2026-11-01T01:01:00Z'),
      end: new Date('2026-11-01T01:04:00Z'),
      minutes: 3,
    });
  });

  it('sets the weight keeping stickiness as configured, and drops the header config', () => {
    const sticky = weightPolicyConfig();
    expect(withStepWeight(sticky, 5).TrafficConfig).toEqual({
      Type: 'SingleWeight',
      SingleWeightConfig: { Weight: 0.05, SessionStickinessConfig: { IdleTTL: 300, MaximumTTL: 600 } },
    });
    expect(withStepWeight(headerPolicyConfig(), 1.5)).toMatchObject({
      Enabled: true,
      TrafficConfig: { Type: 'SingleWeight', SingleWeightConfig: { Weight: 0.015 } },
    });
    expect(withStepWeight(headerPolicyConfig(), 1.5).TrafficConfig).not.toHaveProperty('SingleHeaderConfig');
  });

  it('round-trips the figures through the token, and refuses figures it did not write', () => {
    const figures = [
      { percent: 1, windowMinutes: 3, staging: { requests: 12, errorRate5xx: 0.5 }, primary: undefined },
      {
        percent: 5,
        windowMinutes: 4,
        staging: { requests: 0, errorRate5xx: undefined },
        primary: { requests: 9, errorRate5xx: 0 },
      },
    ];
    expect(decodeFigures(encodeFigures(figures))).toEqual(figures);
    expect(() => decodeFigures('1:2:x:0:0:0')).toThrow(ContinuationError);
  });
});

describe("how viewers reach the staging after the ramp (the approval shows it instead of enable-CD's header)", () => {
  it('says the share by weight, the stickiness, and that the header no longer selects staging', () => {
    const policy = policyState({
      config: weightPolicyConfig({
        TrafficConfig: {
          Type: 'SingleWeight',
          SingleWeightConfig: { Weight: 0.15, SessionStickinessConfig: { IdleTTL: 300, MaximumTTL: 600 } },
        },
      }),
    });
    const reach = routingAfterRamp({ primary: primaryState(), policy });
    expect(reach.TrafficType).toBe('SingleWeight');
    expect(reach.HowToReachStaging).toBe(
      `about 15% of viewers of https://${primaryState().domainName}/ are routed to staging by weight, each viewer ` +
        'kept on it by the x-amz-continuous-deployment-state cookie (idle 300s, max 600s); ' +
        "no request header selects it since the ramp's first step",
    );
    expect(routingAfterRamp({ primary: primaryState(), policy: atWeight(5) }).HowToReachStaging).toMatch(
      /^about 5% of viewers .* by weight; no request header/,
    );
    expect(reach.HowToReachStaging).not.toContain('curl');
  });
});
