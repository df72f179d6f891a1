import { codePipelineHandler } from '../../shared/job/codepipeline-job.js';
import { promoteAction } from './action.js';

/** Lambda entry point for the promote CodePipeline Invoke action (runs after the manual approval). */
export const handler = codePipelineHandler(promoteAction);
