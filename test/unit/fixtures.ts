/**
 * Small builders for CloudFront / CodePipeline fixtures used across unit tests. Each returns a fresh object that a
 * test may override field by field.
 */
import {
  type CloudFrontClient,
  type ContinuousDeploymentPolicyConfig,
  CreateInvalidationCommand,
  type CreateInvalidationCommandInput,
  type DistributionConfig,
  type GetContinuousDeploymentPolicyCommandOutput,
  type GetDistributionCommandOutput,
  GetInvalidationCommand,
  type GetInvalidationCommandOutput,
  ListInvalidationsCommand,
  type ListInvalidationsCommandOutput,
} from '@aws-sdk/client-cloudfront';
import type { CodePipelineEvent } from 'aws-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { DEFAULT_INVALIDATION_PATHS, invalidationCallerReference } from '../../shared/domain/invalidation.js';
import type { DistributionState, PolicyState } from '../../shared/domain/resources.js';
import { setLogSink } from '../../shared/log.js';

export const ACCOUNT = '111122223333';
export const PRIMARY_ID = 'E1PRIMARY00001';
export const STAGING_ID = 'E2STAGING00002';
export const POLICY_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
export const BUCKET = 'site-assets-bucket';
export const PRIMARY_DOMAIN = 'd111111abcdef8.cloudfront.net';
export const STAGING_DOMAIN = 'd222222abcdef8.cloudfront.net';

export const arnOf = (id: string) => `arn:aws:cloudfront::${ACCOUNT}:distribution/${id}`;

/** When every fixture distribution's config last changed (its LastModifiedTime), unless a test says otherwise. */
export const LAST_MODIFIED = new Date('2026-11-01T00:00:00Z');
/** Ten minutes after that change: an invalidation made then counts. */
export const AFTER_LAST_CHANGE = new Date('2026-11-01T00:10:00Z');
/** A day before that change: an invalidation made then may have been refilled from the previous release. */
export const BEFORE_LAST_CHANGE = new Date('2026-10-31T00:00:00Z');

/** A realistic distribution config: an S3 origin behind OAC serving `originPath`. */
export function distributionConfig(
  overrides: Partial<DistributionConfig> = {},
  originPath = '/v1',
): DistributionConfig {
  return {
    CallerReference: 'primary-ref',
    Comment: 'site',
    Enabled: true,
    HttpVersion: 'http2',
    DefaultRootObject: 'index.html',
    Aliases: { Quantity: 1, Items: ['www.example.com'] },
    Origins: {
      Quantity: 1,
      Items: [
        {
          Id: 's3-origin',
          DomainName: `${BUCKET}.s3.us-east-1.amazonaws.com`,
          OriginPath: originPath,
          OriginAccessControlId: 'E3OACEXAMPLE01',
          S3OriginConfig: { OriginAccessIdentity: '' },
          CustomHeaders: { Quantity: 0 },
        },
      ],
    },
    DefaultCacheBehavior: {
      TargetOriginId: 's3-origin',
      ViewerProtocolPolicy: 'redirect-to-https',
      CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
    },
    ...overrides,
  };
}

export interface DistributionFixture {
  id?: string;
  etag?: string;
  status?: 'Deployed' | 'InProgress';
  domainName?: string;
  config?: DistributionConfig;
  lastModified?: Date;
}

/** The ETag a fixture distribution has unless a test gives it another. */
export const defaultEtag = (id: string) => `ETAG-${id}-1`;

/** A GetDistribution response. */
export function getDistributionOutput(f: DistributionFixture = {}): GetDistributionCommandOutput {
  const id = f.id ?? PRIMARY_ID;
  return {
    $metadata: {},
    ETag: f.etag ?? defaultEtag(id),
    Distribution: {
      Id: id,
      ARN: arnOf(id),
      Status: f.status ?? 'Deployed',
      DomainName: f.domainName ?? (id === STAGING_ID ? STAGING_DOMAIN : PRIMARY_DOMAIN),
      LastModifiedTime: f.lastModified ?? LAST_MODIFIED,
      InProgressInvalidationBatches: 0,
      DistributionConfig: f.config ?? distributionConfig(),
    },
  };
}

/** A primary distribution with the given policy attached ("" for none). */
export function primaryOutput(policyId: string, f: Omit<DistributionFixture, 'id'> = {}): GetDistributionCommandOutput {
  return getDistributionOutput({
    ...f,
    id: PRIMARY_ID,
    config: f.config ?? distributionConfig({ ContinuousDeploymentPolicyId: policyId }),
  });
}

