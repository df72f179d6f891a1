/**
 * The canary watch end to end: the built watch bundle ticks against the emulator, whose data plane serves the
 * viewers (a failing release answers 5xx for a share of them), whose CloudWatch derives staging's figures from them,
 * and whose CodePipeline holds the pending approval the local runner would register. Header routing makes the
 * staging traffic exact. The emulator has no CloudWatch alarms: a small proxy in front of it (alarm-proxy.ts) answers
 * DescribeAlarms and passes every other request on, optionally after a hook (the newer-release test changes staging
 * between two reads of one tick).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRun, PipelineRun } from '../../local/emulator/pipelines.js';
import { LocalLambda, type InvocationResult } from '../../local/pipeline/lambda.js';
import { headerTemplate } from '../../local/pipeline/staging-stack.js';
import type { StagingIds } from '../../local/pipeline/site.js';
import type { TickSummary } from '../../functions/watch/tick.js';
import { type EmulatorProxy, startEmulatorProxy } from './alarm-proxy.js';
import { HEADER_TEMPLATE, operations, startHarness, type Harness } from './harness.js';

const HEADER = { 'aws-cf-cd-staging': 'true' };
const PIPELINE = 'site-release';

let h: Harness;
const extra: LocalLambda[] = [];
const proxies: EmulatorProxy[] = [];

beforeEach(async () => {
  h = await startHarness();
  h.emulator.pipelines.define({
    name: PIPELINE,
    stages: [
      {
        name: 'Deploy',
        actions: [
          { name: 'EnableCd', kind: 'invoke', namespace: 'EnableCd', configuration: { FunctionName: 'enable-cd' } },
        ],
      },
      { name: 'Approval', actions: [{ name: 'ApproveStaging', kind: 'approval' }] },
    ],
  });
  h.emulator.clearRequestLog();
});
afterEach(async () => {
  await Promise.all(extra.splice(0).map((l) => l.stop()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await h.close();
});

/** A release waiting for its reviewer: staging deployed, enable-cd run in a pipeline execution, approval pending. */
interface PendingRelease {
  outputs: StagingIds;
  run: PipelineRun;
  approval: ApprovalRun;
  variables: Record<string, string>;
}

async function releaseAwaitingApproval(template = HEADER_TEMPLATE): Promise<PendingRelease> {
  const outputs = await h.deployStaging(template);
  const run = h.emulator.pipelines.startExecution(PIPELINE);
  const enabled = await h.job('enable-cd', h.enableCdParams(outputs));
  if (!enabled.ok) throw new Error(`enable-cd failed: ${enabled.message}`);
  // What CodePipeline records when enable-cd reports success: its output variables, the release's identity.
  run.startAction('Deploy', 'EnableCd').succeed({ outputVariables: enabled.variables });
  const approval = run.startApproval('Approval', 'ApproveStaging');
  h.emulator.clearRequestLog();
  return { outputs, run, approval, variables: enabled.variables };
}

async function viewers(n: number, headers?: Record<string, string>): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) seen.push(await h.viewer(headers));
  return seen;
}

const watchInput = (extraInput: Record<string, unknown> = {}) => ({
  PrimaryDistributionId: h.site.primaryId,
  PipelineName: PIPELINE,
  MaxStaging5xxErrorRate: 5,
  MinStagingRequests: 20,
  ...extraInput,
});

/** One tick of the built bundle, as the EventBridge schedule makes it. */
async function tick(input: unknown, lambda = h.lambdas.watch as LocalLambda): Promise<InvocationResult> {
  return lambda.invoke(input);
}
const summaryOf = (r: InvocationResult) => {
  expect(r.error).toBeUndefined();
  return r.result as TickSummary;
};

const WRITES = [
  'UpdateContinuousDeploymentPolicy',
  'UpdateDistribution',
  'UpdateDistributionWithStagingConfig',
  'PutApprovalResult',
];
const writes = () => operations(h.emulator).filter((op) => WRITES.includes(op));
/** Requests of `operation` the emulator accepted (a stale ETag's 412 or an answered token's 400 is not counted). */
const accepted = (operation: string) =>
  h.emulator.requestLog().filter((r) => r.operation === operation && r.status < 300).length;

