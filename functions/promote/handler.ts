import { codePipelineHandler } from '../../shared/job/codepipeline-job.js';
import { countingFailures } from '../../shared/metrics-emf.js';
import { promoteAction } from './action.js';

/**
 * Lambda entry point for the promote CodePipeline Invoke action (runs after the manual approval); its failed jobs,
 * the gate's refusals among them, count in `Failures`.
 */
export const handler = countingFailures('promote', codePipelineHandler(promoteAction));
