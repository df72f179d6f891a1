import type { GetPipelineStateOutput } from '@aws-sdk/client-codepipeline';
import { describe, expect, it } from 'vitest';
import {
  SUMMARY_MAX_CHARS,
  canaryOf,
  decideRejection,
  judge,
  offCanaryReview,
  pendingApproval,
  rejectionSummary,
  watchedStaging,
} from '../../../../functions/watch/plan.js';
import { StateCheckError } from '../../../../shared/domain/errors.js';
import type { GateFigures, GateParams } from '../../../../shared/domain/gate.js';
import {
  POLICY_ID,
  PRIMARY_ID,
  STAGING_DOMAIN,
  STAGING_ID,
  distributionConfig,
  headerPolicyConfig,
  policyState,
  primaryState,
  stagingState,
} from '../../fixtures.js';

const live = { kind: 'live' as const, policy: policyState(), stagingDomains: [STAGING_DOMAIN] };
const subject = { primaryId: PRIMARY_ID, stagingId: STAGING_ID, policy: policyState() };
const gate = (g: Partial<GateParams> = {}): GateParams => ({
  minStagingRequests: 100,
  maxStaging5xxErrorRate: 5,
  maxErrorRateIncrease: undefined,
  windowMinutes: 15,
  ...g,
});
const figures = (requests: number, rate: number | undefined, primaryRate?: number): GateFigures => ({
  windowMinutes: 6,
  staging: { requests, errorRate5xx: rate },
  primary: primaryRate === undefined ? undefined : { requests: 1000, errorRate5xx: primaryRate },
});

describe('watch: is a canary live? (from the primary and its policy alone)', () => {
  it('is quiet without a policy attached', () => {
    const primary = primaryState({ config: distributionConfig({ ContinuousDeploymentPolicyId: '' }) });
    expect(canaryOf(primary, undefined, undefined)).toEqual({
      kind: 'quiet',
      reason: `no continuous deployment policy is attached to primary ${PRIMARY_ID}`,
    });
  });

  it('is quiet when the attached policy is disabled (after a promotion, an abort or a rollback), naming the policy', () => {
    const policy = policyState({ config: headerPolicyConfig({ Enabled: false }) });
    expect(canaryOf(primaryState(), POLICY_ID, policy)).toEqual({
      kind: 'quiet',
      reason: `policy ${POLICY_ID} is disabled: all traffic is on primary ${PRIMARY_ID}`,
      disabled: policy,
    });
  });

  it('is quiet when the policy routes to no staging domain, or no longer exists', () => {
    const empty = policyState({ config: headerPolicyConfig({ StagingDistributionDnsNames: { Quantity: 0 } }) });
    expect(canaryOf(primaryState(), POLICY_ID, empty).kind).toBe('quiet');
    expect(canaryOf(primaryState(), POLICY_ID, undefined)).toMatchObject({
      kind: 'quiet',
      reason: expect.stringContaining('no longer exists'),
    });
  });

  it('is live when an enabled policy attached to the primary routes to a staging domain', () => {
    expect(canaryOf(primaryState(), POLICY_ID, policyState())).toEqual(live);
  });

  it('refuses a PrimaryDistributionId that names a staging distribution', () => {
    const staging = stagingState({ config: distributionConfig({ Staging: true, ContinuousDeploymentPolicyId: '' }) });
    expect(() => canaryOf(staging, undefined, undefined)).toThrow(StateCheckError);
  });
});

describe('watch: which staging is judged', () => {
  it('judges the staging the policy routes to', () => {
    const staging = stagingState();
    expect(watchedStaging(live, staging, PRIMARY_ID)).toEqual({ kind: 'watched', staging });
  });

  it('judges nothing when StagingDistributionId is not the staging the policy routes to', () => {
    const other = stagingState({ id: 'E9OTHER0000009', domainName: 'd999.cloudfront.net' });
    expect(watchedStaging(live, other, PRIMARY_ID)).toMatchObject({
      kind: 'not-watched',
      reason: expect.stringContaining('not to StagingDistributionId E9OTHER0000009'),
    });
  });

  it('judges nothing when no staging distribution has the policy domain', () => {
    expect(watchedStaging(live, undefined, PRIMARY_ID)).toMatchObject({
      kind: 'not-watched',
      reason: expect.stringContaining('no staging distribution has that domain'),
    });
  });

  it('refuses a StagingDistributionId that names a production distribution', () => {
    const prod = stagingState({ config: distributionConfig() });
    expect(() => watchedStaging(live, prod, PRIMARY_ID)).toThrow(/is not a staging distribution/);
  });
});

