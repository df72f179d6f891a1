import {
  ActionNotFoundException,
  ApprovalAlreadyCompletedException,
  GetPipelineStateCommand,
  InvalidApprovalTokenException,
  InvalidJobStateException,
  InvalidNextTokenException,
  ListActionExecutionsCommand,
  OutputVariablesSizeExceededException,
  PipelineExecutionNotFoundException,
  PipelineNotFoundException,
  PutApprovalResultCommand,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
  StageNotFoundException,
  ValidationException,
} from '@aws-sdk/client-codepipeline';
import { afterEach, describe, expect, it } from 'vitest';
import type { PipelineDeclaration } from '../../local/emulator/index.js';
import { failure, harness, type Harness } from './helpers.js';

let h: Harness;
afterEach(async () => h?.close());

const PIPELINE: PipelineDeclaration = {
  name: 'site-release',
  stages: [
    { name: 'Deploy', actions: [{ name: 'DeployStaging', kind: 'custom' }] },
    {
      name: 'EnableCd',
      actions: [
        {
          name: 'EnableContinuousDeployment',
          kind: 'invoke',
          namespace: 'EnableCd',
          configuration: { FunctionName: 'enable-cd', UserParameters: '{"PrimaryDistributionId":"E1"}' },
        },
      ],
    },
    { name: 'Approval', actions: [{ name: 'ApproveStaging', kind: 'approval' }] },
  ],
};

