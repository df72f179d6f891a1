/**
 * The naive promote handler the cold bench compares ours with: the approach of the public blog post the project
 * started from (../shared/seeds/001), written here for the bench. Module-level clients with default settings, the
 * two distributions read one after the other, the promotion with both ETags, the report. No policy check, no
 * Deployed check, no wait. Not shipped; bench/naive/build.ts bundles it with the functions' own esbuild options.
 */
import {
  CloudFrontClient,
  GetDistributionCommand,
  UpdateDistributionWithStagingConfigCommand,
} from '@aws-sdk/client-cloudfront';
import {
  CodePipelineClient,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import type { CodePipelineEvent } from 'aws-lambda';

const cloudFront = new CloudFrontClient({});
const codePipeline = new CodePipelineClient({});

interface Params {
  PrimaryDistributionId: string;
  StagingDistributionId: string;
}

export const handler = async (event: CodePipelineEvent): Promise<void> => {
  const job = event['CodePipeline.job'];
  const p = JSON.parse(job.data.actionConfiguration.configuration.UserParameters) as Params;
  try {
    const primary = await cloudFront.send(new GetDistributionCommand({ Id: p.PrimaryDistributionId }));
    const staging = await cloudFront.send(new GetDistributionCommand({ Id: p.StagingDistributionId }));
    await cloudFront.send(
      new UpdateDistributionWithStagingConfigCommand({
        Id: p.PrimaryDistributionId,
        StagingDistributionId: p.StagingDistributionId,
        IfMatch: `${primary.ETag}, ${staging.ETag}`,
      }),
    );
    await codePipeline.send(new PutJobSuccessResultCommand({ jobId: job.id }));
  } catch (e) {
    console.error({ e });
    await codePipeline.send(
      new PutJobFailureResultCommand({
        jobId: job.id,
        failureDetails: { type: 'JobFailed', message: (e as Error).message },
      }),
    );
  }
};