describe('the canary watch (built bundle against the emulator)', () => {
  it('makes a quiet tick with no canary live: no write, at most three reads, one log line', async () => {
    const none = await tick(watchInput());
    expect(summaryOf(none)).toMatchObject({ decision: 'quiet', policyId: null });
    expect(operations(h.emulator)).toEqual(['GetDistribution']);
    expect(none.logs).toHaveLength(1);

    // The steady state after a release: the policy stays attached, disabled, and no approval waits.
    const { outputs, approval } = await releaseAwaitingApproval();
    expect(approval.answer('Rejected', 'by the reviewer')).toBe(true);
    const aborted = await h.lambdas.abort!.invoke({ PrimaryDistributionId: h.site.primaryId, Mode: 'disable' });
    expect(aborted.ok).toBe(true);
    h.emulator.clearRequestLog();
    const disabled = await tick(watchInput({ StagingDistributionId: outputs.StagingDistributionId }));
    expect(summaryOf(disabled)).toMatchObject({
      decision: 'quiet',
      reason: expect.stringMatching(
        `^policy ${outputs.ContinuousDeploymentPolicyId} is disabled: all traffic is on primary ${h.site.primaryId}; approval Approval/ApproveStaging of pipeline ${PIPELINE} is not waiting`,
      ),
    });
    expect(operations(h.emulator)).toEqual(['GetDistribution', 'GetContinuousDeploymentPolicy', 'GetPipelineState']);
    expect(disabled.logs).toEqual([expect.objectContaining({ event: 'tick', decision: 'quiet' })]);
  });

  it('leaves a healthy canary alone, finding the staging by the policy domain', async () => {
    const { outputs, approval } = await releaseAwaitingApproval();
    await viewers(25, HEADER);
    await viewers(10);
    const r = await tick(watchInput());
    expect(summaryOf(r)).toMatchObject({
      decision: 'healthy',
      stagingId: outputs.StagingDistributionId,
      figures: { StagingRequests: '25', Staging5xxErrorRate: '0', Primary5xxErrorRate: '0', PrimaryRequests: '10' },
    });
    expect(operations(h.emulator)).toContain('ListDistributions');
    expect(writes()).toEqual([]);
    expect(await h.policyEnabled(outputs.ContinuousDeploymentPolicyId)).toBe(true);
    expect(approval.answer('Approved')).toBe(true);
  });

  it('judges nothing yet while staging has served too few requests, however bad', async () => {
    const { outputs } = await releaseAwaitingApproval();
    h.emulator.setReleaseFailure(HEADER_TEMPLATE.originPath, 1);
    expect(await viewers(5, HEADER)).toEqual(Array(5).fill('HTTP 500'));
    const r = await tick(watchInput({ StagingDistributionId: outputs.StagingDistributionId }));
    expect(summaryOf(r)).toMatchObject({
      decision: 'not-enough-traffic',
      reason: expect.stringContaining('at least 20 request(s)'),
      figures: { StagingRequests: '5', Staging5xxErrorRate: '100' },
    });
    expect(writes()).toEqual([]);
    expect(await h.policyEnabled(outputs.ContinuousDeploymentPolicyId)).toBe(true);
  });

  it('disables a failing canary and rejects its approval exactly once across overlapping ticks; abort then finds nothing to do', async () => {
    const { outputs, approval } = await releaseAwaitingApproval();
    const stagingId = outputs.StagingDistributionId;
    // The release under review fails: half the requests served from its origin path answer 5xx.
    h.emulator.setReleaseFailure(HEADER_TEMPLATE.originPath, 0.5);
    const seen = await viewers(40, HEADER);
    const failed = seen.filter((v) => v === 'HTTP 500').length;
    expect(failed).toBeGreaterThan(2);

    // Two containers tick at once, each one invocation at a time, like two overlapping scheduled invocations.
    const second = await LocalLambda.start('watch', h.emulator.env);
    extra.push(second);
    h.emulator.setLatencyMs(20);
    const input = watchInput({ StagingDistributionId: stagingId });
    const ticks = await Promise.all([tick(input), tick(input, second)]);
    const summaries = ticks.map(summaryOf);

    expect(accepted('UpdateContinuousDeploymentPolicy')).toBe(1);
    expect(accepted('PutApprovalResult')).toBe(1);
    expect(await h.policyEnabled(outputs.ContinuousDeploymentPolicyId)).toBe(false);
    expect(await h.viewer(HEADER)).toBe('v1');
    const rejected = summaries.filter((s) => s.rejection?.outcome === 'rejected');
    expect(rejected).toHaveLength(1);
    // The other tick either came late (quiet) or raced and found the approval answered.
    for (const other of summaries.filter((s) => s.rejection?.outcome !== 'rejected')) {
      expect(other.decision === 'quiet' || other.rejection?.outcome === 'already-answered').toBe(true);
    }

    const outcome = await approval.result;
    expect(outcome).toMatchObject({ status: 'Rejected', answeredBy: 'PutApprovalResult' });
    const rate = Math.round((100_000 * failed) / 40) / 1000;
    expect(outcome.status === 'Rejected' && outcome.summary).toMatch(
      new RegExp(
        `^canary watch: staging ${stagingId} 5xx ${String(rate).replace('.', '\\.')} % > 5 % over [12] min \\(40 requests\\); traffic moved back to primary ${h.site.primaryId}$`,
      ),
    );

    // The rejection fires the abort rule: abort finds nothing left to do.
    const abort = await h.lambdas.abort!.invoke({ PrimaryDistributionId: h.site.primaryId, Mode: 'disable' });
    expect(abort.result).toMatchObject({ outcome: 'no-op', summary: expect.stringContaining('already disabled') });
    h.emulator.clearRequestLog();
    expect(summaryOf(await tick(input))).toMatchObject({ decision: 'quiet' });
    expect(writes()).toEqual([]);
  });

  // Chaos finding B: the disable succeeded, the rejection failed beyond the SDK's retries, and every later tick
  // found the policy disabled and called itself quiet: the broken release's approval waited for a person.
  it('rejects on the next tick when its rejection failed after the disable, without writing to CloudFront again', async () => {
    const { outputs, approval } = await releaseAwaitingApproval();
    const stagingId = outputs.StagingDistributionId;
    h.emulator.setReleaseFailure(HEADER_TEMPLATE.originPath, 1);
    await viewers(25, HEADER);
    const input = watchInput({ StagingDistributionId: stagingId });
    // Five 500s: the SDK's five attempts of PutApprovalResult all fail.
    h.emulator.injectFault({ operation: 'PutApprovalResult', error: 'InternalError', times: 5 });

    const first = await tick(input);
    expect(first.error).toMatchObject({
      name: 'WatchRollbackError',
      message: expect.stringContaining('rejecting the pending approval failed'),
    });
    expect(await h.policyEnabled(outputs.ContinuousDeploymentPolicyId)).toBe(false);

    const second = await tick(input);
    expect(summaryOf(second)).toMatchObject({
      decision: 'unhealthy',
      rollback: { changes: [], nothingToDo: expect.stringContaining('is disabled') },
      rejection: { outcome: 'rejected', pipelineExecutionId: expect.any(String) },
    });
    expect(accepted('UpdateContinuousDeploymentPolicy')).toBe(1);
    expect(accepted('PutApprovalResult')).toBe(1);
    expect(await approval.result).toMatchObject({
      status: 'Rejected',
      summary: expect.stringMatching(
        `^canary watch: staging ${stagingId} 5xx 100 % > 5 % over [12] min \\(25 requests\\); policy ${outputs.ContinuousDeploymentPolicyId} is disabled: all traffic is on primary ${h.site.primaryId}$`,
      ),
    });

    // Answered: the next tick is quiet again and writes nothing.
    h.emulator.clearRequestLog();
    expect(summaryOf(await tick(input))).toMatchObject({ decision: 'quiet' });
    expect(writes()).toEqual([]);
  });

  it('leaves a pending approval to its reviewer when a person disabled a healthy canary', async () => {
    const { outputs, approval } = await releaseAwaitingApproval();
    await viewers(25, HEADER);
    const aborted = await h.lambdas.abort!.invoke({ PrimaryDistributionId: h.site.primaryId, Mode: 'disable' });
    expect(aborted.ok).toBe(true);
    h.emulator.clearRequestLog();
    expect(summaryOf(await tick(watchInput()))).toMatchObject({
      decision: 'quiet',
      stagingId: outputs.StagingDistributionId,
      reason: expect.stringContaining('is still under review with its canary off'),
      figures: { StagingRequests: '25', Staging5xxErrorRate: '0' },
    });
    expect(writes()).toEqual([]);
    expect(approval.answer('Approved')).toBe(true);
  });

  it("disables a failing canary of a newer release but leaves the older release's pending approval alone", async () => {
    const older = await releaseAwaitingApproval();
    // A newer release's Deploy changes staging while the older execution waits for its reviewer.
    const newer = await h.deployStaging(headerTemplate('/v3'));
    expect(newer.StagingDistributionId).toBe(older.outputs.StagingDistributionId);
    const enabled = await h.job('enable-cd', h.enableCdParams(newer));
    expect(enabled.ok).toBe(true);
    h.emulator.setReleaseFailure('/v3', 1);
    await viewers(25, HEADER);
    h.emulator.clearRequestLog();

    const r = await tick(watchInput({ StagingDistributionId: newer.StagingDistributionId }));
    expect(summaryOf(r)).toMatchObject({
      decision: 'unhealthy',
      rollback: { changes: ['disable-policy'] },
      rejection: {
        outcome: 'other-release',
        pipelineExecutionId: older.run.pipelineExecutionId,
        reason: expect.stringContaining(`reviewed at ETag ${older.variables.StagingETag}`),
      },
    });
    expect(operations(h.emulator)).not.toContain('PutApprovalResult');
    expect(await h.policyEnabled(newer.ContinuousDeploymentPolicyId)).toBe(false);
    expect(older.approval.answer('Rejected', 'by the reviewer')).toBe(true);
  });

  // Chaos finding D: the tick's disable re-reads (and, after a stale ETag, re-plans) a while after its verdict; by
  // then a newer release may have redeployed staging. Here the newer Deploy lands between the verdict's read of
  // staging and the disable's.
  it('leaves alone a canary that a newer release deployed while the tick was disabling', async () => {
    const { outputs, approval, variables } = await releaseAwaitingApproval();
    const stagingId = outputs.StagingDistributionId;
    const judgedEtag = variables.StagingETag as string;
    h.emulator.setReleaseFailure(HEADER_TEMPLATE.originPath, 1);
    await viewers(25, HEADER);
    let stagingReads = 0;
    const proxy = await startEmulatorProxy(h.emulator.url, async (method, path) => {
      if (method === 'GET' && path.endsWith(`/distribution/${stagingId}`) && ++stagingReads === 2) {
        await h.deployStaging(headerTemplate('/v3'));
      }
    });
    proxies.push(proxy);
    const watch = await LocalLambda.start('watch', { ...h.emulator.env, AWS_ENDPOINT_URL_CLOUDFRONT: proxy.url });
    extra.push(watch);
    h.emulator.clearRequestLog();

    const r = await tick(watchInput({ StagingDistributionId: stagingId }), watch);
    expect(stagingReads).toBe(2);
    expect(summaryOf(r)).toMatchObject({
      decision: 'unhealthy',
      stagingEtag: judgedEtag,
      rollback: {
        changes: [],
        newerRelease: true,
        nothingToDo: expect.stringContaining(`not ETag ${judgedEtag} that was judged unhealthy`),
      },
      rejection: { outcome: 'rejected' },
    });
    expect(accepted('UpdateContinuousDeploymentPolicy')).toBe(0);
    expect(await h.policyEnabled(outputs.ContinuousDeploymentPolicyId)).toBe(true);
    // The release judged unhealthy is still rejected; its summary says where traffic is.
    expect(await approval.result).toMatchObject({
      status: 'Rejected',
      summary: expect.stringContaining("the canary live now is another release's"),
    });
  });

  it('counts an alarm in ALARM, read in the region of its ARN', async () => {
    const proxy = await startEmulatorProxy(h.emulator.url);
    proxies.push(proxy);
    const watch = await LocalLambda.start('watch', { ...h.emulator.env, AWS_ENDPOINT_URL_CLOUDWATCH: proxy.url });
    extra.push(watch);
    const { outputs, approval } = await releaseAwaitingApproval();
    const input = {
      PrimaryDistributionId: h.site.primaryId,
      StagingDistributionId: outputs.StagingDistributionId,
      PipelineName: PIPELINE,
      AlarmNames: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-errors',
    };

    proxy.alarms.set('checkout-errors', 'OK');
    expect(summaryOf(await tick(input, watch))).toMatchObject({
      decision: 'healthy',
      alarms: [{ name: 'checkout-errors', region: 'eu-west-1', state: 'OK' }],
    });
    expect(writes()).toEqual([]);

    proxy.alarms.set('checkout-errors', 'ALARM');
    expect(summaryOf(await tick(input, watch))).toMatchObject({
      decision: 'unhealthy',
      reason: 'alarm checkout-errors (eu-west-1) in ALARM',
      rollback: { changes: ['disable-policy'] },
      rejection: { outcome: 'rejected' },
    });
    expect(proxy.describeAlarmsRegions).toEqual(['eu-west-1', 'eu-west-1']);
    // No threshold: no metric read.
    expect(operations(h.emulator)).not.toContain('GetMetricData');
    expect(await approval.result).toMatchObject({
      status: 'Rejected',
      summary: `canary watch: alarm checkout-errors (eu-west-1) in ALARM; traffic moved back to primary ${h.site.primaryId}`,
    });
  });

  it('refuses bad input with an error naming the field, before any AWS call', async () => {
    await releaseAwaitingApproval();
    const cases: [unknown, RegExp][] = [
      [
        { ...watchInput(), MaxStaging5xxErrorRate: 'high' },
        /^watch: input field MaxStaging5xxErrorRate: must be a number/,
      ],
      [{ ...watchInput(), PrimaryDistributionId: 'site' }, /^watch: input field PrimaryDistributionId: /],
      [{ ...watchInput(), AlarmName: 'typo' }, /^watch: input field AlarmName: is not a known parameter/],
      [{ 'detail-type': 'Scheduled Event', detail: {} }, /constant Input/],
    ];
    for (const [input, message] of cases) {
      const r = await tick(input);
      expect(r.ok).toBe(false);
      expect(r.error).toMatchObject({ name: 'InputError', message: expect.stringMatching(message) });
      expect(r.logs).toEqual([expect.objectContaining({ level: 'ERROR', event: 'tick-failed' })]);
    }
    expect(h.emulator.requestLog()).toEqual([]);
  });
});
