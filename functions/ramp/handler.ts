import { codePipelineHandler } from '../../shared/job/codepipeline-job.js';
import { rampAction } from './action.js';

/** Lambda entry point for the ramp CodePipeline Invoke action (between enable-CD and the approval). */
export const handler = codePipelineHandler(rampAction);
