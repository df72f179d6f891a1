import {
  CloudFrontClient,
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  ListDistributionsCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import {
  CodePipelineClient,
  GetPipelineStateCommand,
  type GetPipelineStateOutput,
  ListActionExecutionsCommand,
  PutApprovalResultCommand,
} from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/watch/handler.js';
import { InputError } from '../../../../shared/domain/errors.js';
import { WatchRollbackError } from '../../../../functions/watch/tick.js';
import {
  POLICY_ID,
  PRIMARY_ID,
  STAGING_DOMAIN,
  STAGING_ID,
  awsError,
  captureLogs,
  headerPolicyConfig,
  policyOutput,
  primaryOutput,
  stagingOutput,
} from '../../fixtures.js';

const cf = mockClient(CloudFrontClient);
const cw = mockClient(CloudWatchClient);
const cp = mockClient(CodePipelineClient);
let logs: ReturnType<typeof captureLogs>;

const PIPELINE = 'site-pipeline';
const input = {
  PrimaryDistributionId: PRIMARY_ID,
  StagingDistributionId: STAGING_ID,
  PipelineName: PIPELINE,
  MaxStaging5xxErrorRate: 5,
  MinStagingRequests: 100,
};

/** One minute of traffic: [requests, 5xx percent]. */
type Minute = [number, number];
/** A GetMetricData answer for the queries the gate sends: d0 = staging, d1 = primary. */
function metrics(staging: Minute[], primary: Minute[] = [[1000, 0]]): GetMetricDataCommandOutput {
  const at = (i: number) => new Date(Date.UTC(2026, 10, 1, 12, i));
  const series = (id: string, points: Minute[], pick: 0 | 1) => ({
    Id: id,
    StatusCode: 'Complete' as const,
    Timestamps: points.map((_, i) => at(i)),
    Values: points.map((p) => p[pick]),
  });
  return {
    $metadata: {},
    MetricDataResults: [
      series('d0_requests', staging, 0),
      series('d0_e5', staging, 1),
      series('d1_requests', primary, 0),
      series('d1_e5', primary, 1),
    ],
  };
}

const pipelineState = (status = 'InProgress', execution = 'exec-A'): GetPipelineStateOutput => ({
  pipelineName: PIPELINE,
  stageStates: [
    {
      stageName: 'Approval',
      latestExecution: { pipelineExecutionId: execution, status: 'InProgress' },
      actionStates: [
        { actionName: 'ApproveStaging', latestExecution: { status: status as 'InProgress', token: 'token-A' } },
      ],
    },
  ],
});
/** enable-cd's outputs in the pending execution; `PolicyEnabled` says whether it routed viewers to staging. */
const release = (stagingEtag: string, policyEnabled = 'true') => ({
  actionExecutionDetails: [
    {
      actionName: 'EnableCd',
      startTime: new Date(),
      output: {
        outputVariables: { StagingDistributionId: STAGING_ID, StagingETag: stagingEtag, PolicyEnabled: policyEnabled },
      },
    },
  ],
});

/** The log lines of the tick, parsed. */
const lines = () => logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
const tickLine = () => {
  const ticks = lines().filter((l) => l.event === 'tick');
  expect(ticks).toHaveLength(1);
  return ticks[0] as Record<string, unknown>;
};
/** The pending approval (token-A) was rejected exactly once, with `summary`. */
const expectRejectedOnce = (summary: string) =>
  expect(cp).toHaveReceivedCommandExactlyOnceWith(PutApprovalResultCommand, {
    pipelineName: PIPELINE,
    stageName: 'Approval',
    actionName: 'ApproveStaging',
    token: 'token-A',
    result: { status: 'Rejected', summary },
  });
const expectNoWrites = () => {
  expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
  expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
  expect(cp).not.toHaveReceivedCommand(PutApprovalResultCommand);
};

beforeEach(() => {
  cf.reset();
  cw.reset();
  cp.reset();
  cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(POLICY_ID));
  cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(stagingOutput({ etag: 'ETAG-STAGING-A' }));
  cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput());
  cf.on(UpdateContinuousDeploymentPolicyCommand).resolves({ ETag: 'ETAG-POLICY-2' });
  cw.on(GetMetricDataCommand).resolves(metrics([[150, 1]]));
  cp.on(GetPipelineStateCommand).resolves(pipelineState());
  cp.on(ListActionExecutionsCommand).resolves(release('ETAG-STAGING-A'));
  cp.on(PutApprovalResultCommand).resolves({});
  logs = captureLogs();
});
afterEach(() => logs.restore());

