/**
 * Which release a pipeline execution put up for review: the `StagingDistributionId`, `StagingETag` and
 * `PolicyEnabled` output variables enable-CD reported in that execution (ListActionExecutions, filtered by the
 * execution id). Abort and the canary watch use it to leave alone a canary that a newer execution has since
 * deployed; the watch also to tell whether that release ever had a canary live.
 */
import { ListActionExecutionsCommand } from '@aws-sdk/client-codepipeline';
import type { ReviewedRelease } from '../domain/resources.js';
import { awsCall } from './call.js';
import { codePipeline } from './clients/codepipeline.js';

/** The release `executionId` put up for review; undefined when no action of it reported a `StagingETag`. */
export async function reviewedRelease(pipelineName: string, executionId: string): Promise<ReviewedRelease | undefined> {
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const out = await awsCall('ListActionExecutions', `pipeline ${pipelineName} execution ${executionId}`, () =>
      codePipeline().send(
        new ListActionExecutionsCommand({
          pipelineName,
          filter: { pipelineExecutionId: executionId },
          ...(token ? { nextToken: token } : {}),
        }),
      ),
    );
    for (const action of out.actionExecutionDetails ?? []) {
      const vars = action.output?.outputVariables;
      if (vars?.StagingETag && vars.StagingDistributionId) {
        const routed = vars.PolicyEnabled === undefined ? undefined : vars.PolicyEnabled === 'true';
        return {
          pipelineName,
          executionId,
          stagingId: vars.StagingDistributionId,
          stagingEtag: vars.StagingETag,
          ...(routed === undefined ? {} : { routed }),
        };
      }
    }
    nextToken = out.nextToken;
  } while (nextToken);
  return undefined;
}
