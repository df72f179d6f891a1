import {
  CloudFrontClient,
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  UpdateDistributionWithStagingConfigCommand,
} from '@aws-sdk/client-cloudfront';
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandOutput } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { acceptReports, codepipeline, expectInputErrorReport, onlyReport } from '../../codepipeline-mock.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/promote/handler.js';
import { decodeContinuation, encodeContinuation } from '../../../../shared/job/continuation.js';
import {
  POLICY_ID,
  PRIMARY_ID,
  STAGING_ID,
  acceptInvalidations,
  cachesInvalidatedSince,
  captureLogs,
  distributionConfig,
  jobEvent,
  policyOutput,
  primaryOutput,
  stagingOutput,
  weightPolicyConfig,
} from '../../fixtures.js';

const cf = mockClient(CloudFrontClient);
const cw = mockClient(CloudWatchClient);
let logs: ReturnType<typeof captureLogs>;

const ids = { PrimaryDistributionId: PRIMARY_ID, StagingDistributionId: STAGING_ID };
const promotedPrimaryConfig = distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, '/v2');

/** One minute of traffic: [requests, 5xx percent]. */
type Minute = [number, number];
/** A GetMetricData answer for the queries promote sends: d0 = staging, d1 = primary. */
function metrics(staging: Minute[], primary: Minute[] = []): GetMetricDataCommandOutput {
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

function nextInvocation() {
  cf.resetHistory();
  cw.resetHistory();
  codepipeline.resetHistory();
}
/** After a promotion: the primary carries the staging config and is Deployed. */
function primaryPromotedAndDeployed() {
  cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(
    primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG_PROMOTED', config: promotedPrimaryConfig }),
  );
}

beforeEach(() => {
  cf.reset();
  cw.reset();
  acceptReports();
  cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(POLICY_ID, { etag: 'PRIMARY_ETAG' }));
  cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(stagingOutput({ etag: 'STAGING_ETAG' }));
  cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput());
  cf.on(UpdateDistributionWithStagingConfigCommand).resolves({ ETag: 'PRIMARY_ETAG_PROMOTED' });
  cachesInvalidatedSince(cf, PRIMARY_ID, 'PRIMARY_ETAG_PROMOTED');
  acceptInvalidations(cf);
  logs = captureLogs();
});
afterEach(() => logs.restore());