describe('watch: a quiet tick (no canary live)', () => {
  it('reads only the primary when no policy is attached, and logs one line', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(''));
    await expect(handler(input)).resolves.toMatchObject({ decision: 'quiet', policyId: null });
    expect(cf).toHaveReceivedCommandTimes(GetDistributionCommand, 1);
    expect(cf).not.toHaveReceivedCommand(GetContinuousDeploymentPolicyCommand);
    expect(cw).not.toHaveReceivedAnyCommand();
    expect(cp).not.toHaveReceivedAnyCommand();
    expect(logs.lines).toHaveLength(1);
    expect(tickLine()).toMatchObject({ level: 'INFO', function: 'watch', decision: 'quiet' });
  });

  it('reads the primary, the policy and the pipeline state, nothing else, when the policy is disabled', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
    cp.on(GetPipelineStateCommand).resolves(pipelineState('Succeeded'));
    await expect(handler(input)).resolves.toMatchObject({
      decision: 'quiet',
      reason: `policy ${POLICY_ID} is disabled: all traffic is on primary ${PRIMARY_ID}; approval Approval/ApproveStaging of pipeline ${PIPELINE} is not waiting (its latest execution is Succeeded)`,
    });
    expect(cf.calls()).toHaveLength(2);
    expect(cw).not.toHaveReceivedAnyCommand();
    expect(cp.calls()).toHaveLength(1);
    expect(cp).toHaveReceivedCommandWith(GetPipelineStateCommand, { name: PIPELINE });
    expect(logs.lines).toHaveLength(1);
    expect(tickLine().level).toBe('INFO');
  });

  it('reads only the primary and the policy when the policy is disabled and there is no PipelineName', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
    const { PipelineName: _, ...withoutPipeline } = input;
    await expect(handler(withoutPipeline)).resolves.toMatchObject({
      decision: 'quiet',
      reason: `policy ${POLICY_ID} is disabled: all traffic is on primary ${PRIMARY_ID}`,
    });
    expect(cf.calls()).toHaveLength(2);
    expect(cw).not.toHaveReceivedAnyCommand();
    expect(cp).not.toHaveReceivedAnyCommand();
  });
});

