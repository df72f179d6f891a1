import { codePipelineHandler } from '../../shared/job/codepipeline-job.js';
import { bakeAction } from './action.js';

/** Lambda entry point for the bake CodePipeline Invoke action (runs after promote). */
export const handler = codePipelineHandler(bakeAction);
