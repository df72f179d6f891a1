import type { CodePipelineEvent } from 'aws-lambda';
import { type LambdaContextLike, runJob } from '../../shared/job/codepipeline-job.js';
import { countingFailures } from '../../shared/metrics-emf.js';
import { abortAction } from './action.js';
import { type AbortSummary, abortFromEvent, emitAbortMetrics } from './event.js';

function isCodePipelineJob(event: unknown): event is CodePipelineEvent {
  return typeof event === 'object' && event !== null && 'CodePipeline.job' in event;
}

/** abort as a job: the same declaration, whose report also emits its metrics (event.ts does so for an event). */
const abortJob: typeof abortAction = {
  ...abortAction,
  summarise: (pass, log, words) => {
    const report = abortAction.summarise(pass, log, words);
    emitAbortMetrics(pass.params.primaryId, pass.changes);
    return report;
  },
};

const runAbortJob = countingFailures('abort', (event: CodePipelineEvent, context?: LambdaContextLike) =>
  runJob(abortJob, event, context),
);

/**
 * Lambda entry point for abort. A CodePipeline job is run and reported through the job adapter (resolves with
 * nothing); any other event is a plain EventBridge constant Input, answered with a summary or a thrown error.
 */
export async function handler(event: unknown, context?: LambdaContextLike): Promise<AbortSummary | undefined> {
  if (!isCodePipelineJob(event)) return abortFromEvent(event);
  await runAbortJob(event, context);
  return undefined;
}
