import type { CodePipelineEvent } from 'aws-lambda';
import { type LambdaContextLike, runJob } from '../../shared/job/codepipeline-job.js';
import { abortAction } from './action.js';
import { type AbortSummary, abortFromEvent } from './event.js';

function isCodePipelineJob(event: unknown): event is CodePipelineEvent {
  return typeof event === 'object' && event !== null && 'CodePipeline.job' in event;
}

/**
 * Lambda entry point for abort. A CodePipeline job is run and reported through the job adapter (resolves with
 * nothing); any other event is a plain EventBridge constant Input, answered with a summary or a thrown error.
 */
export async function handler(event: unknown, context?: LambdaContextLike): Promise<AbortSummary | undefined> {
  if (!isCodePipelineJob(event)) return abortFromEvent(event);
  await runJob(abortAction, event, context);
  return undefined;
}