/** A staging distribution (Staging=true) serving `originPath`. */
export function stagingOutput(
  f: Omit<DistributionFixture, 'id'> = {},
  originPath = '/v2',
): GetDistributionCommandOutput {
  return getDistributionOutput({
    ...f,
    id: STAGING_ID,
    config:
      f.config ??
      distributionConfig({ CallerReference: 'staging-ref', Staging: true, Aliases: { Quantity: 0 } }, originPath),
  });
}

/** A header-routing policy config pointing at the staging domain. */
export function headerPolicyConfig(
  overrides: Partial<ContinuousDeploymentPolicyConfig> = {},
): ContinuousDeploymentPolicyConfig {
  return {
    StagingDistributionDnsNames: { Quantity: 1, Items: [STAGING_DOMAIN] },
    Enabled: true,
    TrafficConfig: { Type: 'SingleHeader', SingleHeaderConfig: { Header: 'aws-cf-cd-staging', Value: 'true' } },
    ...overrides,
  };
}

/** A weight-routing policy config (with stickiness) pointing at the staging domain. */
export function weightPolicyConfig(
  overrides: Partial<ContinuousDeploymentPolicyConfig> = {},
): ContinuousDeploymentPolicyConfig {
  return {
    StagingDistributionDnsNames: { Quantity: 1, Items: [STAGING_DOMAIN] },
    Enabled: true,
    TrafficConfig: {
      Type: 'SingleWeight',
      SingleWeightConfig: { Weight: 0.1, SessionStickinessConfig: { IdleTTL: 300, MaximumTTL: 600 } },
    },
    ...overrides,
  };
}

/** A GetContinuousDeploymentPolicy response. */
export function policyOutput(
  config: ContinuousDeploymentPolicyConfig = headerPolicyConfig(),
  etag = 'ETAG-POLICY-1',
): GetContinuousDeploymentPolicyCommandOutput {
  return {
    $metadata: {},
    ETag: etag,
    ContinuousDeploymentPolicy: {
      Id: POLICY_ID,
      LastModifiedTime: new Date('2026-11-01T00:00:00Z'),
      ContinuousDeploymentPolicyConfig: config,
    },
  };
}

/** One invalidation of a distribution, as CloudFront would describe it. */
export interface InvalidationFixture {
  id: string;
  status?: 'Completed' | 'InProgress';
  createTime?: Date;
  paths?: string[];
  callerReference?: string;
}

/** A GetInvalidation response (Completed `/*`, made after the last change, unless told otherwise). */
export function invalidationOutput(f: InvalidationFixture): GetInvalidationCommandOutput {
  const paths = f.paths ?? ['/*'];
  return {
    $metadata: {},
    Invalidation: {
      Id: f.id,
      Status: f.status ?? 'Completed',
      CreateTime: f.createTime ?? AFTER_LAST_CHANGE,
      InvalidationBatch: {
        CallerReference: f.callerReference ?? `ref-${f.id}`,
        Paths: { Quantity: paths.length, Items: paths },
      },
    },
  };
}

/** A ListInvalidations page: summaries only (no paths), newest first as given. */
export function invalidationListOutput(
  invalidations: InvalidationFixture[],
  next?: string,
): ListInvalidationsCommandOutput {
  return {
    $metadata: {},
    InvalidationList: {
      Marker: '',
      MaxItems: 100,
      IsTruncated: next !== undefined,
      ...(next ? { NextMarker: next } : {}),
      Quantity: invalidations.length,
      Items: invalidations.map((f) => ({
        Id: f.id,
        Status: f.status ?? 'Completed',
        CreateTime: f.createTime ?? AFTER_LAST_CHANGE,
      })),
    },
  };
}

type CloudFrontMock = AwsClientStub<CloudFrontClient>;

/** CloudFront answers ListInvalidations and GetInvalidation on `distributionId` with these invalidations. */
export function mockInvalidations(cf: CloudFrontMock, distributionId: string, invalidations: InvalidationFixture[]) {
  cf.on(ListInvalidationsCommand, { DistributionId: distributionId }).resolves(invalidationListOutput(invalidations));
  for (const inv of invalidations)
    cf.on(GetInvalidationCommand, { DistributionId: distributionId, Id: inv.id }).resolves(invalidationOutput(inv));
}

/** The id of the Completed `/*` invalidation {@link cachesInvalidatedSince} mocks. */
export const doneInvalidationId = (distributionId: string) => `I${distributionId}DONE`;

/** The CallerReference our actions give their `/*` invalidation of a distribution's config with this ETag. */
export const ourCallerReference = (etag: string) =>
  invalidationCallerReference({ etag }, [...DEFAULT_INVALIDATION_PATHS]);

