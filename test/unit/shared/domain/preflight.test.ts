import type { DistributionConfig } from '@aws-sdk/client-cloudfront';
import { describe, expect, it } from 'vitest';
import { StateCheckError } from '../../../../shared/domain/errors.js';
import { cdExclusions, checkPreflight, preflightProblems } from '../../../../shared/domain/preflight.js';
import { PRIMARY_ID, STAGING_ID, distributionConfig, primaryState, stagingState } from '../../fixtures.js';

const primary = distributionConfig();
const staging = (o: Partial<DistributionConfig> = {}) =>
  distributionConfig({ CallerReference: 'staging-ref', Staging: true, Aliases: { Quantity: 0 }, ...o }, '/v2');

describe('preflightProblems', () => {
  it('finds nothing when only carried fields differ (the origin path here), nor for identity fields', () => {
    expect(preflightProblems(primary, staging())).toEqual([]);
  });

  it.each<[string, Partial<DistributionConfig>]>([
    [
      'cache behaviors',
      {
        CacheBehaviors: {
          Quantity: 1,
          Items: [{ PathPattern: '/a/*', TargetOriginId: 's3-origin', ViewerProtocolPolicy: 'allow-all' }],
        },
      },
    ],
    [
      'custom error responses',
      {
        CustomErrorResponses: {
          Quantity: 1,
          Items: [{ ErrorCode: 404, ResponsePagePath: '/404.html', ResponseCode: '404' }],
        },
      },
    ],
    [
      'geo restrictions',
      { Restrictions: { GeoRestriction: { RestrictionType: 'whitelist', Quantity: 1, Items: ['DE'] } } },
    ],
    ['the default root object', { DefaultRootObject: 'home.html' }],
    ['logging', { Logging: { Enabled: true, IncludeCookies: false, Bucket: 'logs.s3.amazonaws.com', Prefix: 'cf/' } }],
    ['the comment', { Comment: 'release 42' }],
  ])('lets %s differ', (_, o) => {
    expect(preflightProblems(primary, staging(o))).toEqual([]);
  });

  it.each<[string, Partial<DistributionConfig>, string, string]>([
    ['the price class', { PriceClass: 'PriceClass_All' }, 'PriceClass', '"PriceClass_All"'],
    ['IPv6', { IsIPV6Enabled: false }, 'IsIPV6Enabled', 'false'],
    [
      'the WAF web ACL',
      { WebACLId: 'arn:aws:wafv2:us-east-1:111122223333:global/webacl/x/1' },
      'WebACLId',
      '"arn:aws:wafv2:us-east-1:111122223333:global/webacl/x/1"',
    ],
    [
      'the certificate',
      { ViewerCertificate: { CloudFrontDefaultCertificate: true } },
      'ViewerCertificate',
      '{"CloudFrontDefaultCertificate":true}',
    ],
    ['Enabled', { Enabled: false }, 'Enabled', 'false'],
    ['the HTTP version', { HttpVersion: 'http1.1' }, 'HttpVersion', '"http1.1"'],
  ])('refuses a difference in %s, naming the field and both values', (_, o, field, stagingValue) => {
    const problems = preflightProblems(primary, staging(o));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ field, staging: stagingValue });
  });

  it.each<[string, DistributionConfig, DistributionConfig]>([
    ['on the primary', distributionConfig({ HttpVersion: 'http2and3' }), staging({ HttpVersion: 'http2and3' })],
    ['on the staging', primary, staging({ HttpVersion: 'http3' })],
  ])('refuses HTTP/3 %s, even when both sides agree', (_, p, s) => {
    expect(preflightProblems(p, s)).toEqual([
      expect.objectContaining({ field: 'HttpVersion', why: expect.stringContaining('HTTP/3') }),
    ]);
  });

  it('refuses a staging with aliases', () => {
    expect(preflightProblems(primary, staging({ Aliases: { Quantity: 1, Items: ['beta.example.com'] } }))).toEqual([
      expect.objectContaining({ field: 'Aliases', staging: '["beta.example.com"]' }),
    ]);
  });

  it('lists every problem at once', () => {
    const fields = preflightProblems(
      primary,
      staging({ PriceClass: 'PriceClass_All', WebACLId: 'acl', HttpVersion: 'http3' }),
    ).map((p) => p.field);
    expect(fields).toEqual(['HttpVersion', 'PriceClass', 'WebACLId']);
  });
});

describe('checkPreflight', () => {
  it('refuses with one message naming each field, both values and what to do', () => {
    const s = stagingState({ config: staging({ PriceClass: 'PriceClass_All' }) });
    const check = () => checkPreflight(primaryState(), s, 'before the one-way promotion');
    expect(check).toThrow(StateCheckError);
    expect(check).toThrow(
      `staging ${STAGING_ID} can never be promoted onto primary ${PRIMARY_ID}, so nothing was changed (before the one-way promotion): PriceClass: primary (not set), staging "PriceClass_All"`,
    );
    expect(check).toThrow(/detached first \(`cfcd suspend --primary <id>`, then `cfcd resume`/);
  });
});

describe('the newer features that exclude continuous deployment (issue 29)', () => {
  it('finds a multi-tenant distribution on either side, by ConnectionMode or TenantConfig', () => {
    expect(cdExclusions(distributionConfig({ ConnectionMode: 'tenant-only' }))).toEqual([
      expect.objectContaining({ field: 'ConnectionMode', why: expect.stringContaining('multi-tenant') }),
    ]);
    expect(cdExclusions(distributionConfig({ TenantConfig: {} }))[0]?.field).toBe('TenantConfig');
    expect(cdExclusions(distributionConfig({ ConnectionMode: 'direct' }))).toEqual([]);
    const both = preflightProblems(
      distributionConfig({ ConnectionMode: 'tenant-only' }),
      staging({ ConnectionMode: 'tenant-only' }),
    );
    expect(both).toEqual([
      expect.objectContaining({ field: 'ConnectionMode', primary: '"tenant-only"', staging: '"tenant-only"' }),
    ]);
  });

  it("finds an origin's ResponseCompletionTimeout, naming the origin", () => {
    const base = staging();
    const origin = { ...base.Origins!.Items![0]!, ResponseCompletionTimeout: 60 };
    const s = staging({ Origins: { Quantity: 1, Items: [origin] } });
    expect(preflightProblems(primary, s)).toEqual([
      expect.objectContaining({
        field: `Origins[${origin.Id}].ResponseCompletionTimeout`,
        primary: '(not set)',
        staging: '60',
      }),
    ]);
  });

  it('refuses such a pair before any write, saying what to do', () => {
    const check = () =>
      checkPreflight(
        primaryState({ config: distributionConfig({ ConnectionMode: 'tenant-only' }) }),
        stagingState(),
        'x',
      );
    expect(check).toThrow(StateCheckError);
    expect(check).toThrow(/use a standard distribution/);
  });
});
