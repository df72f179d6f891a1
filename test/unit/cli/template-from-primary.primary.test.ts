import type { DistributionConfig } from '@aws-sdk/client-cloudfront';
import { describe, expect, it } from 'vitest';
import { cloudFormationDistributionConfig, primaryTemplate } from '../../../cli/template-from-primary.js';
import { POLICY_ID, PRIMARY_ID, distributionConfig } from '../fixtures.js';

const readAt = new Date('2026-11-02T00:00:00Z');

interface Template {
  Parameters: Record<string, { Default?: unknown }>;
  Conditions: Record<string, unknown>;
  Resources: Record<
    string,
    { Type: string; DeletionPolicy: string; UpdateReplacePolicy: string; Properties: Record<string, unknown> }
  >;
  Outputs: Record<string, { Value: unknown }>;
}

function template(config: DistributionConfig, logicalId = 'Primary') {
  const { template, unmapped } = primaryTemplate({
    primaryId: PRIMARY_ID,
    config,
    releaseOriginId: 's3-origin',
    logicalId,
    readAt,
  });
  return { t: template as unknown as Template, unmapped };
}

describe('primaryTemplate', () => {
  it('writes what a promotion left on the primary: the promoted origin path is the OriginPath default', () => {
    // After promoting /v2, the primary's stack still says /v1: the template says /v2.
    const { t, unmapped } = template(distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, '/v2'));
    expect(unmapped).toEqual([]);
    expect(t.Parameters.OriginPath?.Default).toBe('/v2');
    const config = t.Resources.Primary?.Properties.DistributionConfig as Record<string, unknown>;
    expect(config.Origins).toEqual([
      {
        Id: 's3-origin',
        DomainName: 'site-assets-bucket.s3.us-east-1.amazonaws.com',
        OriginPath: { Ref: 'OriginPath' },
        OriginAccessControlId: 'E3OACEXAMPLE01',
        S3OriginConfig: { OriginAccessIdentity: '' },
      },
    ]);
  });

  it("keeps the primary's aliases and its attached policy, which the staging template leaves out", () => {
    const { t } = template(distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }));
    const config = t.Resources.Primary?.Properties.DistributionConfig as Record<string, unknown>;
    expect(config.Aliases).toEqual(['www.example.com']);
    expect(config).not.toHaveProperty('Staging');
    expect(t.Parameters.ContinuousDeploymentPolicyId?.Default).toBe(POLICY_ID);
    expect(config.ContinuousDeploymentPolicyId).toEqual({
      'Fn::If': ['HasPolicy', { Ref: 'ContinuousDeploymentPolicyId' }, { Ref: 'AWS::NoValue' }],
    });
    expect(t.Conditions.HasPolicy).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ContinuousDeploymentPolicyId' }, ''] }],
    });
    // Everything else is the staging template's mapping of the same config.
    const { properties } = cloudFormationDistributionConfig(distributionConfig());
    const { Aliases: _a, ContinuousDeploymentPolicyId: _p, Origins: _o, ...rest } = config;
    const { Origins: _so, ...same } = properties;
    expect(rest).toEqual(same);
  });

  it('has no policy default and no aliases when the primary has none (after a teardown)', () => {
    const { t } = template(distributionConfig({ Aliases: { Quantity: 0 } }));
    const config = t.Resources.Primary?.Properties.DistributionConfig as Record<string, unknown>;
    expect(t.Parameters.ContinuousDeploymentPolicyId?.Default).toBe('');
    expect(config).not.toHaveProperty('Aliases');
  });

  it('retains the distribution on deletion and replacement (an import requires it), under the logical id asked', () => {
    const { t } = template(distributionConfig(), 'Site');
    expect(Object.keys(t.Resources)).toEqual(['Site']);
    expect(t.Resources.Site).toMatchObject({
      Type: 'AWS::CloudFront::Distribution',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(t.Outputs.PrimaryDistributionId?.Value).toEqual({ Ref: 'Site' });
    expect(t.Outputs.PrimaryDomainName?.Value).toEqual({ 'Fn::GetAtt': ['Site', 'DomainName'] });
  });

  it('names the fields it cannot write, aliases included, so that the command can refuse', () => {
    const odd = distributionConfig({
      Aliases: { Quantity: 1, Items: ['www.example.com'], Wildcard: true } as DistributionConfig['Aliases'],
      FutureSetting: { Enabled: true },
    } as unknown as DistributionConfig);
    expect(template(odd).unmapped).toEqual(['DistributionConfig.FutureSetting', 'DistributionConfig.Aliases.Wildcard']);
  });
});
