import { codePipelineHandler } from '../../shared/job/codepipeline-job.js';
import { countingFailures } from '../../shared/metrics-emf.js';
import { enableCdAction } from './action.js';

/** Lambda entry point for the enable-CD CodePipeline Invoke action; its failed jobs count in `Failures`. */
export const handler = countingFailures('enable-cd', codePipelineHandler(enableCdAction));