describe("watch: a live canary's health, by the gate's own evaluation and the alarms", () => {
  it('is healthy when staging served enough traffic under the thresholds', () => {
    const health = judge({ gate: gate(), figures: figures(150, 1.2), subject, alarms: [] });
    expect(health).toMatchObject({ verdict: 'healthy', breaches: [], gate: { kind: 'pass' } });
    expect(health.reason).toContain(`staging ${STAGING_ID} served 150 request(s), 5xx error rate 1.2%`);
  });

  it('judges no error rate before MinStagingRequests: not enough traffic yet, however bad the first requests', () => {
    const health = judge({ gate: gate(), figures: figures(20, 50), subject, alarms: [] });
    expect(health).toMatchObject({ verdict: 'not-enough-traffic', breaches: [], gate: { kind: 'wait' } });
    expect(health.reason).toContain('at least 100 request(s)');
  });

  it('is not enough traffic when staging served nothing at all', () => {
    expect(judge({ gate: gate(), figures: figures(0, undefined), subject, alarms: [] }).verdict).toBe(
      'not-enough-traffic',
    );
  });

  it('is unhealthy above MaxStaging5xxErrorRate, with the figures in the breach', () => {
    const health = judge({ gate: gate(), figures: figures(135, 7.4), subject, alarms: [] });
    expect(health.verdict).toBe('unhealthy');
    expect(health.gate?.kind).toBe('refuse');
    expect(health.breaches).toEqual([`staging ${STAGING_ID} 5xx 7.4 % > 5 % over 6 min (135 requests)`]);
  });

  it("is unhealthy above the primary's rate plus MaxErrorRateIncrease, naming that threshold alone", () => {
    const g = gate({ maxStaging5xxErrorRate: 10, maxErrorRateIncrease: 2 });
    const health = judge({ gate: g, figures: figures(200, 4.5, 1.25), subject, alarms: [] });
    expect(health.breaches).toEqual([
      `staging ${STAGING_ID} 5xx 4.5 % is 3.25 points above primary ${PRIMARY_ID}'s 1.25 % (> 2) over 6 min (200 requests)`,
    ]);
  });

  it('names both thresholds when both are broken', () => {
    const g = gate({ maxErrorRateIncrease: 1 });
    expect(judge({ gate: g, figures: figures(200, 9, 0), subject, alarms: [] }).breaches).toHaveLength(2);
  });

  it('does not call a rate equal to the threshold a breach (the gate rounds to 3 decimals)', () => {
    expect(judge({ gate: gate(), figures: figures(200, 5.0004), subject, alarms: [] }).verdict).toBe('healthy');
  });

  it('counts an alarm in ALARM as unhealthy whatever the traffic, and names its region', () => {
    const alarms = [
      { name: 'api-5xx', region: 'eu-west-1', state: 'ALARM' },
      { name: 'latency', region: undefined, state: 'OK' },
    ];
    const health = judge({ gate: gate(), figures: figures(3, 0), subject, alarms });
    expect(health.verdict).toBe('unhealthy');
    expect(health.breaches).toEqual(['alarm api-5xx (eu-west-1) in ALARM']);
  });

  it('judges alarms alone when no threshold is set', () => {
    const ok = judge({
      gate: undefined,
      figures: undefined,
      subject,
      alarms: [{ name: 'a', region: undefined, state: 'OK' }],
    });
    expect(ok).toMatchObject({ verdict: 'healthy', reason: expect.stringContaining('no alarm in ALARM (a)') });
    const insufficient = [{ name: 'a', region: undefined, state: 'INSUFFICIENT_DATA' }];
    expect(judge({ gate: undefined, figures: undefined, subject, alarms: insufficient }).verdict).toBe('healthy');
  });
});

const stageState = (status: string | undefined, token?: string): GetPipelineStateOutput => ({
  pipelineName: 'site',
  stageStates: [
    { stageName: 'Deploy', actionStates: [{ actionName: 'EnableCd' }] },
    {
      stageName: 'Approval',
      latestExecution: { pipelineExecutionId: 'exec-A', status: 'InProgress' },
      actionStates: [
        {
          actionName: 'ApproveStaging',
          ...(status ? { latestExecution: { status: status as 'InProgress', ...(token ? { token } : {}) } } : {}),
        },
      ],
    },
  ],
});
const target = { pipelineName: 'site', stageName: 'Approval', actionName: 'ApproveStaging' };