// Chaos finding B: the watch disabled a failing canary, then its rejection failed beyond the SDK's retries (or ran
// into the deadline); Lambda's retry and every later tick found the policy disabled, called the tick quiet, and the
// approval waited for a person who could approve the broken release.
describe('watch: a review still pending after its canary was taken out of traffic', () => {
  beforeEach(() => {
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(
      policyOutput(headerPolicyConfig({ Enabled: false }), 'ETAG-POLICY-2'),
    );
  });

  it('rejects the approval on the next tick when the figures are still unhealthy, writing nothing to CloudFront', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[135, 7.4]]));
    await expect(handler(input)).resolves.toMatchObject({
      decision: 'unhealthy',
      stagingId: STAGING_ID,
      stagingEtag: 'ETAG-STAGING-A',
      figures: { StagingRequests: '135', Staging5xxErrorRate: '7.4' },
      rollback: {
        changes: [],
        nothingToDo: `policy ${POLICY_ID} is disabled: all traffic is on primary ${PRIMARY_ID}`,
      },
      rejection: { outcome: 'rejected', pipelineExecutionId: 'exec-A' },
    });
    expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expectRejectedOnce(
      expect.stringMatching(
        new RegExp(
          `^canary watch: staging ${STAGING_ID} 5xx 7\\.4 % > 5 % over \\d+ min \\(135 requests\\); policy ${POLICY_ID} is disabled: all traffic is on primary ${PRIMARY_ID}$`,
        ),
      ),
    );
    expect(tickLine()).toMatchObject({ level: 'WARN', decision: 'unhealthy' });
  });

  it('leaves the approval to its reviewer when the figures are healthy (a person disabled the policy)', async () => {
    await expect(handler(input)).resolves.toMatchObject({
      decision: 'quiet',
      reason: expect.stringContaining('execution exec-A is still under review with its canary off (staging'),
      figures: { StagingRequests: '150', Staging5xxErrorRate: '1' },
    });
    expectNoWrites();
  });

  it('judges nothing when enable-cd routed no viewer to the staging (it served what production serves)', async () => {
    cp.on(ListActionExecutionsCommand).resolves(release('ETAG-STAGING-A', 'false'));
    await expect(handler(input)).resolves.toMatchObject({
      decision: 'quiet',
      reason: expect.stringContaining(`its enable-cd routed no viewer to staging ${STAGING_ID}`),
    });
    expect(cw).not.toHaveReceivedAnyCommand();
    expectNoWrites();
  });

  it("leaves the approval alone when the staging is no longer the pending execution's config", async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[135, 7.4]]));
    cp.on(ListActionExecutionsCommand).resolves(release('ETAG-STAGING-OLDER'));
    await expect(handler(input)).resolves.toMatchObject({
      decision: 'quiet',
      reason: expect.stringContaining('reviewed at ETag ETAG-STAGING-OLDER'),
    });
    expect(cw).not.toHaveReceivedAnyCommand();
    expectNoWrites();
  });

  it('fails the invocation when the rejection fails again, so that Lambda retries and later ticks try again', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[135, 7.4]]));
    cp.on(PutApprovalResultCommand).rejects(awsError('ThrottlingException', 400));
    await expect(handler(input)).rejects.toThrow(WatchRollbackError);
    expect(tickLine()).toMatchObject({ level: 'ERROR', rejection: { outcome: 'failed' } });
    expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
  });

  it('warns, and resolves, when the pending approval cannot be looked up: the next tick looks again', async () => {
    cp.on(GetPipelineStateCommand).rejects(awsError('ThrottlingException', 400));
    await expect(handler(input)).resolves.toMatchObject({
      decision: 'quiet',
      approvalProblem: expect.stringContaining('ThrottlingException'),
    });
    expect(tickLine().level).toBe('WARN');
    expectNoWrites();
  });

  it('warns, and writes nothing, when the approval named in the input does not exist', async () => {
    await expect(handler({ ...input, ApprovalStageName: 'Review' })).resolves.toMatchObject({
      decision: 'quiet',
      approvalProblem: expect.stringContaining('no stage Review'),
    });
    expect(tickLine().level).toBe('WARN');
    expectNoWrites();
  });
});

