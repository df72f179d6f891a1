/**
 * The naive enable-CD handler the cold bench compares ours with: the approach of the public blog post the project
 * started from (../shared/seeds/001), written here for the bench. Module-level clients with default settings, one
 * SDK call after another, the blog's three "only if needed" conditions and nothing else: no parameter validation,
 * no ETag retry, no wait for Deployed, no output variables. Not shipped; bench/naive/build.ts bundles it with the
 * functions' own esbuild options.
 */
import {
  CloudFrontClient,
  type ContinuousDeploymentPolicyConfig,
  type DistributionConfig,
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import {
  CodePipelineClient,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { GetBucketPolicyCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import type { CodePipelineEvent } from 'aws-lambda';

const cloudFront = new CloudFrontClient({});
const codePipeline = new CodePipelineClient({});
// Adapted: the emulator cannot resolve virtual-hosted bucket names (the blog runs against real S3).
const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) });

interface Params {
  PrimaryDistributionId: string;
  StagingDistributionId: string;
  ContinuousDeploymentPolicyId: string;
  StaticResourceBucketName: string;
}

export const handler = async (event: CodePipelineEvent): Promise<void> => {
  const job = event['CodePipeline.job'];
  const p = JSON.parse(job.data.actionConfiguration.configuration.UserParameters) as Params;
  try {
    // 1. The bucket policy: rewritten whole when it does not mention the staging distribution yet.
    const bucket = await s3.send(new GetBucketPolicyCommand({ Bucket: p.StaticResourceBucketName }));
    if (!bucket.Policy?.includes(p.StagingDistributionId)) {
      // Adapted: the account comes from the event (the blog reads an environment variable of its own).
      const arn = (id: string) => `arn:aws:cloudfront::${job.accountId}:distribution/${id}`;
      const statement = {
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${p.StaticResourceBucketName}/*`,
        Condition: {
          'ForAnyValue:StringEquals': { 'AWS:SourceArn': [arn(p.PrimaryDistributionId), arn(p.StagingDistributionId)] },
        },
      };
      await s3.send(
        new PutBucketPolicyCommand({
          Bucket: p.StaticResourceBucketName,
          Policy: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }),
        }),
      );
    }
    // 2. The primary: the policy attached when it is not yet.
    const primary = await cloudFront.send(new GetDistributionCommand({ Id: p.PrimaryDistributionId }));
    console.info({ distribution: primary.Distribution });
    if (primary.Distribution?.DistributionConfig?.ContinuousDeploymentPolicyId !== p.ContinuousDeploymentPolicyId) {
      await cloudFront.send(
        new UpdateDistributionCommand({
          Id: p.PrimaryDistributionId,
          IfMatch: primary.ETag,
          DistributionConfig: {
            ...primary.Distribution?.DistributionConfig,
            ContinuousDeploymentPolicyId: p.ContinuousDeploymentPolicyId,
          } as DistributionConfig,
        }),
      );
    }
    // 3. The policy: re-enabled when a promotion disabled it.
    const policy = await cloudFront.send(
      new GetContinuousDeploymentPolicyCommand({ Id: p.ContinuousDeploymentPolicyId }),
    );
    const config = policy.ContinuousDeploymentPolicy?.ContinuousDeploymentPolicyConfig;
    if (!config?.Enabled) {
      await cloudFront.send(
        new UpdateContinuousDeploymentPolicyCommand({
          Id: p.ContinuousDeploymentPolicyId,
          IfMatch: policy.ETag,
          ContinuousDeploymentPolicyConfig: { ...config, Enabled: true } as ContinuousDeploymentPolicyConfig,
        }),
      );
    }
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