/** The error an SDK call rejects with, as the SDK's own exception object. */
async function rejection(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

async function withPendingApproval() {
  h = await harness();
  h.emulator.pipelines.define(PIPELINE);
  const run = h.emulator.pipelines.startExecution('site-release');
  run.startAction('Deploy', 'DeployStaging').succeed();
  const enable = run.startAction('EnableCd', 'EnableContinuousDeployment');
  enable.succeed({ outputVariables: { StagingDistributionId: 'E2STAGING', StagingETag: 'E2ETAG' } });
  const approval = run.startApproval('Approval', 'ApproveStaging', { customData: 'review https://staging' });
  const approvalState = async () =>
    (await h.codePipeline.send(new GetPipelineStateCommand({ name: 'site-release' }))).stageStates?.find(
      (s) => s.stageName === 'Approval',
    );
  const put = (token: string, status: 'Approved' | 'Rejected' = 'Rejected', over: Record<string, string> = {}) =>
    h.codePipeline.send(
      new PutApprovalResultCommand({
        pipelineName: 'site-release',
        stageName: 'Approval',
        actionName: 'ApproveStaging',
        token,
        result: { status, summary: 'staging 5xx 7.4 % > 5 %' },
        ...over,
      }),
    );
  return { run, approval, approvalState, put };
}

describe('CodePipeline job reports', () => {
  it.each([
    ['a success without a continuation', new PutJobSuccessResultCommand({ jobId: 'j', outputVariables: { A: 'b' } })],
    ['a success with a continuation', new PutJobSuccessResultCommand({ jobId: 'j', continuationToken: 'wait' })],
    ['a failure', new PutJobFailureResultCommand({ jobId: 'j', failureDetails: { type: 'JobFailed', message: 'no' } })],
  ])('answers InvalidJobStateException to any report after %s, and keeps the first', async (_, first) => {
    h = await harness();
    await h.codePipeline.send(first as PutJobSuccessResultCommand);
    const recorded = h.emulator.jobResults('j');
    for (const again of [
      new PutJobSuccessResultCommand({ jobId: 'j' }),
      new PutJobFailureResultCommand({ jobId: 'j', failureDetails: { type: 'JobFailed', message: 'again' } }),
    ]) {
      const err = await rejection(h.codePipeline.send(again as PutJobSuccessResultCommand));
      expect(err).toBeInstanceOf(InvalidJobStateException);
      expect(err.$metadata?.httpStatusCode).toBe(400);
    }
    expect(h.emulator.jobResults('j')).toEqual(recorded);
  });
});

describe('output variables', () => {
  it('answers OutputVariablesSizeExceededException above 122,880 bytes in all', async () => {
    h = await harness();
    const big = await rejection(
      h.codePipeline.send(
        new PutJobSuccessResultCommand({ jobId: 'big', outputVariables: { A: 'x'.repeat(122_880) } }),
      ),
    );
    expect(big).toBeInstanceOf(OutputVariablesSizeExceededException);
    expect(h.emulator.jobResults('big')).toEqual([]);
  });
});

describe('GetPipelineState', () => {
  it('answers PipelineNotFoundException for a pipeline nobody declared', async () => {
    h = await harness();
    expect(await rejection(h.codePipeline.send(new GetPipelineStateCommand({ name: 'nope' })))).toBeInstanceOf(
      PipelineNotFoundException,
    );
  });

  it('lists every declared stage and action, with no execution before the first run', async () => {
    h = await harness();
    h.emulator.pipelines.define(PIPELINE);
    const state = await h.codePipeline.send(new GetPipelineStateCommand({ name: 'site-release' }));
    expect(state.pipelineName).toBe('site-release');
    expect(state.pipelineVersion).toBe(1);
    expect(state.created).toBeInstanceOf(Date);
    expect(state.stageStates?.map((s) => [s.stageName, s.actionStates?.map((a) => a.actionName)])).toEqual([
      ['Deploy', ['DeployStaging']],
      ['EnableCd', ['EnableContinuousDeployment']],
      ['Approval', ['ApproveStaging']],
    ]);
    expect(state.stageStates?.every((s) => s.latestExecution === undefined)).toBe(true);
  });

  it("shows a pending approval's token while it is InProgress, and the run's status per stage", async () => {
    const { run, approval, approvalState } = await withPendingApproval();
    const stage = await approvalState();
    expect(stage?.latestExecution).toEqual({ pipelineExecutionId: run.pipelineExecutionId, status: 'InProgress' });
    expect(stage?.actionStates?.[0]?.latestExecution).toMatchObject({
      actionExecutionId: approval.actionExecutionId,
      status: 'InProgress',
      token: approval.token,
    });
    const state = await h.codePipeline.send(new GetPipelineStateCommand({ name: 'site-release' }));
    expect(state.stageStates?.find((s) => s.stageName === 'EnableCd')?.latestExecution?.status).toBe('Succeeded');
  });
});

describe('PutApprovalResult', () => {
  it('settles the pending approval the runner awaits, and refuses a second answer', async () => {
    const { approval, approvalState, put } = await withPendingApproval();
    const answered = await put(approval.token);
    expect(answered.approvedAt).toBeInstanceOf(Date);
    expect(await approval.result).toMatchObject({
      status: 'Rejected',
      summary: 'staging 5xx 7.4 % > 5 %',
      answeredBy: 'PutApprovalResult',
    });
    const after = (await approvalState())?.actionStates?.[0]?.latestExecution;
    expect(after).toMatchObject({ status: 'Failed', summary: 'staging 5xx 7.4 % > 5 %' });
    expect(after?.token).toBeUndefined();

    expect(await rejection(put(approval.token, 'Approved'))).toBeInstanceOf(ApprovalAlreadyCompletedException);
    expect(approval.answer('Approved')).toBe(false);
    expect(h.emulator.state().pipelines[0]?.executions[0]?.status).toBe('Failed');
  });

  it("refuses an API answer after the runner's own reviewer answered", async () => {
    const { approval, put } = await withPendingApproval();
    expect(approval.answer('Approved', 'looks good')).toBe(true);
    expect(await approval.result).toMatchObject({ status: 'Approved', answeredBy: 'local' });
    expect(await rejection(put(approval.token))).toBeInstanceOf(ApprovalAlreadyCompletedException);
    expect(h.emulator.state().pipelines[0]?.executions[0]?.status).toBe('Succeeded');
  });

  it('answers InvalidApprovalTokenException for a token it never issued, or one whose run stopped', async () => {
    const { run, approval, put } = await withPendingApproval();
    expect(await rejection(put('00000000-0000-4000-8000-000000000000'))).toBeInstanceOf(InvalidApprovalTokenException);
    run.stop();
    expect(await approval.result).toMatchObject({ status: 'Abandoned' });
    expect(await rejection(put(approval.token))).toBeInstanceOf(InvalidApprovalTokenException);
  });

  it('names an unknown pipeline, stage or action, and validates the result like the service', async () => {
    const { approval, put } = await withPendingApproval();
    expect(await rejection(put(approval.token, 'Rejected', { pipelineName: 'other' }))).toBeInstanceOf(
      PipelineNotFoundException,
    );
    expect(await rejection(put(approval.token, 'Rejected', { stageName: 'Nope' }))).toBeInstanceOf(
      StageNotFoundException,
    );
    expect(await rejection(put(approval.token, 'Rejected', { actionName: 'Nope' }))).toBeInstanceOf(
      ActionNotFoundException,
    );
    const tooLong = h.codePipeline.send(
      new PutApprovalResultCommand({
        pipelineName: 'site-release',
        stageName: 'Approval',
        actionName: 'ApproveStaging',
        token: approval.token,
        result: { status: 'Rejected', summary: 'x'.repeat(513) },
      }),
    );
    expect(await rejection(tooLong)).toBeInstanceOf(ValidationException);
    expect(await rejection(put('not-a-uuid'))).toBeInstanceOf(ValidationException);
    // None of these answered the approval.
    expect(approval.answer('Approved')).toBe(true);
  });
});

describe('ListActionExecutions', () => {
  it("returns a run's action executions with the output variables its Lambda jobs reported", async () => {
    h = await harness();
    h.emulator.pipelines.define(PIPELINE);
    const older = h.emulator.pipelines.startExecution('site-release');
    older.startAction('Deploy', 'DeployStaging').fail('stack rollback');
    h.advance(1000);
    const run = h.emulator.pipelines.startExecution('site-release');
    run.startAction('Deploy', 'DeployStaging').succeed({ summary: 'stack updated' });
    h.advance(1000);
    const enable = run.startAction('EnableCd', 'EnableContinuousDeployment', {
      resolvedConfiguration: { FunctionName: 'enable-cd', UserParameters: '{"PrimaryDistributionId":"E1"}' },
    });
    // Two jobs, as CodePipeline makes them: the first answers with a continuation, the second completes.
    enable.addJob('job-1');
    await h.codePipeline.send(new PutJobSuccessResultCommand({ jobId: 'job-1', continuationToken: 'wait' }));
    expect(enable.record.status).toBe('InProgress');
    enable.addJob('job-2');
    await h.codePipeline.send(
      new PutJobSuccessResultCommand({
        jobId: 'job-2',
        outputVariables: { StagingDistributionId: 'E2STAGING', StagingETag: 'E2ETAG' },
      }),
    );

    const out = await h.codePipeline.send(
      new ListActionExecutionsCommand({
        pipelineName: 'site-release',
        filter: { pipelineExecutionId: run.pipelineExecutionId },
      }),
    );
    const details = out.actionExecutionDetails ?? [];
    expect(details.map((d) => [d.stageName, d.actionName, d.status])).toEqual([
      ['EnableCd', 'EnableContinuousDeployment', 'Succeeded'],
      ['Deploy', 'DeployStaging', 'Succeeded'],
    ]);
    expect(details[0]).toMatchObject({
      pipelineExecutionId: run.pipelineExecutionId,
      input: {
        actionTypeId: { category: 'Invoke', owner: 'AWS', provider: 'Lambda', version: '1' },
        configuration: { FunctionName: 'enable-cd' },
        namespace: 'EnableCd',
      },
      output: {
        outputVariables: { StagingDistributionId: 'E2STAGING', StagingETag: 'E2ETAG' },
        executionResult: { externalExecutionId: 'job-2' },
      },
    });
    expect(details[0]?.startTime).toBeInstanceOf(Date);
    expect(out.nextToken).toBeUndefined();

    const everything = await h.codePipeline.send(new ListActionExecutionsCommand({ pipelineName: 'site-release' }));
    expect(everything.actionExecutionDetails?.map((d) => d.status)).toEqual(['Succeeded', 'Succeeded', 'Failed']);
  });

  it('completes a linked action as Failed when its job reports a failure', async () => {
    h = await harness();
    h.emulator.pipelines.define(PIPELINE);
    const run = h.emulator.pipelines.startExecution('site-release');
    run.startAction('Deploy', 'DeployStaging').succeed();
    const enable = run.startAction('EnableCd', 'EnableContinuousDeployment');
    enable.addJob('job-f');
    await h.codePipeline.send(
      new PutJobFailureResultCommand({
        jobId: 'job-f',
        failureDetails: { type: 'ConfigurationError', message: 'bad UserParameters' },
      }),
    );
    expect(enable.record).toMatchObject({
      status: 'Failed',
      errorDetails: { code: 'ConfigurationError', message: 'bad UserParameters' },
    });
    expect(run.record.status).toBe('Failed');
    expect(enable.succeed()).toBe(false);
  });

  it('pages with maxResults and nextToken, and names a bad token or an unknown execution', async () => {
    h = await harness();
    h.emulator.pipelines.define(PIPELINE);
    const run = h.emulator.pipelines.startExecution('site-release');
    for (const [stage, action] of [
      ['Deploy', 'DeployStaging'],
      ['EnableCd', 'EnableContinuousDeployment'],
    ] as const) {
      run.startAction(stage, action).succeed();
      h.advance(10);
    }
    run.startApproval('Approval', 'ApproveStaging');
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await h.codePipeline.send(
        new ListActionExecutionsCommand({ pipelineName: 'site-release', maxResults: 2, nextToken }),
      );
      expect(page.actionExecutionDetails?.length).toBeLessThanOrEqual(2);
      seen.push(...(page.actionExecutionDetails ?? []).map((d) => d.actionName!));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(seen).toEqual(['ApproveStaging', 'EnableContinuousDeployment', 'DeployStaging']);

    expect(
      await rejection(
        h.codePipeline.send(new ListActionExecutionsCommand({ pipelineName: 'site-release', nextToken: 'bogus' })),
      ),
    ).toBeInstanceOf(InvalidNextTokenException);
    expect(
      await rejection(
        h.codePipeline.send(
          new ListActionExecutionsCommand({
            pipelineName: 'site-release',
            filter: { pipelineExecutionId: '00000000-0000-4000-8000-000000000000' },
          }),
        ),
      ),
    ).toBeInstanceOf(PipelineExecutionNotFoundException);
    expect(
      await failure(
        h.codePipeline.send(new ListActionExecutionsCommand({ pipelineName: 'site-release', maxResults: 0 })),
      ),
    ).toMatchObject({ name: 'ValidationException' });
    expect(
      await rejection(h.codePipeline.send(new ListActionExecutionsCommand({ pipelineName: 'other' }))),
    ).toBeInstanceOf(PipelineNotFoundException);
  });
});
