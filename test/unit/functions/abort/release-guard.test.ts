import {
  GetDistributionCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { ListActionExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../functions/abort/handler.js';
import {
  POLICY_ID,
  PRIMARY_ID,
  STAGING_ID,
  awsError,
  captureLogs,
  jobEvent,
  primaryOutput,
  stagingOutput,
} from '../../fixtures.js';
import { cf, codepipeline, expectNoWrites, onlyReport, policyLive } from './mocks.js';

const PIPELINE = 'site-release';
const EXECUTION_A = '11111111-2222-4333-8444-555555555555';
const execution = { PipelineName: PIPELINE, PipelineExecutionId: EXECUTION_A };
const rejectedA = { PrimaryDistributionId: PRIMARY_ID, Mode: 'disable', ...execution };

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  policyLive();
  logs = captureLogs();
});
afterEach(() => logs.restore());

/** Execution A's enable-CD reported the staging as it was for A's reviewer. */
function executionReviewed(stagingEtag: string | undefined) {
  codepipeline.on(ListActionExecutionsCommand).resolves({
    actionExecutionDetails: [
      { actionName: 'ApproveStaging', output: {} },
      {
        actionName: 'EnableContinuousDeployment',
        output: {
          outputVariables: stagingEtag
            ? { StagingDistributionId: STAGING_ID, StagingETag: stagingEtag }
            : { PolicyEnabled: 'true' },
        },
      },
    ],
  });
}
function stagingNow(etag: string) {
  cf.on(GetDistributionCommand, { Id: STAGING_ID }).resolves(stagingOutput({ etag }));
  cf.on(GetDistributionCommand, { Id: PRIMARY_ID }).resolves(primaryOutput(POLICY_ID));
}
const warned = () => logs.lines.map((l) => JSON.parse(l)).find((l) => l.event === 'newer-release-owns-staging');

describe("abort leaves a newer release's canary alone (PipelineName and PipelineExecutionId)", () => {
  it("disables the canary while the staging still carries the rejected execution's config", async () => {
    executionReviewed('ETAG-A');
    stagingNow('ETAG-A');
    await expect(handler(rejectedA)).resolves.toMatchObject({ outcome: 'applied', changes: ['disable-policy'] });
    expect(codepipeline).toHaveReceivedCommandWith(ListActionExecutionsCommand, {
      pipelineName: PIPELINE,
      filter: { pipelineExecutionId: EXECUTION_A },
    });
    expect(cf).toHaveReceivedCommandTimes(UpdateContinuousDeploymentPolicyCommand, 1);
  });

  it('changes nothing once a newer execution redeployed the staging, and says so', async () => {
    executionReviewed('ETAG-A');
    stagingNow('ETAG-B');
    await expect(handler(rejectedA)).resolves.toMatchObject({
      outcome: 'no-op',
      changes: [],
      summary: expect.stringContaining('a newer release owns the canary'),
    });
    expectNoWrites();
    expect(warned()?.reason).toContain(`now carries ETag ETAG-B, not ETag ETAG-A that execution ${EXECUTION_A}`);
  });

  it('changes nothing for an execution whose enable-CD never reported a release', async () => {
    executionReviewed(undefined);
    stagingNow('ETAG-A');
    await expect(handler(rejectedA)).resolves.toMatchObject({
      outcome: 'no-op',
      summary: expect.stringContaining('never put a canary up for review'),
    });
    expectNoWrites();
  });

  it('holds for teardown as a pipeline job too: no detach, no delete of a newer canary', async () => {
    executionReviewed('ETAG-A');
    stagingNow('ETAG-B');
    await handler(jobEvent({ PrimaryDistributionId: PRIMARY_ID, Mode: 'teardown', ...execution }));
    expectNoWrites();
    expect(onlyReport().outputVariables).toMatchObject({ Changes: 'none' });
  });

  it('fails loudly, with no write, when the execution cannot be looked up', async () => {
    codepipeline.on(ListActionExecutionsCommand).rejects(awsError('AccessDeniedException', 400));
    stagingNow('ETAG-A');
    await expect(handler(rejectedA)).rejects.toThrow(
      /ListActionExecutions on pipeline site-release .*AccessDeniedException/,
    );
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expectNoWrites();
  });

  it.each([
    ['PipelineName alone', { PipelineName: PIPELINE }, 'PipelineExecutionId'],
    ['PipelineExecutionId alone', { PipelineExecutionId: EXECUTION_A }, 'PipelineName'],
    ['a malformed execution id', { PipelineName: PIPELINE, PipelineExecutionId: 'abc' }, 'PipelineExecutionId'],
  ])('refuses %s, naming the field, with no AWS call', async (_, fields, field) => {
    await expect(handler({ PrimaryDistributionId: PRIMARY_ID, Mode: 'disable', ...fields })).rejects.toThrow(
      `abort: event field ${field}`,
    );
    expect(cf.calls()).toHaveLength(0);
    expect(codepipeline).not.toHaveReceivedCommand(ListActionExecutionsCommand);
  });
});
