import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SchemaValidator } from './schema-validator.js';
import { infraDir, loadInfraTemplates, parseTemplate } from './template.js';

const templates = loadInfraTemplates();
const validator = new SchemaValidator();

describe('infra templates', () => {
  it('finds the pipeline and both staging examples', () => {
    expect([...templates.keys()]).toEqual(
      expect.arrayContaining(['pipeline.yml', 'staging-header.yml', 'staging-weight.yml']),
    );
  });

  for (const [name, template] of templates) {
    it(`${name} matches the CloudFormation resource schemas`, () => {
      const problems = Object.entries(template.Resources).flatMap(([id, r]) =>
        validator.validateResource(id, r.Type, r.Properties),
      );
      expect(problems).toEqual([]);
    });
  }

  it('staging templates set Staging, http2, no Aliases, and export the ids the pipeline reads', () => {
    for (const name of ['staging-header.yml', 'staging-weight.yml']) {
      const t = templates.get(name)!;
      const staging = Object.values(t.Resources).find((r) => r.Type === 'AWS::CloudFront::Distribution')!;
      const config = staging.Properties!.DistributionConfig as Record<string, unknown>;
      expect(config.Staging, name).toBe(true);
      expect(config.HttpVersion, name).toBe('http2');
      expect(config.Aliases, name).toBeUndefined();
      expect(Object.keys(t.Outputs ?? {}), name).toEqual(
        expect.arrayContaining(['StagingDistributionId', 'ContinuousDeploymentPolicyId']),
      );
      expect(t.Outputs!.StagingDistributionId!.Export, name).toBeDefined();
      expect(t.Outputs!.ContinuousDeploymentPolicyId!.Export, name).toBeDefined();
    }
  });
});

describe('schema validator', () => {
  const distribution = (config: Record<string, unknown>): string[] =>
    validator.validateResource('Staging', 'AWS::CloudFront::Distribution', { DistributionConfig: config });
  const minimalConfig = {
    Enabled: true,
    DefaultCacheBehavior: { TargetOriginId: 'o', ViewerProtocolPolicy: 'redirect-to-https' },
  };

  it('accepts a minimal valid resource, skipping intrinsic values', () => {
    expect(distribution({ ...minimalConfig, Comment: { 'Fn::Sub': '${AWS::StackName}' } })).toEqual([]);
  });

  it('reports an unknown resource type', () => {
    expect(validator.validateResource('X', 'AWS::CloudFront::Distrbution', {})).toEqual([
      'X: unknown resource type AWS::CloudFront::Distrbution',
    ]);
  });

  it('reports an unknown property in a nested type', () => {
    expect(
      distribution({ ...minimalConfig, Origins: [{ Id: 'o', DomainName: 'b.s3.amazonaws.com', OriginPat: '/v2' }] }),
    ).toEqual(['Staging.DistributionConfig.Origins[0]: unknown property OriginPat']);
  });

  it('reports a missing required property in a nested type', () => {
    expect(distribution({ Enabled: true, DefaultCacheBehavior: { TargetOriginId: 'o' } })).toEqual([
      'Staging.DistributionConfig.DefaultCacheBehavior: missing required property ViewerProtocolPolicy',
    ]);
  });

  it('reports an enum value the schema does not allow, in either branch of Fn::If', () => {
    const policy = (type: unknown): string[] =>
      validator.validateResource('Policy', 'AWS::CloudFront::ContinuousDeploymentPolicy', {
        ContinuousDeploymentPolicyConfig: {
          Enabled: true,
          StagingDistributionDnsNames: ['d.cloudfront.net'],
          TrafficConfig: { Type: type },
        },
      });
    expect(policy('SingleHeader')).toEqual([]);
    expect(policy('SingleCookie')).toEqual([
      'Policy.ContinuousDeploymentPolicyConfig.TrafficConfig.Type: "SingleCookie" is not one of SingleWeight, SingleHeader',
    ]);
    expect(policy({ 'Fn::If': ['C', 'SingleWeight', 'Both'] })).toHaveLength(1);
  });

  it('parses short-form tags into the long form', () => {
    const t = parseTemplate(
      'Resources:\n  A:\n    Type: X\n    Properties:\n      B: !GetAtt R.Arn\n      C: !If [Cond, !Ref P, !Sub "a${P}"]\n',
    );
    expect(t.Resources.A!.Properties).toEqual({
      B: { 'Fn::GetAtt': ['R', 'Arn'] },
      C: { 'Fn::If': ['Cond', { Ref: 'P' }, { 'Fn::Sub': 'a${P}' }] },
    });
  });
});

describe('cfn-lint', () => {
  it('reports no errors on any template (warnings are listed)', () => {
    const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
    if (version.error || version.status !== 0) {
      console.log('cfn-lint is not on PATH: skipping the cfn-lint check');
      return;
    }
    const files = [...templates.keys()].map((n) => join(infraDir, n));
    const run = spawnSync('cfn-lint', ['--format', 'json', ...files], { encoding: 'utf8', timeout: 120_000 });
    const findings = JSON.parse(run.stdout || '[]') as {
      Level: string;
      Rule: { Id: string };
      Message: string;
      Filename: string;
      Location: { Start: { LineNumber: number } };
    }[];
    const line = (f: (typeof findings)[number]): string =>
      `${f.Level} ${f.Rule.Id} ${f.Filename.slice(infraDir.length)}:${f.Location.Start.LineNumber} ${f.Message}`;
    const others = findings.filter((f) => f.Level !== 'Error');
    if (others.length > 0)
      console.log(`cfn-lint ${version.stdout.trim()}: ${others.length} warning(s)\n${others.map(line).join('\n')}`);
    expect(findings.filter((f) => f.Level === 'Error').map(line)).toEqual([]);
  });
});
