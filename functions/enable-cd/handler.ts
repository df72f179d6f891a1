import { codePipelineHandler } from '../../shared/job/codepipeline-job.js';
import { enableCdAction } from './action.js';

/** Lambda entry point for the enable-CD CodePipeline Invoke action. */
export const handler = codePipelineHandler(enableCdAction);
