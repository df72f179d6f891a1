import type { DistributionConfig } from '@aws-sdk/client-cloudfront';
import { describe, expect, it } from 'vitest';
import { cloudFormationDistributionConfig, stagingTemplate } from '../../../cli/template-from-primary.js';
import { BUCKET, PLAIN_LOGGING_AND_CERTIFICATE, PRIMARY_ID, distributionConfig } from '../fixtures.js';

/** A primary with most of what a real one carries: certificate, WAF, logging, two behaviours, an error page. */
function fullConfig(): DistributionConfig {
  return distributionConfig({
    ContinuousDeploymentPolicyId: 'policy-of-the-primary',
    IsIPV6Enabled: true,
    PriceClass: 'PriceClass_100',
    WebACLId: 'arn:aws:wafv2:us-east-1:111122223333:global/webacl/site/abc',
    Logging: { Enabled: true, IncludeCookies: false, Bucket: 'logs.s3.amazonaws.com', Prefix: 'cf/' },
    ViewerCertificate: {
      CloudFrontDefaultCertificate: false,
      ACMCertificateArn: 'arn:aws:acm:us-east-1:111122223333:certificate/1',
      SSLSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
      Certificate: 'arn:aws:acm:us-east-1:111122223333:certificate/1',
      CertificateSource: 'acm',
    },
    Restrictions: { GeoRestriction: { RestrictionType: 'none', Quantity: 0 } },
    CacheBehaviors: {
      Quantity: 1,
      Items: [
        {
          PathPattern: '/api/*',
          TargetOriginId: 's3-origin',
          ViewerProtocolPolicy: 'https-only',
          AllowedMethods: {
            Quantity: 3,
            Items: ['GET', 'HEAD', 'OPTIONS'],
            CachedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] },
          },
          TrustedKeyGroups: { Enabled: false, Quantity: 0 },
          FunctionAssociations: {
            Quantity: 1,
            Items: [{ FunctionARN: 'arn:aws:cloudfront::111122223333:function/rewrite', EventType: 'viewer-request' }],
          },
          CachePolicyId: 'cache-policy',
        },
      ],
    },
    CustomErrorResponses: {
      Quantity: 1,
      Items: [{ ErrorCode: 404, ResponsePagePath: '/404.html', ResponseCode: '404', ErrorCachingMinTTL: 10 }],
    },
  });
}

describe('cloudFormationDistributionConfig', () => {
  it("maps the API's shape onto CloudFormation's: lists, renamed fields, nested methods, no derived fields", () => {
    const { properties, unmapped } = cloudFormationDistributionConfig(fullConfig());
    expect(unmapped).toEqual([]);
    expect(properties).toEqual({
      Comment: 'site',
      Enabled: true,
      HttpVersion: 'http2',
      DefaultRootObject: 'index.html',
      IPV6Enabled: true,
      PriceClass: 'PriceClass_100',
      WebACLId: 'arn:aws:wafv2:us-east-1:111122223333:global/webacl/site/abc',
      Logging: { IncludeCookies: false, Bucket: 'logs.s3.amazonaws.com', Prefix: 'cf/' },
      ViewerCertificate: {
        AcmCertificateArn: 'arn:aws:acm:us-east-1:111122223333:certificate/1',
        SslSupportMethod: 'sni-only',
        MinimumProtocolVersion: 'TLSv1.2_2021',
      },
      Restrictions: { GeoRestriction: { RestrictionType: 'none' } },
      Origins: [
        {
          Id: 's3-origin',
          DomainName: `${BUCKET}.s3.us-east-1.amazonaws.com`,
          OriginPath: '/v1',
          OriginAccessControlId: 'E3OACEXAMPLE01',
          S3OriginConfig: { OriginAccessIdentity: '' },
        },
      ],
      DefaultCacheBehavior: {
        TargetOriginId: 's3-origin',
        ViewerProtocolPolicy: 'redirect-to-https',
        CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
      },
      CacheBehaviors: [
        {
          PathPattern: '/api/*',
          TargetOriginId: 's3-origin',
          ViewerProtocolPolicy: 'https-only',
          AllowedMethods: ['GET', 'HEAD', 'OPTIONS'],
          CachedMethods: ['GET', 'HEAD'],
          FunctionAssociations: [
            { FunctionARN: 'arn:aws:cloudfront::111122223333:function/rewrite', EventType: 'viewer-request' },
          ],
          CachePolicyId: 'cache-policy',
        },
      ],
      CustomErrorResponses: [
        { ErrorCode: 404, ResponsePagePath: '/404.html', ResponseCode: 404, ErrorCachingMinTTL: 10 },
      ],
    });
  });

  it('leaves logging out when it is off, and keeps the default certificate without what CloudFront derives', () => {
    const { properties } = cloudFormationDistributionConfig(distributionConfig({ ...PLAIN_LOGGING_AND_CERTIFICATE }));
    expect(properties.Logging).toBeUndefined();
    expect(properties.ViewerCertificate).toEqual({ CloudFrontDefaultCertificate: true });
  });

  it('names every field it cannot write, by its path, instead of leaving it out silently', () => {
    const config = {
      ...distributionConfig(),
      FutureField: 'x',
      DefaultCacheBehavior: { TargetOriginId: 's3-origin', ViewerProtocolPolicy: 'allow-all', NewKnob: 1 },
    } as DistributionConfig;
    expect(cloudFormationDistributionConfig(config).unmapped).toEqual([
      'DistributionConfig.DefaultCacheBehavior.NewKnob',
      'DistributionConfig.FutureField',
    ]);
  });
});

