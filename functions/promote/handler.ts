import { codePipelineHandler } from '../../shared/job/runner.js';
import { promoteAction } from './action.js';

/** Lambda entry point for the promote CodePipeline Invoke action (runs after the manual approval). */
export const handler = codePipelineHandler(promoteAction);
