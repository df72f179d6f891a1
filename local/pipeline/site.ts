/**
 * The documented experiment's starting point: a site bucket behind origin access control holding one folder per
 * content version, and a primary distribution serving `v1` from it. The bucket policy already holds statements
 * other teams own, so the runs show that enable-CD merges instead of overwriting.
 */
import { CreateDistributionCommand, type DistributionConfig } from '@aws-sdk/client-cloudfront';
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { LocalClients } from './aws.js';

export const SITE_BUCKET = 'site-assets';
/** One folder per release the experiment ships (cycle 5's hand change points staging at v8). */
export const CONTENT_VERSIONS = Array.from({ length: 11 }, (_, i) => `v${i + 1}`);
const OAC_ID = 'E3OACLOCAL0001';

/** A distribution config serving `originPath` from the site bucket (the shape a CloudFormation template declares). */
export function siteDistributionConfig(
  callerReference: string,
  originPath: string,
  staging: boolean,
): DistributionConfig {
  return {
    CallerReference: callerReference,
    Comment: 'example site',
    Enabled: true,
    Staging: staging,
    HttpVersion: 'http2',
    DefaultRootObject: 'index.html',
    PriceClass: 'PriceClass_100',
    Aliases: staging ? { Quantity: 0 } : { Quantity: 1, Items: ['www.example.com'] },
    Origins: {
      Quantity: 1,
      Items: [
        {
          Id: 'site-bucket',
          DomainName: `${SITE_BUCKET}.s3.us-east-1.amazonaws.com`,
          OriginPath: originPath,
          OriginAccessControlId: OAC_ID,
          S3OriginConfig: { OriginAccessIdentity: '' },
          CustomHeaders: { Quantity: 0 },
        },
      ],
    },
    DefaultCacheBehavior: {
      TargetOriginId: 'site-bucket',
      ViewerProtocolPolicy: 'redirect-to-https',
      CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
      Compress: true,
    },
  };
}

/** Statements other owners keep in the bucket policy; they must survive every cycle byte for byte in meaning. */
export function othersStatements(): Record<string, unknown>[] {
  return [
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [`arn:aws:s3:::${SITE_BUCKET}`, `arn:aws:s3:::${SITE_BUCKET}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    {
      Sid: 'AnalyticsTeamReadsLogs',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::999988887777:role/analytics' },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${SITE_BUCKET}/logs/*`,
    },
  ];
}

/** The production distribution of the local site, as createSite made it. */
export interface LocalSite {
  primaryId: string;
  primaryDomain: string;
  primaryArn: string;
}

/** The staging stack's outputs, as enable-CD and promote are given them. */
export type StagingIds = { StagingDistributionId: string; ContinuousDeploymentPolicyId: string };

/** enable-CD's UserParameters for the local site: its primary and bucket, and the staging stack's ids. */
export function enableCdParameters(site: Pick<LocalSite, 'primaryId'>, staging: StagingIds) {
  return {
    PrimaryDistributionId: site.primaryId,
    StagingDistributionId: staging.StagingDistributionId,
    ContinuousDeploymentPolicyId: staging.ContinuousDeploymentPolicyId,
    StaticResourceBucketName: SITE_BUCKET,
  };
}

/** Creates the bucket, its content, the production distribution serving v1, and the initial bucket policy. */
export async function createSite({ cloudFront, s3 }: LocalClients): Promise<LocalSite> {
  await s3.send(new CreateBucketCommand({ Bucket: SITE_BUCKET }));
  await Promise.all(
    CONTENT_VERSIONS.map((v) =>
      s3.send(
        new PutObjectCommand({
          Bucket: SITE_BUCKET,
          Key: `${v}/index.html`,
          Body: `<h1>site ${v}</h1>\n`,
          ContentType: 'text/html',
        }),
      ),
    ),
  );
  const created = await cloudFront.send(
    new CreateDistributionCommand({ DistributionConfig: siteDistributionConfig('production', '/v1', false) }),
  );
  const primary = created.Distribution;
  if (!primary?.Id || !primary.DomainName || !primary.ARN)
    throw new Error('CreateDistribution returned no id, domain name or ARN');
  const grantPrimary = {
    Sid: 'AllowProductionDistribution',
    Effect: 'Allow',
    Principal: { Service: 'cloudfront.amazonaws.com' },
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${SITE_BUCKET}/*`,
    Condition: { StringEquals: { 'AWS:SourceArn': primary.ARN } },
  };
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: SITE_BUCKET,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [...othersStatements(), grantPrimary] }),
    }),
  );
  return { primaryId: primary.Id, primaryDomain: primary.DomainName, primaryArn: primary.ARN };
}