describe('stagingTemplate', () => {
  const readAt = new Date('2026-11-02T00:00:00Z');

  it("makes the release origin's path the OriginPath parameter and keeps the rest of the primary as it is", () => {
    const { template, unmapped } = stagingTemplate({
      primaryId: PRIMARY_ID,
      config: fullConfig(),
      releaseOriginId: 's3-origin',
      traffic: { type: 'header', header: 'aws-cf-cd-staging', value: 'true' },
      readAt,
    });
    expect(unmapped).toEqual([]);
    const t = template as {
      Parameters: Record<string, { Default?: unknown }>;
      Resources: { Staging: { Properties: { DistributionConfig: Record<string, unknown> } }; Policy: unknown };
    };
    expect(t.Parameters.OriginPath?.Default).toBe('/v1');
    expect(t.Parameters.PrimaryDistributionId?.Default).toBe(PRIMARY_ID);
    expect(t.Parameters.OriginAccessControlId?.Default).toBe('E3OACEXAMPLE01');
    expect(t.Parameters.StagingHeaderName?.Default).toBe('aws-cf-cd-staging');
    const staging = t.Resources.Staging.Properties.DistributionConfig;
    expect(staging.Staging).toBe(true);
    expect(staging.Aliases).toBeUndefined();
    expect(staging.Origins).toEqual([
      {
        Id: 's3-origin',
        DomainName: { Ref: 'OriginDomainName' },
        OriginPath: { Ref: 'OriginPath' },
        OriginAccessControlId: { Ref: 'OriginAccessControlId' },
        S3OriginConfig: { OriginAccessIdentity: '' },
      },
    ]);
    expect(staging.WebACLId).toBe('arn:aws:wafv2:us-east-1:111122223333:global/webacl/site/abc');
    expect(t.Resources.Policy).toMatchObject({
      Properties: {
        ContinuousDeploymentPolicyConfig: {
          Enabled: true,
          TrafficConfig: {
            Type: 'SingleHeader',
            SingleHeaderConfig: { Header: { Ref: 'StagingHeaderName' }, Value: { Ref: 'StagingHeaderValue' } },
          },
        },
      },
    });
  });

  it('routes by weight with sticky sessions, or without them', () => {
    const sticky = stagingTemplate({
      primaryId: PRIMARY_ID,
      config: distributionConfig(),
      releaseOriginId: 's3-origin',
      traffic: { type: 'weight', weight: 0.1, stickiness: { idleTTL: 600, maximumTTL: 1200 } },
      readAt,
    }).template as { Parameters: Record<string, { Default?: unknown }>; Resources: { Policy: unknown } };
    expect(sticky.Parameters.StagingWeight?.Default).toBe(0.1);
    expect(sticky.Parameters.SessionIdleTTL?.Default).toBe(600);
    expect(sticky.Parameters.SessionMaximumTTL?.Default).toBe(1200);
    expect(sticky.Parameters.StagingHeaderName).toBeUndefined();
    expect(sticky.Resources.Policy).toMatchObject({
      Properties: {
        ContinuousDeploymentPolicyConfig: {
          TrafficConfig: {
            Type: 'SingleWeight',
            SingleWeightConfig: {
              Weight: { Ref: 'StagingWeight' },
              SessionStickinessConfig: { IdleTTL: { Ref: 'SessionIdleTTL' }, MaximumTTL: { Ref: 'SessionMaximumTTL' } },
            },
          },
        },
      },
    });
    const loose = stagingTemplate({
      primaryId: PRIMARY_ID,
      config: distributionConfig(),
      releaseOriginId: 's3-origin',
      traffic: { type: 'weight', weight: 0.05, stickiness: undefined },
      readAt,
    }).template as { Parameters: Record<string, unknown> };
    expect(Object.keys(loose.Parameters)).not.toContain('SessionIdleTTL');
  });

  it('passes the unmapped fields on, so that the command can refuse', () => {
    const config = { ...distributionConfig(), FutureField: 'x' } as DistributionConfig;
    expect(
      stagingTemplate({
        primaryId: PRIMARY_ID,
        config,
        releaseOriginId: 's3-origin',
        traffic: { type: 'header', header: 'aws-cf-cd-x', value: '1' },
        readAt,
      }).unmapped,
    ).toEqual(['DistributionConfig.FutureField']);
  });
});
