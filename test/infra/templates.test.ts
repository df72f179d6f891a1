import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaValidator } from './schema-validator.js';
import {
  brokenRules,
  infraDir,
  loadInfraTemplates,
  parseTemplate,
  resolveConditions,
  type Template,
  PIPELINE_REQUIRED_PARAMETERS,
} from './template.js';

const templates = loadInfraTemplates();
const pipeline = templates.get('pipeline.yml')!;
const validator = new SchemaValidator();

/** The required parameters of pipeline.yml, and the stacks built from it with the watch off and on. */
const REQUIRED = { ...PIPELINE_REQUIRED_PARAMETERS };
const stacks: Record<string, Record<string, string>> = {
  'watch off, nothing optional': REQUIRED,
  'watch on, every option set': {
    ...REQUIRED,
    StagingDistributionId: 'E3STAGINGABCDE',
    ContinuousDeploymentPolicyId: '0123abcd-0000-4000-8000-000000000000',
    StaticResourceBucketName: 'my-site',
    TemplateConfigurationPath: 'release.json',
    ApprovalTopicArn: 'arn:aws:sns:us-east-1:123456789012:approvals',
    ApprovalExternalEntityLink: 'https://example.com/dashboard',
    PromoteMaxStaging5xxErrorRate: '5',
    WatchMaxStaging5xxErrorRate: '5',
    WatchMaxErrorRateIncrease: '2',
    WatchMinStagingRequests: '200',
    WatchWindowMinutes: '10',
    WatchAlarmNames: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:site-5xx',
  },
  'watch on, alarms only, staging found by domain': {
    ...REQUIRED,
    WatchAlarmNames: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:site-5xx',
  },
  'site shipped as it is (SitePath)': { ...REQUIRED, StaticResourceBucketName: 'my-site', SitePath: 'site' },
  'site built and shipped (SitePath, BuildCommand, BuildOutputPath, CacheRulesPath)': {
    ...REQUIRED,
    StaticResourceBucketName: 'my-site',
    SitePath: 'web',
    BuildCommand: 'npm ci && npm run build',
    BuildOutputPath: 'dist',
    CacheRulesPath: 'web/cache-rules.txt',
    KeepReleases: '10',
  },
};

/** cfn-lint, when it is on PATH: its version, or the reason its checks are skipped. */
const cfnLint = (() => {
  const run = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return run.error || run.status !== 0
    ? { version: undefined, skip: 'cfn-lint is not on PATH (pip install cfn-lint)' }
    : { version: run.stdout.trim(), skip: undefined };
})();

interface Finding {
  Level: string;
  Rule: { Id: string };
  Message: string;
  Filename: string;
  Location: { Start: { LineNumber: number } };
}