/**
 * The distribution's caches were invalidated after its last change, for the config with `etag` (by default the
 * fixture's): our Completed `/*` invalidation.
 */
export function cachesInvalidatedSince(
  cf: CloudFrontMock,
  distributionId: string,
  etag = defaultEtag(distributionId),
): void {
  mockInvalidations(cf, distributionId, [
    { id: doneInvalidationId(distributionId), callerReference: ourCallerReference(etag) },
  ]);
}

/** The distribution was never invalidated: ListInvalidations answers an empty list. */
export function neverInvalidated(cf: CloudFrontMock, distributionId: string): void {
  mockInvalidations(cf, distributionId, []);
}

/** The id CreateInvalidation answers with, under {@link acceptInvalidations}. */
export const NEW_INVALIDATION_ID = 'I2NEWINVALIDATION';

/** CreateInvalidation makes a new InProgress invalidation of the batch it was sent. */
export function acceptInvalidations(cf: CloudFrontMock): void {
  cf.on(CreateInvalidationCommand).callsFake((input: CreateInvalidationCommandInput) => ({
    Location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${input.DistributionId}/invalidation/${NEW_INVALIDATION_ID}`,
    Invalidation: {
      Id: NEW_INVALIDATION_ID,
      Status: 'InProgress',
      CreateTime: new Date(),
      InvalidationBatch: input.InvalidationBatch,
    },
  }));
}

/** A CodePipeline job event. `userParameters` objects are JSON-encoded; strings are passed as they are. */
export function jobEvent(userParameters: unknown, continuationToken?: string, jobId = 'job-1'): CodePipelineEvent {
  return {
    'CodePipeline.job': {
      id: jobId,
      accountId: ACCOUNT,
      data: {
        actionConfiguration: {
          configuration: {
            FunctionName: 'fn',
            UserParameters: typeof userParameters === 'string' ? userParameters : JSON.stringify(userParameters),
          },
        },
        inputArtifacts: [],
        outputArtifacts: [],
        artifactCredentials: {
          accessKeyId: 'AKIASECRETKEYID',
          secretAccessKey: 'super-secret-access-key',
          sessionToken: 'secret-session-token',
        },
        ...(continuationToken ? { continuationToken } : {}),
      },
    },
  };
}

/** An AWS SDK-shaped service error, as the SDK throws it. */
export function awsError(name: string, httpStatusCode: number, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode } });
}

/** Captures log lines for the duration of a test; call the returned function's `.restore()` in afterEach. */
export function captureLogs(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  return { lines, restore: () => setLogSink(previous) };
}

/** A primary as read (Deployed, the policy attached), for the pure planners. */
export const primaryState = (o: Partial<DistributionState> = {}): DistributionState => ({
  id: PRIMARY_ID,
  etag: 'EP',
  status: 'Deployed',
  domainName: PRIMARY_DOMAIN,
  arn: arnOf(PRIMARY_ID),
  config: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }),
  ...o,
});

/** A staging distribution as read (Deployed, serving `/v2`), for the pure planners. */
export const stagingState = (o: Partial<DistributionState> = {}): DistributionState => ({
  id: STAGING_ID,
  etag: 'ES',
  status: 'Deployed',
  domainName: STAGING_DOMAIN,
  arn: arnOf(STAGING_ID),
  config: distributionConfig({ CallerReference: 'staging-ref', Staging: true, Aliases: { Quantity: 0 } }, '/v2'),
  ...o,
});

/** An enabled header policy routing to the staging, as read, for the pure planners. */
export const policyState = (o: Partial<PolicyState> = {}): PolicyState => ({
  id: POLICY_ID,
  etag: 'EC',
  config: headerPolicyConfig(),
  ...o,
});

/** How a InputError names a UserParameters field: `UserParameters.<field>:`, or `UserParameters:` for the whole. */
export const namesField = (field: string): string =>
  field === 'UserParameters' ? 'UserParameters:' : `UserParameters.${field}:`;

/**
 * Logging off and the default certificate as CloudFront answers them (with what it derives): the fields a staging
 * template leaves out or keeps bare.
 */
export const PLAIN_LOGGING_AND_CERTIFICATE = {
  Logging: { Enabled: false, IncludeCookies: false, Bucket: '', Prefix: '' },
  ViewerCertificate: {
    CloudFrontDefaultCertificate: true,
    SSLSupportMethod: 'vip',
    MinimumProtocolVersion: 'TLSv1',
    CertificateSource: 'cloudfront',
  },
} as const;
