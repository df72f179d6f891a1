/** Fixtures for the emulator tests: a started emulator with a controllable clock and real SDK clients. */
import {
  CloudFrontClient,
  CreateContinuousDeploymentPolicyCommand,
  CreateDistributionCommand,
  GetDistributionConfigCommand,
  UpdateDistributionCommand,
  type DistributionConfig,
  type HttpVersion,
  type TrafficConfig,
} from '@aws-sdk/client-cloudfront';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../local/emulator/index.js';

export interface Harness {
  emulator: Emulator;
  cf: CloudFrontClient;
  s3: S3Client;
  codePipeline: CodePipelineClient;
  cloudWatch: CloudWatchClient;
  /** Moves the emulator's clock forward. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/** Starts an emulator on a fake clock; `maxAttempts: 1` so injected errors reach the test unretried. */
export async function harness(opts: EmulatorOptions = {}): Promise<Harness> {
  let t = Date.UTC(2026, 0, 1);
  const emulator = await startEmulator({ now: () => t, ...opts });
  const common = {
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
  const clients = {
    cf: new CloudFrontClient(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
    codePipeline: new CodePipelineClient(common),
    cloudWatch: new CloudWatchClient(common),
  };
  return {
    emulator,
    ...clients,
    advance: (ms) => {
      t += ms;
    },
    close: async () => {
      for (const c of Object.values(clients)) c.destroy();
      await emulator.close();
    },
  };
}

export const BUCKET = 'site-assets';

/** A plain distribution serving `originPath` from the site bucket. */
export function siteConfig(
  callerReference: string,
  opts: {
    originPath?: string;
    staging?: boolean;
    enabled?: boolean;
    aliases?: string[];
    httpVersion?: HttpVersion;
  } = {},
): DistributionConfig {
  const aliases = opts.aliases ?? [];
  return {
    CallerReference: callerReference,
    Comment: opts.staging ? 'staging' : 'production',
    Enabled: opts.enabled ?? true,
    Staging: opts.staging ?? false,
    HttpVersion: opts.httpVersion ?? 'http2',
    DefaultRootObject: 'index.html',
    Aliases: aliases.length > 0 ? { Quantity: aliases.length, Items: aliases } : { Quantity: 0 },
    Origins: {
      Quantity: 1,
      Items: [
        {
          Id: 'site',
          DomainName: `${BUCKET}.s3.us-east-1.amazonaws.com`,
          OriginPath: opts.originPath ?? '/v1',
          OriginAccessControlId: 'E3OAC0000001',
          S3OriginConfig: { OriginAccessIdentity: '' },
        },
      ],
    },
    DefaultCacheBehavior: {
      TargetOriginId: 'site',
      ViewerProtocolPolicy: 'redirect-to-https',
      CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
      Compress: true,
    },
  };
}

export async function createDistribution(h: Harness, config: DistributionConfig) {
  const out = await h.cf.send(new CreateDistributionCommand({ DistributionConfig: config }));
  const d = out.Distribution!;
  return { id: d.Id!, domainName: d.DomainName!, arn: d.ARN!, etag: out.ETag! };
}

export const headerTraffic: TrafficConfig = {
  Type: 'SingleHeader',
  SingleHeaderConfig: { Header: 'aws-cf-cd-staging', Value: 'true' },
};
export const weightTraffic = (weight: number, sticky = true): TrafficConfig => ({
  Type: 'SingleWeight',
  SingleWeightConfig: sticky
    ? { Weight: weight, SessionStickinessConfig: { IdleTTL: 300, MaximumTTL: 600 } }
    : { Weight: weight },
});

/** Primary + staging + policy (not yet attached). */
export async function cdWorld(h: Harness, traffic: TrafficConfig = headerTraffic) {
  const primary = await createDistribution(h, siteConfig('production', { aliases: ['www.example.com'] }));
  const staging = await createDistribution(h, siteConfig('staging', { originPath: '/v2', staging: true }));
  const created = await h.cf.send(
    new CreateContinuousDeploymentPolicyCommand({
      ContinuousDeploymentPolicyConfig: {
        Enabled: true,
        StagingDistributionDnsNames: { Quantity: 1, Items: [staging.domainName] },
        TrafficConfig: traffic,
      },
    }),
  );
  return { primary, staging, policyId: created.ContinuousDeploymentPolicy!.Id!, policyEtag: created.ETag! };
}

/** Attaches (or with '' detaches) a policy by round-tripping the primary's config. */
export async function setPolicyId(h: Harness, distributionId: string, policyId: string | undefined) {
  const current = await h.cf.send(new GetDistributionConfigCommand({ Id: distributionId }));
  const config = { ...current.DistributionConfig!, ContinuousDeploymentPolicyId: policyId };
  if (policyId === undefined) delete config.ContinuousDeploymentPolicyId;
  return h.cf.send(
    new UpdateDistributionCommand({ Id: distributionId, IfMatch: current.ETag, DistributionConfig: config }),
  );
}

/** The bucket with one page per version and the canonical OAC grant for `arns`. */
export async function siteBucket(h: Harness, arns: string[]) {
  await h.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const v of ['v1', 'v2']) {
    await h.s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${v}/index.html`,
        Body: `<h1>site ${v}</h1>`,
        ContentType: 'text/html',
      }),
    );
  }
  if (arns.length > 0) await grant(h, arns);
}

export async function grant(h: Harness, arns: string[]) {
  const statement = {
    Sid: 'AllowCloudFront',
    Effect: 'Allow',
    Principal: { Service: 'cloudfront.amazonaws.com' },
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${BUCKET}/*`,
    Condition: { StringEquals: { 'AWS:SourceArn': arns.length === 1 ? arns[0] : arns } },
  };
  await h.s3.send(
    new PutBucketPolicyCommand({
      Bucket: BUCKET,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }),
    }),
  );
}

/** The error an SDK call rejects with (fails the test if it resolves). */
export async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail, but it succeeded');
}