describe('promote: the promotion gate', () => {
  it('makes no CloudWatch call when no gate parameter is set (even with MetricsWindowMinutes), and promotes as before', async () => {
    await handler(jobEvent({ ...ids, MetricsWindowMinutes: 30 }));
    expect(cw).not.toHaveReceivedAnyCommand();
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionWithStagingConfigCommand, 1);
  });

  it('reads the metrics beside the policy, not after it, once primary and staging show a promotion is coming', async () => {
    const order: string[] = [];
    cf.on(GetContinuousDeploymentPolicyCommand).callsFake(async () => {
      order.push('policy read started');
      await new Promise((r) => setTimeout(r, 25));
      order.push('policy read ended');
      return policyOutput();
    });
    cw.on(GetMetricDataCommand).callsFake(() => {
      order.push('metrics read');
      return metrics([[100, 0]]);
    });
    await handler(jobEvent({ ...ids, MinStagingRequests: 10 }));
    expect(order).toHaveLength(3);
    expect(order.indexOf('metrics read')).toBeLessThan(order.indexOf('policy read ended'));
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionWithStagingConfigCommand, 1);
  });

  it('drops an early metrics read that failed when the policy check refuses anyway, reporting the policy problem', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(
      policyOutput(
        weightPolicyConfig({ StagingDistributionDnsNames: { Quantity: 1, Items: ['dother.cloudfront.net'] } }),
      ),
    );
    cw.on(GetMetricDataCommand).rejects(new Error('CloudWatch is down'));
    await handler(jobEvent({ ...ids, MinStagingRequests: 10 }));
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringContaining('not to staging'),
    });
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionWithStagingConfigCommand);
  });

  it('counts only traffic since the staging config last changed, not what the previous release served', async () => {
    const changed = new Date(Date.now() - 5 * 60_000);
    const stagingChanged = stagingOutput({ etag: 'STAGING_ETAG' });
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves({
      ...stagingChanged,
      Distribution: { ...stagingChanged.Distribution!, LastModifiedTime: changed },
    });
    cw.on(GetMetricDataCommand).resolves(metrics([[100, 0]]));
    await handler(jobEvent({ ...ids, MinStagingRequests: 10, MetricsWindowMinutes: 60 }));
    const start = cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input.StartTime as Date;
    expect(start.getTime()).toBe(Math.floor(changed.getTime() / 60_000) * 60_000);
    const gateLine = logs.lines
      .map((l) => JSON.parse(l) as { event: string; MetricsWindowMinutes?: string })
      .find((l) => l.event === 'gate');
    expect(gateLine?.MetricsWindowMinutes).toMatch(/^[67]$/);
  });

  it('promotes after enough healthy staging traffic, in one GetMetricData call, and reports the figures on success', async () => {
    cw.on(GetMetricDataCommand).resolves(
      metrics(
        [
          [60, 0],
          [40, 0],
        ],
        [
          [900, 0.5],
          [100, 0.5],
        ],
      ),
    );
    await handler(
      jobEvent({
        ...ids,
        MinStagingRequests: 100,
        MaxStaging5xxErrorRate: 1,
        MaxErrorRateIncrease: 0.5,
        MetricsWindowMinutes: 20,
      }),
    );
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    const input = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.EndTime!.getTime() - input.StartTime!.getTime()).toBe(20 * 60_000);
    expect(
      input.MetricDataQueries?.map(
        (q) =>
          `${q.MetricStat?.Metric?.Dimensions?.[0]?.Value} ${q.MetricStat?.Metric?.MetricName} ${q.MetricStat?.Stat}`,
      ),
    ).toEqual([
      `${STAGING_ID} Requests Sum`,
      `${STAGING_ID} 5xxErrorRate Average`,
      `${PRIMARY_ID} Requests Sum`,
      `${PRIMARY_ID} 5xxErrorRate Average`,
    ]);
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: expect.arrayContaining([
        expect.objectContaining({
          MetricStat: {
            Metric: {
              Namespace: 'AWS/CloudFront',
              MetricName: 'Requests',
              Dimensions: [
                { Name: 'DistributionId', Value: STAGING_ID },
                { Name: 'Region', Value: 'Global' },
              ],
            },
            Period: 60,
            Stat: 'Sum',
          },
        }),
      ]),
    });
    expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateDistributionWithStagingConfigCommand, {
      Id: PRIMARY_ID,
      StagingDistributionId: STAGING_ID,
      IfMatch: 'PRIMARY_ETAG, STAGING_ETAG',
    });
    const promoted = onlyReport().continuationToken as string;
    expect(decodeContinuation(promoted).phase).toBe('promoted');

    nextInvocation();
    primaryPromotedAndDeployed();
    await handler(jobEvent({ ...ids, MinStagingRequests: 100 }, promoted));
    expect(cw).not.toHaveReceivedAnyCommand();
    expect(onlyReport().outputVariables).toMatchObject({
      StagingRequests: '100',
      Staging5xxErrorRate: '0',
      Primary5xxErrorRate: '0.5',
      MetricsWindowMinutes: '20',
      PromotedFrom: STAGING_ID,
    });
  });

  it('reads only the staging metrics when only MinStagingRequests is set', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[5, 0]]));
    await handler(jobEvent({ ...ids, MinStagingRequests: 5 }));
    const queries = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries ?? [];
    expect(queries.every((q) => q.MetricStat?.Metric?.Dimensions?.[0]?.Value === STAGING_ID)).toBe(true);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionWithStagingConfigCommand, 1);
  });

  it('waits in phase "gathering-traffic" with too little staging traffic, then promotes once it arrives', async () => {
    const params = { ...ids, MinStagingRequests: 50 };
    cw.on(GetMetricDataCommand).resolves(metrics([[3, 0]]));
    await handler(jobEvent(params));
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionWithStagingConfigCommand);
    const first = decodeContinuation(onlyReport().continuationToken as string);
    expect(first.phase).toBe('gathering-traffic');
    const waiting = logs.lines.map((l) => JSON.parse(l)).find((e) => e.event === 'gate');
    expect(waiting).toMatchObject({ decision: 'wait', StagingRequests: '3' });

    nextInvocation();
    cw.on(GetMetricDataCommand).resolves(
      metrics([
        [3, 0],
        [60, 0],
      ]),
    );
    await handler(jobEvent(params, encodeContinuation(first)));
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionWithStagingConfigCommand, 1);
    const second = decodeContinuation(onlyReport().continuationToken as string);
    expect(second).toMatchObject({ phase: 'promoted', startedAt: first.startedAt, data: { StagingRequests: '63' } });
  });

  it('fails once MaxWaitMinutes has passed without enough traffic, with the figures and the likely causes', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(weightPolicyConfig()));
    cw.on(GetMetricDataCommand).resolves(metrics([[4, 0]], [[800, 0]]));
    const token = encodeContinuation({ phase: 'gathering-traffic', startedAt: Date.now() - 31 * 60_000 });
    await handler(jobEvent({ ...ids, MinStagingRequests: 50, MaxStaging5xxErrorRate: 2, MaxWaitMinutes: 30 }, token));
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionWithStagingConfigCommand);
    const failure = onlyReport().failureDetails;
    expect(failure?.type).toBe('JobFailed');
    expect(failure?.message).toContain('MaxWaitMinutes=30');
    expect(failure?.message).toContain(`staging ${STAGING_ID} served 4 request(s)`);
    expect(failure?.message).toContain(`primary ${PRIMARY_ID} served 800 request(s)`);
    expect(failure?.message).toContain('weighted routing (10% of viewers) can take about 10 minutes to start');
    expect(failure?.message).toContain('peak load');
    expect(failure?.message).toContain('the staging id may be wrong');
  });

  it('refuses at once, without promoting, when staging 5xx errors are above MaxStaging5xxErrorRate', async () => {
    cw.on(GetMetricDataCommand).resolves(
      metrics(
        [
          [100, 0],
          [100, 10],
        ],
        [[1000, 0.1]],
      ),
    );
    await handler(jobEvent({ ...ids, MinStagingRequests: 100, MaxStaging5xxErrorRate: 1 }));
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionWithStagingConfigCommand);
    const failure = onlyReport().failureDetails;
    expect(failure).toEqual({
      type: 'JobFailed',
      message: expect.stringContaining("staging's 5xx error rate 5% is above MaxStaging5xxErrorRate 1%"),
    });
    expect(failure?.message).toContain(`primary ${PRIMARY_ID} served 1000 request(s), 5xx error rate 0.1%`);
    expect(failure?.message).toContain('run the abort action');
    expect(logs.lines.map((l) => JSON.parse(l)).find((e) => e.event === 'gate')).toMatchObject({
      decision: 'refuse',
      Staging5xxErrorRate: '5',
      Primary5xxErrorRate: '0.1',
    });
  });

  it('refuses staging that is worse than the primary by more than MaxErrorRateIncrease', async () => {
    cw.on(GetMetricDataCommand).resolves(metrics([[200, 3]], [[2000, 1]]));
    await handler(jobEvent({ ...ids, MaxStaging5xxErrorRate: 5, MaxErrorRateIncrease: 1 }));
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionWithStagingConfigCommand);
    expect(onlyReport().failureDetails?.message).toContain(
      "exceeds the primary's 1% by 2 percentage point(s), more than MaxErrorRateIncrease 1",
    );
  });

  it('runs no gate for a primary that already carries the staging config', async () => {
    primaryPromotedAndDeployed();
    await handler(jobEvent({ ...ids, MinStagingRequests: 1_000_000 }));
    expect(cw).not.toHaveReceivedAnyCommand();
    expect(onlyReport().outputVariables).not.toHaveProperty('StagingRequests');
  });

  it('runs no gate while either distribution is InProgress', async () => {
    cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(stagingOutput({ status: 'InProgress' }));
    await handler(jobEvent({ ...ids, MinStagingRequests: 1 }));
    expect(cw).not.toHaveReceivedAnyCommand();
    expect(decodeContinuation(onlyReport().continuationToken as string).phase).toBe('waiting-to-promote');
  });

  it('reports a CloudWatch error as JobFailed naming the step, without promoting', async () => {
    cw.on(GetMetricDataCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: cloudwatch:GetMetricData'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    await handler(jobEvent({ ...ids, MinStagingRequests: 1 }));
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionWithStagingConfigCommand);
    expect(onlyReport().failureDetails?.message).toMatch(
      /read staging traffic from CloudWatch.*GetMetricData .* failed: AccessDenied \(HTTP 403\)/,
    );
  });

  it.each([
    ['a fractional request count', { MinStagingRequests: 1.5 }, 'MinStagingRequests'],
    ['a zero request count', { MinStagingRequests: 0 }, 'MinStagingRequests'],
    ['a non-numeric request count', { MinStagingRequests: 'many' }, 'MinStagingRequests'],
    ['an error rate above 100%', { MaxStaging5xxErrorRate: 101 }, 'MaxStaging5xxErrorRate'],
    ['a negative error rate', { MaxStaging5xxErrorRate: -1 }, 'MaxStaging5xxErrorRate'],
    ['an error-rate increase as a boolean', { MaxErrorRateIncrease: true }, 'MaxErrorRateIncrease'],
    [
      'a window longer than CloudWatch keeps 1-minute data (15 days)',
      { MinStagingRequests: 1, MetricsWindowMinutes: 21_601 },
      'MetricsWindowMinutes',
    ],
    ['a window of 0 minutes', { MinStagingRequests: 1, MetricsWindowMinutes: 0 }, 'MetricsWindowMinutes'],
  ])('reports %s as InputError naming the field, with no AWS call', async (_, gate, field) => {
    await handler(jobEvent({ ...ids, ...gate }));
    expectInputErrorReport(field);
    expect(cf).not.toHaveReceivedAnyCommand();
    expect(cw).not.toHaveReceivedAnyCommand();
  });

  it('treats empty gate parameters (the pipeline template passes "" for unset ones) as absent', async () => {
    await handler(
      jobEvent({
        ...ids,
        MinStagingRequests: '',
        MaxStaging5xxErrorRate: '',
        MaxErrorRateIncrease: '',
        MetricsWindowMinutes: '15',
      }),
    );
    expect(cw).not.toHaveReceivedAnyCommand();
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionWithStagingConfigCommand, 1);
  });
});