describe('watch: a live canary', () => {
  it('leaves a healthy canary alone and logs the figures', async () => {
    await expect(handler(input)).resolves.toMatchObject({ decision: 'healthy' });
    expectNoWrites();
    expect(cp).not.toHaveReceivedAnyCommand();
    expect(logs.lines).toHaveLength(1);
    expect(tickLine()).toMatchObject({
      level: 'INFO',
      decision: 'healthy',
      stagingId: STAGING_ID,
      stagingEtag: 'ETAG-STAGING-A',
      figures: { StagingRequests: '150', Staging5xxErrorRate: '1', Primary5xxErrorRate: '0', PrimaryRequests: '1000' },
      thresholds: { MinStagingRequests: 100, MaxStaging5xxErrorRate: 5, MaxErrorRateIncrease: null, WindowMinutes: 15 },
      window: { start: expect.any(String), end: expect.any(String) },
    });
  });

  it("reads staging's traffic from no earlier than its last change", async () => {
    const changed = stagingOutput({ etag: 'ETAG-STAGING-A' });
    const lastChange = new Date(Date.now() - 3 * 60_000);
    (changed.Distribution as { LastModifiedTime: Date }).LastModifiedTime = lastChange;
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(changed);
    await handler(input);
    const start = cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input.StartTime as Date;
    expect(start.getTime()).toBe(Math.floor(lastChange.getTime() / 60_000) * 60_000);
  });

  it('judges nothing yet while staging has served fewer than MinStagingRequests, however bad', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[20, 50]]));
    await expect(handler(input)).resolves.toMatchObject({ decision: 'not-enough-traffic' });
    expectNoWrites();
  });

  it('disables a failing canary with If-Match, then rejects the approval of its release with the figures', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[135, 7.4]]));
    const summary = await handler(input);
    expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateContinuousDeploymentPolicyCommand, {
      Id: POLICY_ID,
      IfMatch: 'ETAG-POLICY-1',
      ContinuousDeploymentPolicyConfig: headerPolicyConfig({ Enabled: false }),
    });
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expect(cp).toHaveReceivedCommandWith(GetPipelineStateCommand, { name: PIPELINE });
    expect(cp).toHaveReceivedCommandWith(ListActionExecutionsCommand, {
      pipelineName: PIPELINE,
      filter: { pipelineExecutionId: 'exec-A' },
    });
    expectRejectedOnce(expect.stringMatching(/^canary watch: staging .* 5xx 7\.4 % > 5 % over \d+ min/));
    expect(summary).toMatchObject({
      decision: 'unhealthy',
      rollback: { changes: ['disable-policy'] },
      rejection: { outcome: 'rejected', pipelineExecutionId: 'exec-A' },
    });
    expect(tickLine()).toMatchObject({ level: 'WARN', decision: 'unhealthy' });
    // abort's own pass logs its plan and its write; the tick's line comes last.
    expect(lines().map((l) => l.event)).toEqual(['state-read', 'plan', 'write', 'tick']);
  });

  // Chaos finding D: the disable re-reads after a stale ETag; by then a newer release may have redeployed staging
  // and enabled the policy for its own canary, which this tick never judged.
  it('leaves alone a canary of a newer release that went live while the tick was disabling', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[135, 7.4]]));
    cf.on(GetDistributionCommand, { Id: STAGING_ID })
      .resolvesOnce(stagingOutput({ etag: 'ETAG-STAGING-A' }))
      .resolves(stagingOutput({ etag: 'ETAG-STAGING-B' }));
    await expect(handler(input)).resolves.toMatchObject({
      decision: 'unhealthy',
      stagingEtag: 'ETAG-STAGING-A',
      rollback: {
        changes: [],
        newerRelease: true,
        nothingToDo: expect.stringContaining(
          `staging ${STAGING_ID} now carries ETag ETAG-STAGING-B, not ETag ETAG-STAGING-A that was judged unhealthy`,
        ),
      },
      // The pending execution reviewed the config judged unhealthy: its approval is still rejected.
      rejection: { outcome: 'rejected' },
    });
    expect(cf).not.toHaveReceivedCommand(UpdateContinuousDeploymentPolicyCommand);
    expectRejectedOnce(expect.stringContaining("the canary live now is another release's"));
    expect(lines().map((l) => l.event)).toEqual(['state-read', 'newer-release-owns-staging', 'plan', 'tick']);
  });

  it('rejects only after the policy is disabled', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[135, 7.4]]));
    const order: string[] = [];
    cf.on(UpdateContinuousDeploymentPolicyCommand).callsFake(async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('disabled');
      return { ETag: 'ETAG-POLICY-2' };
    });
    cp.on(PutApprovalResultCommand).callsFake(async () => {
      order.push('rejected');
      return {};
    });
    await handler(input);
    expect(order).toEqual(['disabled', 'rejected']);
  });

  it('is safe when another tick overlaps: its disable wins (412, re-plan, nothing left) and its rejection too', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[135, 7.4]]));
    cf.on(GetContinuousDeploymentPolicyCommand)
      .resolvesOnce(policyOutput())
      .resolvesOnce(policyOutput())
      .resolves(policyOutput(headerPolicyConfig({ Enabled: false }), 'ETAG-POLICY-2'));
    cf.on(UpdateContinuousDeploymentPolicyCommand).rejects(awsError('PreconditionFailed', 412));
    cp.on(PutApprovalResultCommand).rejects(awsError('ApprovalAlreadyCompletedException', 400));
    await expect(handler(input)).resolves.toMatchObject({
      decision: 'unhealthy',
      rollback: { changes: [], nothingToDo: `policy ${POLICY_ID} is already disabled` },
      rejection: { outcome: 'already-answered', error: 'ApprovalAlreadyCompletedException' },
    });
    expect(cf).toHaveReceivedCommandTimes(UpdateContinuousDeploymentPolicyCommand, 1);
    expect(tickLine().level).toBe('WARN');
  });

  it('takes a superseded token (InvalidApprovalTokenException) as already answered', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[135, 7.4]]));
    cp.on(PutApprovalResultCommand).rejects(awsError('InvalidApprovalTokenException', 400));
    await expect(handler(input)).resolves.toMatchObject({ rejection: { outcome: 'already-answered' } });
  });

  it('disables, and rejects nothing, when the approval was already answered', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[135, 7.4]]));
    cp.on(GetPipelineStateCommand).resolves(pipelineState('Succeeded'));
    await expect(handler(input)).resolves.toMatchObject({
      rollback: { changes: ['disable-policy'] },
      rejection: { outcome: 'no-pending-approval' },
    });
    expect(cp).not.toHaveReceivedCommand(ListActionExecutionsCommand);
    expect(cp).not.toHaveReceivedCommand(PutApprovalResultCommand);
  });

  it("disables, and leaves the approval alone, when the pending execution is another release's", async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[135, 7.4]]));
    cp.on(ListActionExecutionsCommand).resolves(release('ETAG-STAGING-OLDER'));
    await expect(handler(input)).resolves.toMatchObject({
      rollback: { changes: ['disable-policy'] },
      rejection: { outcome: 'other-release', pipelineExecutionId: 'exec-A' },
    });
    expect(cp).not.toHaveReceivedCommand(PutApprovalResultCommand);
  });

  it('only disables without PipelineName: no CodePipeline call', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[135, 7.4]]));
    const { PipelineName: _, ...withoutPipeline } = input;
    await expect(handler(withoutPipeline)).resolves.toMatchObject({
      rollback: { changes: ['disable-policy'] },
      rejection: { outcome: 'not-configured' },
    });
    expect(cp).not.toHaveReceivedAnyCommand();
  });

  it('still rejects when the disable fails, saying so, and fails the invocation after logging the tick', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[135, 7.4]]));
    cf.on(UpdateContinuousDeploymentPolicyCommand).rejects(awsError('AccessDenied', 403));
    await expect(handler(input)).rejects.toThrow(WatchRollbackError);
    expect(cp).toHaveReceivedCommandWith(PutApprovalResultCommand, {
      result: {
        status: 'Rejected',
        summary: expect.stringContaining(
          `the watch could not disable policy ${POLICY_ID} (AccessDenied); the abort this rejection starts disables it`,
        ),
      },
    });
    expect(tickLine()).toMatchObject({ level: 'ERROR', rollback: { error: expect.stringContaining('AccessDenied') } });
    expect(lines().some((l) => l.event === 'tick-failed')).toBe(false);
  });

  it('fails the invocation when the approval stage is misnamed, after disabling', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[135, 7.4]]));
    await expect(handler({ ...input, ApprovalStageName: 'Review' })).rejects.toThrow(/no stage Review/);
    expect(cf).toHaveReceivedCommandTimes(UpdateContinuousDeploymentPolicyCommand, 1);
    expect(cp).not.toHaveReceivedCommand(PutApprovalResultCommand);
  });
});