describe('watch: the pending approval', () => {
  it('is the InProgress execution of the approval action, with its token and pipeline execution', () => {
    expect(pendingApproval(stageState('InProgress', 'tok-1'), target)).toEqual({
      kind: 'pending',
      pipelineExecutionId: 'exec-A',
      token: 'tok-1',
    });
  });

  it('is none once the approval was answered, or before it ran', () => {
    expect(pendingApproval(stageState('Succeeded', 'tok-1'), target)).toMatchObject({
      kind: 'none',
      reason: expect.stringContaining('latest execution is Succeeded'),
    });
    expect(pendingApproval(stageState(undefined), target)).toMatchObject({ kind: 'none' });
  });

  it('names the stages or actions there are when the configured one does not exist', () => {
    expect(pendingApproval(stageState('InProgress', 't'), { ...target, stageName: 'Review' })).toMatchObject({
      kind: 'misconfigured',
      reason: expect.stringContaining('no stage Review (stages: Deploy, Approval); fix ApprovalStageName'),
    });
    expect(pendingApproval(stageState('InProgress', 't'), { ...target, actionName: 'Look' })).toMatchObject({
      kind: 'misconfigured',
      reason: expect.stringContaining('no action Look (actions: ApproveStaging); fix ApprovalActionName'),
    });
  });
});

const reviewed = (stagingEtag: string, stagingId = STAGING_ID) => ({
  pipelineName: 'site',
  executionId: 'exec-A',
  stagingId,
  stagingEtag,
});

describe("watch: the pending execution's release", () => {
  it('rejects only when the staging still carries the ETag the reviewer was shown', () => {
    const staging = stagingState({ etag: 'ES' });
    expect(decideRejection(reviewed('ES'), staging, 'exec-A')).toEqual({
      kind: 'reject',
    });
    expect(decideRejection(reviewed('ES-B'), staging, 'exec-A')).toMatchObject({
      kind: 'other-release',
      reason: expect.stringContaining('reviewed at ETag ES-B'),
    });
    expect(decideRejection(reviewed('ES', 'E9OTHER0000009'), staging, 'exec-A')).toMatchObject({
      kind: 'other-release',
    });
    expect(decideRejection(undefined, staging, 'exec-A')).toMatchObject({
      kind: 'release-unknown',
      reason: expect.stringContaining('left to the reviewer'),
    });
  });
});

describe('watch: a review pending while its canary is off', () => {
  const withRouting = (routed?: boolean) => ({
    pipelineName: 'p',
    executionId: 'exec-A',
    stagingId: STAGING_ID,
    stagingEtag: 'ES',
    ...(routed === undefined ? {} : { routed }),
  });

  it('is judged only when its enable-cd routed viewers to the staging', () => {
    expect(offCanaryReview(withRouting(true), 'exec-A')).toEqual({ kind: 'judge', release: withRouting(true) });
    expect(offCanaryReview(withRouting(false), 'exec-A')).toEqual({
      kind: 'leave',
      reason: `execution exec-A awaits review, but its enable-cd routed no viewer to staging ${STAGING_ID}: there is no canary to judge`,
    });
    // An enable-cd that reported no PolicyEnabled, or no release at all: nothing says a canary was ever live.
    expect(offCanaryReview(withRouting(), 'exec-A').kind).toBe('leave');
    expect(offCanaryReview(undefined, 'exec-A')).toMatchObject({
      kind: 'leave',
      reason: expect.stringContaining('reported no StagingETag'),
    });
  });
});

describe('watch: the rejection summary', () => {
  it('carries the figures and where traffic is now', () => {
    expect(
      rejectionSummary(
        [`staging ${STAGING_ID} 5xx 7.4 % > 5 % over 6 min`],
        `traffic moved back to primary ${PRIMARY_ID}`,
      ),
    ).toBe(
      `canary watch: staging ${STAGING_ID} 5xx 7.4 % > 5 % over 6 min; traffic moved back to primary ${PRIMARY_ID}`,
    );
  });

  it(`stays within ${SUMMARY_MAX_CHARS} characters, dropping whole breaches with a count first`, () => {
    const breaches = Array.from({ length: 20 }, (_, i) => `alarm ${'x'.repeat(40)}-${i} in ALARM`);
    const summary = rejectionSummary(breaches, 'traffic moved back to primary E1');
    expect(summary.length).toBeLessThanOrEqual(SUMMARY_MAX_CHARS);
    expect(summary).toMatch(/\(\+\d+ more, see the watch log\); traffic moved back to primary E1$/);
    const huge = rejectionSummary(['y'.repeat(600), 'alarm a in ALARM'], 'traffic moved back');
    expect(huge.length).toBe(SUMMARY_MAX_CHARS);
    expect(huge).toMatch(/^canary watch: y+…; \(\+1 more, see the watch log\); traffic moved back$/);
  });
});
