/**
 * The pipeline's pending manual approval: find it (GetPipelineState) and reject it (PutApprovalResult); its release
 * is read with shared/aws/pipeline-executions.ts, as abort reads it. An approval answered meanwhile — by a
 * reviewer, or by an overlapping tick — answers InvalidApprovalTokenException or ApprovalAlreadyCompletedException:
 * that is an outcome, not an error.
 */
import {
  GetPipelineStateCommand,
  type GetPipelineStateOutput,
  PutApprovalResultCommand,
} from '@aws-sdk/client-codepipeline';
import { awsCall, awsErrorOf } from '../../shared/aws/call.js';
import { codePipeline } from '../../shared/aws/clients/codepipeline.js';
import type { ApprovalTarget } from './params.js';

/** GetPipelineState of the approval's pipeline. */
export async function readPipelineState(target: ApprovalTarget): Promise<GetPipelineStateOutput> {
  return awsCall('GetPipelineState', `pipeline ${target.pipelineName}`, () =>
    codePipeline().send(new GetPipelineStateCommand({ name: target.pipelineName })),
  );
}

/** What answering the approval came to. */
export type Answer = { kind: 'rejected' } | { kind: 'already-answered'; error: string };

const ALREADY_ANSWERED = ['InvalidApprovalTokenException', 'ApprovalAlreadyCompletedException'];

/** PutApprovalResult Rejected; an approval answered meanwhile is reported as such, anything else is thrown. */
export async function rejectApproval(target: ApprovalTarget, token: string, summary: string): Promise<Answer> {
  const { pipelineName, stageName, actionName } = target;
  try {
    await awsCall('PutApprovalResult', `approval ${stageName}/${actionName} of pipeline ${pipelineName}`, () =>
      codePipeline().send(
        new PutApprovalResultCommand({
          pipelineName,
          stageName,
          actionName,
          token,
          result: { status: 'Rejected', summary },
        }),
      ),
    );
    return { kind: 'rejected' };
  } catch (err) {
    const { name } = awsErrorOf(err);
    if (ALREADY_ANSWERED.includes(name)) return { kind: 'already-answered', error: name };
    throw err;
  }
}