describe('watch: alarms', () => {
  const alarmInput = {
    PrimaryDistributionId: PRIMARY_ID,
    StagingDistributionId: STAGING_ID,
    AlarmNames: 'site-errors,arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-latency',
  };

  it('reads each region once, metric and composite alarms, and counts one in ALARM as unhealthy', async () => {
    cw.on(DescribeAlarmsCommand, { AlarmNames: ['site-errors'] }).resolves({
      MetricAlarms: [{ AlarmName: 'site-errors', StateValue: 'OK' }],
    });
    cw.on(DescribeAlarmsCommand, { AlarmNames: ['checkout-latency'] }).resolves({
      CompositeAlarms: [{ AlarmName: 'checkout-latency', StateValue: 'ALARM', StateReason: 'p99 above 2 s' }],
    });
    await expect(handler(alarmInput)).resolves.toMatchObject({
      decision: 'unhealthy',
      reason: 'alarm checkout-latency (eu-west-1) in ALARM',
      rollback: { changes: ['disable-policy'] },
      alarms: [
        { name: 'site-errors', region: null, state: 'OK' },
        { name: 'checkout-latency', region: 'eu-west-1', state: 'ALARM' },
      ],
    });
    const calls = cw.commandCalls(DescribeAlarmsCommand);
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(call.args[0].input.AlarmTypes).toEqual(['MetricAlarm', 'CompositeAlarm']);
    const regions = await Promise.all(calls.map((c) => (c.thisValue as unknown as CloudWatchClient).config.region()));
    expect(regions.sort()).toEqual(['eu-west-1', 'us-east-1']);
    // No threshold: no metric read.
    expect(cw).not.toHaveReceivedCommand(GetMetricDataCommand);
  });

  it('warns about an alarm DescribeAlarms did not find, and judges the others', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'site-errors', StateValue: 'OK' }] });
    await expect(handler(alarmInput)).resolves.toMatchObject({
      decision: 'healthy',
      missingAlarms: ['checkout-latency'],
    });
    expect(tickLine().level).toBe('WARN');
    expectNoWrites();
  });

  it('follows DescribeAlarms pages', async () => {
    cw.on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'site-errors', StateValue: 'OK' }], NextToken: 'page-2' })
      .resolves({ MetricAlarms: [{ AlarmName: 'more', StateValue: 'ALARM' }] });
    await expect(
      handler({ PrimaryDistributionId: PRIMARY_ID, StagingDistributionId: STAGING_ID, AlarmNames: 'site-errors,more' }),
    ).resolves.toMatchObject({ decision: 'unhealthy' });
    expect(cw.commandCalls(DescribeAlarmsCommand)[1]?.args[0].input.NextToken).toBe('page-2');
  });
});

