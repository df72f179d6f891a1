import {
  DeleteContinuousDeploymentPolicyCommand,
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/abort/handler.js';
import { decodeContinuation, encodeContinuation } from '../../../../shared/job/continuation.js';
import {
  POLICY_ID,
  PRIMARY_ID,
  awsError,
  captureLogs,
  distributionConfig,
  headerPolicyConfig,
  jobEvent,
  policyOutput,
  primaryOutput,
} from '../../fixtures.js';
import { cf, codepipeline, expectNoWrites, onlyReport, policyLive } from './mocks.js';
import { expectInputErrorReport } from '../../codepipeline-mock.js';

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  policyLive();
  logs = captureLogs();
});
afterEach(() => logs.restore());

const job = (mode: string, token?: string) => jobEvent({ PrimaryDistributionId: PRIMARY_ID, Mode: mode }, token);
const noSuchPolicy = () =>
  awsError('NoSuchContinuousDeploymentPolicy', 404, 'The continuous deployment policy does not exist.');

/** Runs one invocation and returns its single report. */
async function invoke(mode: string, token?: string) {
  codepipeline.resetHistory();
  await handler(job(mode, token));
  return onlyReport();
}

describe('abort as a CodePipeline job', () => {
  describe('Mode disable', () => {
    it('disables the attached policy with its full config round-tripped, leaves it attached, and waits for the primary', async () => {
      const report = await invoke('disable');
      expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateContinuousDeploymentPolicyCommand, {
        Id: POLICY_ID,
        IfMatch: 'ETAG-POLICY-1',
        ContinuousDeploymentPolicyConfig: headerPolicyConfig({ Enabled: false }),
      });
      expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
      expect(decodeContinuation(report.continuationToken as string)).toMatchObject({
        phase: 'propagating',
        data: { policyId: POLICY_ID, written: 'disable-policy' },
      });
    });

    it('succeeds on the continuation once the primary is Deployed, reporting what the job did', async () => {
      const first = await invoke('disable');
      cf.on(GetContinuousDeploymentPolicyCommand).resolves(
        policyOutput(headerPolicyConfig({ Enabled: false }), 'ETAG-POLICY-2'),
      );
      const second = await invoke('disable', first.continuationToken);
      expect(cf).toHaveReceivedCommandTimes(UpdateContinuousDeploymentPolicyCommand, 1);
      expect(second.outputVariables).toEqual({
        Mode: 'disable',
        ContinuousDeploymentPolicyId: POLICY_ID,
        Changes: 'disable-policy',
      });
    });

    it('writes nothing and succeeds at once when the policy is already disabled', async () => {
      cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
      const report = await invoke('disable');
      expectNoWrites();
      expect(report.outputVariables).toEqual({
        Mode: 'disable',
        ContinuousDeploymentPolicyId: POLICY_ID,
        Changes: 'none',
      });
    });

    it('defaults to disable when Mode is left out', async () => {
      await handler(jobEvent({ PrimaryDistributionId: PRIMARY_ID }));
      expect(cf).toHaveReceivedCommandTimes(UpdateContinuousDeploymentPolicyCommand, 1);
      expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    });

    it('waits for an InProgress primary even when there is nothing to change', async () => {
      cf.on(GetDistributionCommand).resolves(primaryOutput(POLICY_ID, { status: 'InProgress' }));
      cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
      const report = await invoke('disable');
      expectNoWrites();
      expect(decodeContinuation(report.continuationToken as string)).toMatchObject({ phase: 'propagating' });
    });
  });

  it.each(['disable', 'detach', 'teardown'])(
    'Mode %s: writes nothing and reads no policy when none is attached',
    async (mode) => {
      cf.on(GetDistributionCommand).resolves(primaryOutput(''));
      const report = await invoke(mode);
      expectNoWrites();
      expect(cf).not.toHaveReceivedCommand(GetContinuousDeploymentPolicyCommand);
      expect(report.outputVariables).toEqual({ Mode: mode, ContinuousDeploymentPolicyId: 'none', Changes: 'none' });
    },
  );

  describe('Mode detach', () => {
    it('disables the policy, then detaches it by sending "" with the full primary config round-tripped', async () => {
      cf.on(GetDistributionCommand).resolves(primaryOutput(POLICY_ID, { etag: 'ETAG-P1' }));
      const report = await invoke('detach');
      expect(cf.calls().map((c) => (c.args[0] as object).constructor.name)).toEqual([
        'GetDistributionCommand',
        'GetContinuousDeploymentPolicyCommand',
        'UpdateContinuousDeploymentPolicyCommand',
        'UpdateDistributionCommand',
      ]);
      expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateContinuousDeploymentPolicyCommand, {
        Id: POLICY_ID,
        ContinuousDeploymentPolicyConfig: headerPolicyConfig({ Enabled: false }),
      });
      expect(cf).toHaveReceivedCommandExactlyOnceWith(UpdateDistributionCommand, {
        Id: PRIMARY_ID,
        IfMatch: 'ETAG-P1',
        DistributionConfig: distributionConfig({ ContinuousDeploymentPolicyId: '' }),
      });
      expect(decodeContinuation(report.continuationToken as string)).toMatchObject({
        phase: 'propagating',
        data: { policyId: POLICY_ID },
      });
    });

    it('remembers the detached policy so the final report still names it', async () => {
      const first = await invoke('detach');
      cf.on(GetDistributionCommand).resolves(primaryOutput(''));
      cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
      const second = await invoke('detach', first.continuationToken);
      expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 1);
      expect(second.outputVariables).toEqual({
        Mode: 'detach',
        ContinuousDeploymentPolicyId: POLICY_ID,
        Changes: 'disable-policy,detach-policy',
      });
    });

    it('re-reads the primary and retries the detach with the fresh ETag after a 412', async () => {
      cf.on(GetDistributionCommand)
        .resolvesOnce(primaryOutput(POLICY_ID, { etag: 'ETAG-STALE' }))
        .resolves(primaryOutput(POLICY_ID, { etag: 'ETAG-FRESH' }));
      cf.on(UpdateDistributionCommand).rejectsOnce(awsError('PreconditionFailed', 412)).resolves({ ETag: 'ETAG-NEW' });
      const report = await invoke('detach');
      expect(cf.commandCalls(UpdateDistributionCommand).map((c) => c.args[0].input.IfMatch)).toEqual([
        'ETAG-STALE',
        'ETAG-FRESH',
      ]);
      expect(decodeContinuation(report.continuationToken as string)).toMatchObject({
        phase: 'propagating',
        // The mocked policy stays enabled on the re-read, so the re-plan disables it again before the detach.
        data: { written: expect.stringMatching(/^disable-policy,.*detach-policy$/) },
      });
    });
  });

  it('re-reads the policy and retries the disable with the fresh ETag after a 412', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand)
      .resolvesOnce(policyOutput(headerPolicyConfig(), 'ETAG-STALE'))
      .resolves(policyOutput(headerPolicyConfig(), 'ETAG-FRESH'));
    cf.on(UpdateContinuousDeploymentPolicyCommand)
      .rejectsOnce(awsError('PreconditionFailed', 412))
      .resolves({ ETag: 'ETAG-NEW' });
    const report = await invoke('disable');
    expect(cf.commandCalls(UpdateContinuousDeploymentPolicyCommand).map((c) => c.args[0].input.IfMatch)).toEqual([
      'ETAG-STALE',
      'ETAG-FRESH',
    ]);
    expect(decodeContinuation(report.continuationToken as string)).toMatchObject({
      phase: 'propagating',
      data: { written: 'disable-policy' },
    });
  });

  describe('Mode teardown', () => {
    it('detaches, waits across continuations until the primary is Deployed, then deletes the policy with its fresh ETag', async () => {
      // 1: disable + detach, then wait; the token remembers the policy the primary no longer names.
      const first = await invoke('teardown');
      expect(cf).toHaveReceivedCommandWith(UpdateDistributionCommand, {
        DistributionConfig: distributionConfig({ ContinuousDeploymentPolicyId: '' }),
      });
      expect(cf).not.toHaveReceivedCommand(DeleteContinuousDeploymentPolicyCommand);
      const token1 = decodeContinuation(first.continuationToken as string);
      expect(token1).toMatchObject({ phase: 'detached', data: { policyId: POLICY_ID } });

      // 2: the detach is still propagating: no delete, wait again, same start time.
      cf.resetHistory();
      cf.on(GetDistributionCommand).resolves(primaryOutput('', { status: 'InProgress' }));
      cf.on(GetContinuousDeploymentPolicyCommand).resolves(
        policyOutput(headerPolicyConfig({ Enabled: false }), 'ETAG-POLICY-2'),
      );
      const second = await invoke('teardown', first.continuationToken);
      expectNoWrites();
      const token2 = decodeContinuation(second.continuationToken as string);
      expect(token2).toMatchObject({ phase: 'detached', startedAt: token1.startedAt, data: { policyId: POLICY_ID } });

      // 3: Deployed: delete with the ETag read in this invocation, and succeed.
      cf.resetHistory();
      cf.on(GetDistributionCommand).resolves(primaryOutput(''));
      cf.on(GetContinuousDeploymentPolicyCommand).resolves(
        policyOutput(headerPolicyConfig({ Enabled: false }), 'ETAG-POLICY-3'),
      );
      const third = await invoke('teardown', second.continuationToken);
      expect(cf).toHaveReceivedCommandExactlyOnceWith(DeleteContinuousDeploymentPolicyCommand, {
        Id: POLICY_ID,
        IfMatch: 'ETAG-POLICY-3',
      });
      expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
      expect(third.outputVariables).toEqual({
        Mode: 'teardown',
        ContinuousDeploymentPolicyId: POLICY_ID,
        Changes: 'disable-policy,detach-policy,delete-policy',
      });
    });

    const detachedToken = () =>
      encodeContinuation({
        phase: 'detached',
        startedAt: Date.now(),
        data: { policyId: POLICY_ID, written: 'detach-policy' },
      });
    const detachedAndDeployed = () => cf.on(GetDistributionCommand).resolves(primaryOutput(''));

    it('succeeds without a delete when the policy is already gone on a re-run', async () => {
      detachedAndDeployed();
      cf.on(GetContinuousDeploymentPolicyCommand).rejects(noSuchPolicy());
      const report = await invoke('teardown', detachedToken());
      expectNoWrites();
      expect(report.outputVariables).toEqual({
        Mode: 'teardown',
        ContinuousDeploymentPolicyId: POLICY_ID,
        Changes: 'detach-policy',
      });
    });

    it('succeeds when the policy disappears between the read and the delete', async () => {
      detachedAndDeployed();
      cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
      cf.on(DeleteContinuousDeploymentPolicyCommand).rejects(noSuchPolicy());
      const report = await invoke('teardown', detachedToken());
      expect(report.outputVariables?.Changes).toBe('detach-policy');
    });

    it('retries the delete with the re-read ETag after a 412', async () => {
      detachedAndDeployed();
      cf.on(GetContinuousDeploymentPolicyCommand)
        .resolvesOnce(policyOutput(headerPolicyConfig({ Enabled: false }), 'ETAG-STALE'))
        .resolves(policyOutput(headerPolicyConfig({ Enabled: false }), 'ETAG-FRESH'));
      cf.on(DeleteContinuousDeploymentPolicyCommand).rejectsOnce(awsError('PreconditionFailed', 412)).resolves({});
      const report = await invoke('teardown', detachedToken());
      expect(cf.commandCalls(DeleteContinuousDeploymentPolicyCommand).map((c) => c.args[0].input.IfMatch)).toEqual([
        'ETAG-STALE',
        'ETAG-FRESH',
      ]);
      expect(report.outputVariables?.Changes).toBe('detach-policy,delete-policy');
    });

    it('deletes the policy named in ContinuousDeploymentPolicyId that an earlier, failed teardown already detached', async () => {
      detachedAndDeployed();
      cf.on(GetContinuousDeploymentPolicyCommand).resolves(
        policyOutput(headerPolicyConfig({ Enabled: false }), 'ETAG-ORPHAN'),
      );
      await handler(
        jobEvent({ PrimaryDistributionId: PRIMARY_ID, Mode: 'teardown', ContinuousDeploymentPolicyId: POLICY_ID }),
      );
      expect(cf).toHaveReceivedCommandExactlyOnceWith(DeleteContinuousDeploymentPolicyCommand, {
        Id: POLICY_ID,
        IfMatch: 'ETAG-ORPHAN',
      });
      expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
      expect(onlyReport().outputVariables).toEqual({
        Mode: 'teardown',
        ContinuousDeploymentPolicyId: POLICY_ID,
        Changes: 'delete-policy',
      });
    });

    it('refuses, without any write, a named policy while a different policy is attached to the primary', async () => {
      const otherPolicy = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
      cf.on(GetDistributionCommand).resolves(primaryOutput(otherPolicy));
      await handler(
        jobEvent({ PrimaryDistributionId: PRIMARY_ID, Mode: 'teardown', ContinuousDeploymentPolicyId: POLICY_ID }),
      );
      expectNoWrites();
      expect(onlyReport().failureDetails).toEqual({
        type: 'JobFailed',
        message: expect.stringContaining(
          `has policy ${otherPolicy} attached, but ContinuousDeploymentPolicyId names ${POLICY_ID}`,
        ),
      });
    });

    it('fails clearly, naming the policy and what to do, when the policy is attached to another distribution', async () => {
      detachedAndDeployed();
      cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
      cf.on(DeleteContinuousDeploymentPolicyCommand).rejects(
        awsError('ContinuousDeploymentPolicyInUse', 409, 'The continuous deployment policy is in use.'),
      );
      const report = await invoke('teardown', detachedToken());
      expect(report.failureDetails).toEqual({
        type: 'JobFailed',
        message: expect.stringMatching(
          new RegExp(
            `delete the continuous deployment policy.*policy ${POLICY_ID} cannot be deleted.*ContinuousDeploymentPolicyInUse.*detach it there, then delete the policy.*delete-continuous-deployment-policy --id ${POLICY_ID}`,
          ),
        ),
      });
    });
  });

  describe('a continuation token is a bookmark, not an authority', () => {
    const unrelated = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
    const forged = (phase: string) =>
      encodeContinuation({ phase, startedAt: Date.now(), data: { policyId: unrelated, written: 'detach-policy' } });

    it('never deletes a policy a forged detached token names while the real canary stays attached and enabled', async () => {
      // The primary still has the real canary (POLICY_ID, enabled); the token names an unrelated, unattached policy.
      const report = await invoke('teardown', forged('detached'));
      expectNoWrites();
      expect(report.failureDetails).toEqual({
        type: 'JobFailed',
        message: expect.stringContaining(
          `has policy ${POLICY_ID} attached, but the continuation token names policy ${unrelated}`,
        ),
      });
    });

    it('never deletes an enabled policy attached nowhere here, which this job cannot have detached', async () => {
      cf.on(GetDistributionCommand).resolves(primaryOutput(''));
      const report = await invoke('teardown', forged('detached'));
      expectNoWrites();
      expect(report.failureDetails?.message).toContain(`names policy ${unrelated}, which is enabled and not attached`);
    });

    it('does not report a rollback from a forged token while the real canary routes viewers', async () => {
      const report = await invoke('disable', forged('propagating'));
      expectNoWrites();
      expect(report.outputVariables).toBeUndefined();
      expect(report.failureDetails?.type).toBe('JobFailed');
    });

    it('refuses a token whose policy is not the one ContinuousDeploymentPolicyId names', async () => {
      cf.on(GetDistributionCommand).resolves(primaryOutput(''));
      await handler(
        jobEvent(
          { PrimaryDistributionId: PRIMARY_ID, Mode: 'teardown', ContinuousDeploymentPolicyId: POLICY_ID },
          forged('detached'),
        ),
      );
      expectNoWrites();
      expect(onlyReport().failureDetails?.message).toContain(`but ContinuousDeploymentPolicyId is ${POLICY_ID}`);
    });
  });

  it('refuses a staging distribution named as the primary, without writing anything', async () => {
    cf.on(GetDistributionCommand).resolves(primaryOutput('', { config: distributionConfig({ Staging: true }) }));
    const report = await invoke('detach');
    expectNoWrites();
    expect(report.failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringContaining('is a staging distribution'),
    });
  });

  it('fails naming the primary when the wait limit has passed', async () => {
    cf.on(GetDistributionCommand).resolves(primaryOutput('', { status: 'InProgress' }));
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
    const token = encodeContinuation({
      phase: 'detached',
      startedAt: Date.now() - 31 * 60_000,
      data: { policyId: POLICY_ID },
    });
    await handler(jobEvent({ PrimaryDistributionId: PRIMARY_ID, Mode: 'teardown', MaxWaitMinutes: 30 }, token));
    expect(onlyReport().failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringMatching(/MaxWaitMinutes=30.*still InProgress: E1PRIMARY00001/),
    });
    expect(cf).not.toHaveReceivedCommand(DeleteContinuousDeploymentPolicyCommand);
  });

  it('reports an AWS failure once, naming the step and the AWS error', async () => {
    cf.on(UpdateContinuousDeploymentPolicyCommand).rejects(awsError('AccessDenied', 403, 'User is not authorized'));
    const report = await invoke('disable');
    expect(report.failureDetails).toEqual({
      type: 'JobFailed',
      message: expect.stringMatching(
        /^abort: step "disable the continuous deployment policy": UpdateContinuousDeploymentPolicy on continuous deployment policy .* failed: AccessDenied \(HTTP 403\)/,
      ),
    });
  });

  it.each([
    ['not JSON', '{PrimaryDistributionId: E1}', 'UserParameters'],
    ['empty', '', 'UserParameters'],
    ['a missing primary', JSON.stringify({ Mode: 'detach' }), 'PrimaryDistributionId'],
    ['a malformed primary id', JSON.stringify({ PrimaryDistributionId: 'primary' }), 'PrimaryDistributionId'],
    ['an unknown mode', JSON.stringify({ PrimaryDistributionId: PRIMARY_ID, Mode: 'rollback' }), 'Mode'],
    ['a misspelled key', JSON.stringify({ PrimaryDistributionID: PRIMARY_ID }), 'PrimaryDistributionID'],
    [
      'an out-of-range wait',
      JSON.stringify({ PrimaryDistributionId: PRIMARY_ID, MaxWaitMinutes: 5000 }),
      'MaxWaitMinutes',
    ],
    [
      'a malformed policy id',
      JSON.stringify({ PrimaryDistributionId: PRIMARY_ID, Mode: 'teardown', ContinuousDeploymentPolicyId: 'policy-1' }),
      'ContinuousDeploymentPolicyId',
    ],
    [
      'a policy id outside teardown',
      JSON.stringify({ PrimaryDistributionId: PRIMARY_ID, Mode: 'detach', ContinuousDeploymentPolicyId: POLICY_ID }),
      'ContinuousDeploymentPolicyId',
    ],
  ])('reports %s once as InputError naming the field, touching no AWS resource', async (_, userParameters, field) => {
    await handler(jobEvent(userParameters));
    expectInputErrorReport(field);
    expect(cf).not.toHaveReceivedAnyCommand();
  });

  it('logs the state, the plan and each write with the job id, and never the artifact credentials', async () => {
    await invoke('detach');
    const events = logs.lines.map((l) => JSON.parse(l) as { event: string; jobId?: string });
    expect(events.map((e) => e.event)).toEqual([
      'job-started',
      'state-read',
      'plan',
      'write',
      'write',
      'job-waiting',
      'job-reported',
    ]);
    expect(events.every((e) => e.jobId === 'job-1')).toBe(true);
    expect(logs.lines.join('\n')).not.toMatch(/secret|AKIA/);
  });
});
