import {
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../../shared/domain/errors.js';
import { handler } from '../../../../functions/abort/handler.js';
import {
  POLICY_ID,
  PRIMARY_ID,
  awsError,
  captureLogs,
  distributionConfig,
  headerPolicyConfig,
  policyOutput,
  primaryOutput,
} from '../../fixtures.js';
import { cf, codepipeline, expectNoWrites, policyLive } from './mocks.js';

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  policyLive();
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
  // There is no job to report to for a plain event.
  expect(codepipeline).not.toHaveReceivedAnyCommand();
});

const rejected = { PrimaryDistributionId: PRIMARY_ID, Mode: 'disable' };

describe('abort from an EventBridge constant input (approval rejected or timed out)', () => {
  it('disables the attached policy and returns a summary of what it changed', async () => {
    await expect(handler(rejected)).resolves.toEqual({
      mode: 'disable',
      primaryId: PRIMARY_ID,
      policyId: POLICY_ID,
      changes: ['disable-policy'],
      outcome: 'applied',
      summary: expect.stringContaining(`all traffic goes to primary ${PRIMARY_ID}`),
    });
    expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateContinuousDeploymentPolicyCommand, {
      Id: POLICY_ID,
      IfMatch: 'ETAG-POLICY-1',
      ContinuousDeploymentPolicyConfig: headerPolicyConfig({ Enabled: false }),
    });
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
  });

  it('is idempotent: a retried invocation finds the policy disabled and writes nothing', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
    await expect(handler(rejected)).resolves.toMatchObject({
      changes: [],
      outcome: 'no-op',
      summary: expect.stringContaining('already disabled'),
    });
    expectNoWrites();
  });

  it('defaults to disable when Mode is left out', async () => {
    await expect(handler({ PrimaryDistributionId: PRIMARY_ID })).resolves.toMatchObject({
      mode: 'disable',
      changes: ['disable-policy'],
    });
  });

  it('is a no-op when no policy is attached', async () => {
    cf.on(GetDistributionCommand).resolves(primaryOutput(''));
    await expect(handler({ ...rejected, Mode: 'detach' })).resolves.toMatchObject({
      policyId: null,
      changes: [],
      outcome: 'no-op',
    });
    expectNoWrites();
  });

  it('detaches with "" and the full primary config round-tripped, after disabling', async () => {
    cf.on(GetDistributionCommand).resolves(primaryOutput(POLICY_ID, { etag: 'ETAG-P1' }));
    await expect(handler({ ...rejected, Mode: 'detach' })).resolves.toMatchObject({
      mode: 'detach',
      policyId: POLICY_ID,
      changes: ['disable-policy', 'detach-policy'],
    });
    expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateDistributionCommand, {
      Id: PRIMARY_ID,
      IfMatch: 'ETAG-P1',
      DistributionConfig: distributionConfig({ ContinuousDeploymentPolicyId: '' }),
    });
  });

  it('re-reads and retries a stale write (412) with the fresh ETag', async () => {
    cf.on(GetDistributionCommand)
      .resolvesOnce(primaryOutput(POLICY_ID, { etag: 'ETAG-STALE' }))
      .resolves(primaryOutput(POLICY_ID, { etag: 'ETAG-FRESH' }));
    cf.on(UpdateDistributionCommand).rejectsOnce(awsError('PreconditionFailed', 412)).resolves({ ETag: 'ETAG-NEW' });
    await expect(handler({ ...rejected, Mode: 'detach' })).resolves.toMatchObject({ outcome: 'applied' });
    expect(cf.commandCalls(UpdateDistributionCommand).map((c) => c.args[0].input.IfMatch)).toEqual([
      'ETAG-STALE',
      'ETAG-FRESH',
    ]);
  });

  it('refuses teardown before any AWS call: it must wait across invocations', async () => {
    await expect(handler({ ...rejected, Mode: 'teardown' })).rejects.toThrow(
      /^abort: event field Mode: "teardown" must wait.*only a CodePipeline job can do.*Send Mode "detach"/,
    );
    expect(cf).not.toHaveReceivedAnyCommand();
  });

  it('refuses a whole EventBridge event, saying the rule must send a constant Input', async () => {
    const whole = {
      version: '0',
      'detail-type': 'CodePipeline Action Execution State Change',
      source: 'aws.codepipeline',
      detail: { state: 'FAILED' },
    };
    await expect(handler(whole)).rejects.toThrow(
      /whole EventBridge event; configure the rule's target with a constant Input/,
    );
    expect(cf).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['a missing primary', { Mode: 'disable' }, /event field PrimaryDistributionId: is required/],
    [
      'a malformed primary id',
      { PrimaryDistributionId: 'my-site' },
      /event field PrimaryDistributionId: "my-site" is not a valid CloudFront distribution id/,
    ],
    [
      'an unknown mode',
      { ...rejected, Mode: 'rollback' },
      /event field Mode: must be one of disable, detach, teardown/,
    ],
    [
      'a misspelled key',
      { PrimaryDistributionID: PRIMARY_ID },
      /event field PrimaryDistributionID: is not a known parameter/,
    ],
    ['a non-string id', { PrimaryDistributionId: 42 }, /event field PrimaryDistributionId: must be a string/],
    ['null', null, /must be a JSON object.*got null/],
    ['an array', [rejected], /must be a JSON object.*got an array/],
    ['a string', JSON.stringify(rejected), /must be a JSON object.*got string/],
  ])('refuses %s with an error naming the problem, before any AWS call', async (_, event, message) => {
    const failure = handler(event);
    await expect(failure).rejects.toThrow(InputError);
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.not.toThrow(/UserParameters/);
    expect(cf).not.toHaveReceivedAnyCommand();
  });

  it('throws an AWS failure, naming the step and the error, so the invocation is retried', async () => {
    cf.on(UpdateContinuousDeploymentPolicyCommand).rejects(awsError('AccessDenied', 403, 'User is not authorized'));
    await expect(handler(rejected)).rejects.toThrow(
      /step "disable the continuous deployment policy".*AccessDenied \(HTTP 403\)/,
    );
    expect(JSON.parse(logs.lines.at(-1) as string)).toMatchObject({
      level: 'ERROR',
      event: 'event-failed',
      trigger: 'event',
    });
  });

  it('logs its parameters, the state, the plan and the write, one JSON line each', async () => {
    await handler(rejected);
    const events = logs.lines.map((l) => JSON.parse(l) as { event: string; function: string });
    expect(events.map((e) => e.event)).toEqual(['event-started', 'state-read', 'plan', 'write', 'event-succeeded']);
    expect(events.every((e) => e.function === 'abort')).toBe(true);
  });
});