describe('watch: the staging, when StagingDistributionId is left out', () => {
  it('finds it by the policy domain (ListDistributions, all pages) once per container', async () => {
    cf.on(ListDistributionsCommand)
      .resolvesOnce({
        DistributionList: {
          Items: [{ Id: PRIMARY_ID, DomainName: 'd111.cloudfront.net', Staging: false }] as never,
          IsTruncated: true,
          NextMarker: 'page-2',
          Quantity: 1,
          MaxItems: 100,
          Marker: '',
        },
      })
      .resolves({
        DistributionList: {
          Items: [{ Id: STAGING_ID, DomainName: STAGING_DOMAIN, Staging: true }] as never,
          IsTruncated: false,
          Quantity: 1,
          MaxItems: 100,
          Marker: 'page-2',
        },
      });
    const { StagingDistributionId: _, ...discover } = input;
    await expect(handler(discover)).resolves.toMatchObject({ decision: 'healthy', stagingId: STAGING_ID });
    expect(cf).toHaveReceivedCommandTimes(ListDistributionsCommand, 2);
    expect(cf.commandCalls(ListDistributionsCommand)[1]?.args[0].input.Marker).toBe('page-2');

    cf.resetHistory();
    await expect(handler(discover)).resolves.toMatchObject({ stagingId: STAGING_ID });
    expect(cf).not.toHaveReceivedCommand(ListDistributionsCommand);
  });
});

describe('watch: bad input', () => {
  it('throws an error naming the field, makes no AWS call, and logs the error, not the input', async () => {
    const bad = { ...input, MaxStaging5xxErrorRate: 'lots' };
    await expect(handler(bad)).rejects.toThrow(
      new InputError('MaxStaging5xxErrorRate', 'must be a number, got "lots"', {
        function: 'watch',
        noun: 'input field',
      }),
    );
    expect(cf.calls()).toHaveLength(0);
    expect(cw.calls()).toHaveLength(0);
    expect(cp.calls()).toHaveLength(0);
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        event: 'tick-failed',
        error: expect.objectContaining({
          name: 'InputError',
          kind: 'input',
          message: expect.stringContaining('MaxStaging5xxErrorRate'),
          stack: expect.stringContaining('parseWatchParams'),
        }),
      }),
    ]);
    expect(logs.lines.join('')).not.toContain(PIPELINE);
  });

  it('fails a tick whose read fails, with the step and the AWS error', async () => {
    cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).rejects(awsError('AccessDenied', 403));
    await expect(handler(input)).rejects.toThrow(
      /step "read the primary": GetDistribution on distribution .* AccessDenied/,
    );
    expect(lines()).toEqual([expect.objectContaining({ level: 'ERROR', event: 'tick-failed' })]);
  });
});
