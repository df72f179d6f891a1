import { codePipelineHandler } from '../../shared/job/runner.js';
import { enableCdAction } from './action.js';

/** Lambda entry point for the enable-CD CodePipeline Invoke action. */
export const handler = codePipelineHandler(enableCdAction);