/** cfn-lint's findings on template files, one line each. */
function lint(files: string[], shortName: (file: string) => string): { errors: string[]; warnings: string[] } {
  const run = spawnSync('cfn-lint', ['--format', 'json', ...files], { encoding: 'utf8', timeout: 120_000 });
  const findings = JSON.parse(run.stdout || '[]') as Finding[];
  const line = (f: Finding): string =>
    `${f.Level} ${f.Rule.Id} ${shortName(f.Filename)}:${f.Location.Start.LineNumber} ${f.Message}`;
  return {
    errors: findings.filter((f) => f.Level === 'Error').map(line),
    warnings: findings.filter((f) => f.Level !== 'Error').map(line),
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'infra-templates-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('infra templates', () => {
  it('finds the pipeline, the example site and both staging examples', () => {
    expect([...templates.keys()]).toEqual(
      expect.arrayContaining(['pipeline.yml', 'site-example.yml', 'staging-header.yml', 'staging-weight.yml']),
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

  it('the example site outputs exactly the site parameters the pipeline asks for', () => {
    const site = templates.get('site-example.yml')!;
    const outputs = Object.keys(site.Outputs ?? {}).filter((o) => o !== 'PrimaryDomainName');
    expect(outputs.sort()).toEqual(
      ['OriginAccessControlId', 'OriginDomainName', 'PrimaryDistributionId', 'StaticResourceBucketName'].sort(),
    );
    for (const name of outputs) expect(Object.keys(pipeline.Parameters ?? {}), name).toContain(name);
    const primary = site.Resources.Primary!.Properties!.DistributionConfig as Record<string, unknown>;
    expect(primary.HttpVersion).toBe('http2');
  });

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

describe('pipeline.yml as deployed: the watch off and on', () => {
  for (const [name, given] of Object.entries(stacks)) {
    it(`${name}: matches the CloudFormation resource schemas, conditions decided`, () => {
      expect(brokenRules(pipeline, given)).toEqual([]);
      const resolved = resolveConditions(pipeline, given);
      const problems = Object.entries(resolved.Resources).flatMap(([id, r]) =>
        validator.validateResource(id, r.Type, r.Properties),
      );
      expect(problems).toEqual([]);
    });
  }

  it('refuses a site without its bucket, a build without its output or folder, and settings that would be ignored (Rules)', () => {
    const site = { ...REQUIRED, StaticResourceBucketName: 'my-site', SitePath: 'site' };
    const cases: [Record<string, string>, string][] = [
      [{ ...REQUIRED, SitePath: 'site' }, 'SitePath needs StaticResourceBucketName'],
      [{ ...site, BuildCommand: 'make' }, 'BuildCommand needs BuildOutputPath'],
      [
        { ...REQUIRED, StaticResourceBucketName: 'b', BuildCommand: 'make', BuildOutputPath: 'out' },
        'BuildCommand needs SitePath',
      ],
      [{ ...site, BuildOutputPath: 'dist' }, 'BuildOutputPath is the output of BuildCommand'],
      [{ ...REQUIRED, CacheRulesPath: 'rules.txt' }, 'CacheRulesPath applies to the uploads of SitePath'],
    ];
    for (const [given, message] of cases)
      expect(brokenRules(pipeline, given), JSON.stringify(given)).toEqual([expect.stringContaining(message)]);
    expect(brokenRules(pipeline, { ...site, BuildCommand: 'make', BuildOutputPath: 'out' })).toEqual([]);
  });

  it("accepts a site folder of the repository, never one that climbs out of it or hides (SitePath's pattern)", () => {
    const pattern = new RegExp(String(pipeline.Parameters!.SitePath!.AllowedPattern));
    for (const ok of ['', '.', 'site', 'web/public', 'my_site-2.0']) expect(pattern.test(ok), ok).toBe(true);
    for (const bad of ['..', '../site', 'site/..', '/site', 'site/', '.git', 'a//b', 'site name'])
      expect(pattern.test(bad), bad).toBe(false);
  });

  it('refuses a watch minimum or window without a threshold or an alarm (Rules)', () => {
    const alone: Record<string, string>[] = [{ WatchMinStagingRequests: '100' }, { WatchWindowMinutes: '10' }];
    for (const given of alone) {
      expect(brokenRules(pipeline, { ...REQUIRED, ...given }), JSON.stringify(given)).toEqual([
        expect.stringContaining('the watch has nothing to judge'),
      ]);
    }
    expect(brokenRules(pipeline, { ...REQUIRED, WatchWindowMinutes: '10', WatchMaxErrorRateIncrease: '1' })).toEqual(
      [],
    );
  });
});

describe('cfn-lint', () => {
  it.skipIf(cfnLint.skip)(
    `reports nothing on any template of infra/${cfnLint.skip ? ` (skipped: ${cfnLint.skip})` : ''}`,
    () => {
      const { errors, warnings } = lint(
        [...templates.keys()].map((n) => join(infraDir, n)),
        (file) => file.slice(infraDir.length),
      );
      expect(errors).toEqual([]);
      // W3002 (a local Code path, for `aws cloudformation package`) is silenced on each function in pipeline.yml.
      expect(warnings, `cfn-lint ${cfnLint.version}`).toEqual([]);
    },
  );

  it.skipIf(cfnLint.skip)(
    `reports no error on pipeline.yml with the watch off and on, conditions decided${cfnLint.skip ? ` (skipped: ${cfnLint.skip})` : ''}`,
    () => {
      const files = Object.entries(stacks).map(([name, given], i) => {
        const file = join(scratch, `pipeline-${i}.json`);
        writeFileSync(file, JSON.stringify(resolveConditions(pipeline, given) satisfies Template, null, 2));
        return { file, name };
      });
      const { errors, warnings } = lint(
        files.map((f) => f.file),
        (file) => files.find((f) => f.file === file)?.name ?? file,
      );
      expect(errors).toEqual([]);
      // Deciding the conditions leaves parameters unused (W2001): expected, nothing else is.
      expect(warnings.filter((w) => !/ W2001 /.test(w))).toEqual([]);
    },
  );
});
