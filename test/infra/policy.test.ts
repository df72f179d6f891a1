import { describe, expect, it } from 'vitest';
import { iamActions, resourceTypesOf } from './iam-actions.js';
import { wildcardAllowList } from './resource-allow-list.js';
import { alternatives, isIntrinsic, listAlternatives, loadInfraTemplates, type Template } from './template.js';

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface FoundStatement {
  where: string;
  role: string;
  lambdaRole: boolean;
  statement: Statement;
}

/** Every permission statement (each Fn::If branch separately) of every IAM role in the templates. */
function permissionStatements(templates: Map<string, Template>): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const [file, t] of templates) {
    for (const [id, r] of Object.entries(t.Resources)) {
      if (r.Type !== 'AWS::IAM::Role') continue;
      const trust = JSON.stringify(r.Properties!.AssumeRolePolicyDocument);
      for (const policy of listAlternatives(r.Properties!.Policies) as {
        PolicyName: string;
        PolicyDocument: { Statement: unknown };
      }[]) {
        for (const statement of listAlternatives(policy.PolicyDocument.Statement) as Statement[]) {
          found.push({
            where: `${file} ${id}/${policy.PolicyName}/${statement.Sid ?? '?'}`,
            role: id,
            lambdaRole: trust.includes('lambda.amazonaws.com'),
            statement,
          });
        }
      }
    }
  }
  return found;
}

/** The Resource text the allow-list is keyed by (see resource-allow-list.ts). */
function resourceText(resource: unknown, template: Template): string {
  if (typeof resource === 'string') return resource;
  if (isIntrinsic(resource) && 'Fn::Sub' in resource) {
    const sub = resource['Fn::Sub'];
    return Array.isArray(sub) ? String(sub[0]) : String(sub);
  }
  if (isIntrinsic(resource) && 'Fn::GetAtt' in resource) {
    const [logicalId, attribute] = resource['Fn::GetAtt'] as [string, string];
    return `!GetAtt ${template.Resources[logicalId]?.Type ?? logicalId}.${attribute}`;
  }
  if (isIntrinsic(resource) && 'Ref' in resource) return `!Ref ${String(resource.Ref)}`;
  return JSON.stringify(resource);
}

/** Resources whose ARN is a pattern: "*", a literal wildcard, or an attribute known to end in ":*". */
function isWildcard(text: string): boolean {
  return text.includes('*') || text === '!GetAtt AWS::Logs::LogGroup.Arn';
}

/**
 * The Service Authorization Reference resource type an ARN of the templates names, from its text. Every Resource of
 * the templates must be recognised here: a new kind of ARN needs a line (and a look at the reference).
 */
function resourceTypeOf(text: string): string | undefined {
  const rules: [RegExp, string][] = [
    [/^arn:\$\{AWS::Partition\}:cloudfront::\$\{AWS::AccountId\}:distribution\//, 'distribution'],
    [
      /^arn:\$\{AWS::Partition\}:cloudfront::\$\{AWS::AccountId\}:continuous-deployment-policy\//,
      'continuous-deployment-policy',
    ],
    [/^arn:\$\{AWS::Partition\}:codepipeline:\$\{AWS::Region\}:\$\{AWS::AccountId\}:\$\{Pipeline\}$/, 'pipeline'],
    [
      /^arn:\$\{AWS::Partition\}:codepipeline:\$\{AWS::Region\}:\$\{AWS::AccountId\}:\$\{Pipeline\}\/[^/]+\/[^/]+$/,
      'action',
    ],
    [/^arn:\$\{AWS::Partition\}:cloudformation:\$\{AWS::Region\}:\$\{AWS::AccountId\}:stack\//, 'stack'],
    [/^arn:\$\{AWS::Partition\}:s3:::\$\{[A-Za-z]+\}\/\*$/, 'object'],
    [/^arn:\$\{AWS::Partition\}:s3:::\$\{[A-Za-z]+\}$/, 'bucket'],
    [/^\$\{ArtifactBucket\.Arn\}\/\*$/, 'object'],
    [/^!GetAtt AWS::S3::Bucket\.Arn$/, 'bucket'],
    // A log group's Arn attribute ends in ":*": the log streams of that group.
    [/^!GetAtt AWS::Logs::LogGroup\.Arn$/, 'log-stream'],
    [/^!GetAtt AWS::Lambda::Function\.Arn$/, 'function'],
    [/^!GetAtt AWS::IAM::Role\.Arn$/, 'role'],
    [/^!Ref ConnectionArn$/, 'Connection'],
    [/^!Ref ApprovalTopicArn$/, 'topic'],
    // WatchAlarmNames: alarm ARNs only (its AllowedPattern), split into one Resource each.
    [/^\{"Fn::Split":\[",",\{"Ref":"WatchAlarmNames"\}\]\}$/, 'alarm'],
  ];
  return rules.find(([pattern]) => pattern.test(text))?.[1];
}

const templates = loadInfraTemplates();
const pipeline = templates.get('pipeline.yml')!;
const statements = permissionStatements(templates);
const allows = statements.filter((s) => s.statement.Effect === 'Allow');
const actionsOf = (s: FoundStatement) => [s.statement.Action].flat();
const inRole = (role: string) => statements.filter((s) => s.role === role);
const withAction = (role: string, action: string) => inRole(role).filter((s) => actionsOf(s).includes(action));
const PRIMARY = 'arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${PrimaryDistributionId}';
const PIPELINE = 'arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:${Pipeline}';
const TAGGED_AS_STAGING = {
  StringEquals: { 'aws:ResourceTag/cloudfront-cd-primary': { Ref: 'PrimaryDistributionId' } },
};

describe('IAM policies', () => {
  it('finds the statements of all six roles (the watch role among them)', () => {
    expect(new Set(statements.map((s) => s.role))).toEqual(
      new Set(['EnableCdRole', 'PromoteRole', 'AbortRole', 'WatchRole', 'StagingDeployRole', 'PipelineRole']),
    );
  });

  it('never allows Action "*" or a wildcard action such as cloudfront:*', () => {
    const offenders = allows.flatMap((s) =>
      actionsOf(s)
        .filter((a) => a.includes('*'))
        .map((a) => `${s.where}: ${a}`),
    );
    expect(offenders).toEqual([]);
  });

  it('knows every action of the templates from the Service Authorization Reference (iam-actions.ts)', () => {
    const unknown = statements.flatMap((s) =>
      actionsOf(s)
        .filter((a) => !(a in iamActions))
        .map((a) => `${s.where}: ${a}`),
    );
    expect(unknown).toEqual([]);
  });

  it('uses Resource "*" only for actions that take no resource ARN', () => {
    const offenders = allows.flatMap((s) =>
      listAlternatives(s.statement.Resource).some((r) => r === '*')
        ? actionsOf(s)
            .filter((a) => resourceTypesOf(a)?.length !== 0)
            .map((a) => `${s.where}: ${a} takes ${resourceTypesOf(a)?.join(', ')}`)
        : [],
    );
    expect(offenders).toEqual([]);
  });

  it('scopes every other Resource to an ARN of a type each of its actions takes', () => {
    const offenders: string[] = [];
    for (const s of statements) {
      for (const resource of listAlternatives(s.statement.Resource)) {
        if (resource === '*') continue;
        const text = resourceText(resource, pipeline);
        const type = resourceTypeOf(text);
        if (!type) {
          offenders.push(`${s.where}: no resource type known for ${text}`);
          continue;
        }
        for (const action of actionsOf(s)) {
          // A Deny may name actions of several types at once; an Allow must match.
          if (s.statement.Effect === 'Allow' && !resourceTypesOf(action)?.includes(type))
            offenders.push(`${s.where}: ${action} takes no ${type} (${text})`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('lists in the allow-list "*" only for actions that take no resource ARN', () => {
    const offenders = wildcardAllowList
      .filter((e) => e.resource === '*')
      .flatMap((e) => e.actions.filter((a) => resourceTypesOf(a)?.length !== 0));
    expect(offenders).toEqual([]);
  });

  it('allows a wildcard Resource only for the actions and reason listed in the allow-list', () => {
    const offenders: string[] = [];
    for (const s of allows) {
      const actions = actionsOf(s);
      for (const resource of listAlternatives(s.statement.Resource)) {
        const text = resourceText(resource, pipeline);
        if (!isWildcard(text)) continue;
        const covered = wildcardAllowList.some(
          (e) => e.resource === text && actions.every((a) => e.actions.includes(a)),
        );
        if (!covered) offenders.push(`${s.where}: ${actions.join(', ')} on ${text}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the allow-list detects an unlisted Resource "*"', () => {
    const text = resourceText('*', pipeline);
    expect(
      wildcardAllowList.some(
        (e) => e.resource === text && ['cloudfront:UpdateDistribution'].every((a) => e.actions.includes(a)),
      ),
    ).toBe(false);
  });

  it('Lambda roles reach distribution/* only through the staging tag of this primary', () => {
    const untagged = statements.filter(
      (s) =>
        s.lambdaRole &&
        listAlternatives(s.statement.Resource).some((r) => resourceText(r, pipeline).endsWith(':distribution/*')) &&
        JSON.stringify(s.statement.Condition) !== JSON.stringify(TAGGED_AS_STAGING),
    );
    expect(untagged.map((s) => s.where)).toEqual([]);
  });

  it('only the primary may be updated by enable-cd and abort, and the watch updates no distribution', () => {
    for (const role of ['EnableCdRole', 'AbortRole']) {
      expect(
        withAction(role, 'cloudfront:UpdateDistribution').map((s) => resourceText(s.statement.Resource, pipeline)),
        role,
      ).toEqual([PRIMARY]);
    }
    expect(withAction('WatchRole', 'cloudfront:UpdateDistribution')).toEqual([]);
  });

  it('lets promote invalidate only the primary, and enable-cd only the staging', () => {
    const invalidating = (role: string) =>
      inRole(role)
        .filter((s) => actionsOf(s).includes('cloudfront:CreateInvalidation'))
        .map((s) => ({
          actions: actionsOf(s),
          resource: resourceText(s.statement.Resource, pipeline),
          tagged: JSON.stringify(s.statement.Condition) === JSON.stringify(TAGGED_AS_STAGING),
        }));
    const actions = ['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation', 'cloudfront:ListInvalidations'];
    expect(invalidating('PromoteRole')).toEqual([{ actions, resource: PRIMARY, tagged: false }]);
    expect(invalidating('EnableCdRole')).toEqual([
      { actions, resource: PRIMARY.replace('${PrimaryDistributionId}', '${StagingDistributionId}'), tagged: false },
      { actions, resource: PRIMARY.replace('${PrimaryDistributionId}', '*'), tagged: true },
    ]);
    for (const role of ['AbortRole', 'WatchRole', 'StagingDeployRole', 'PipelineRole'])
      expect(invalidating(role), role).toEqual([]);
  });

  it('the staging deploy role updates or deletes only the tagged staging distribution, never any distribution of the account', () => {
    const writes = inRole('StagingDeployRole').filter(
      (s) =>
        s.statement.Effect === 'Allow' &&
        actionsOf(s).some((a) => ['cloudfront:UpdateDistribution', 'cloudfront:DeleteDistribution'].includes(a)),
    );
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) {
      const resource = resourceText(w.statement.Resource, pipeline);
      const exact = resource.endsWith(':distribution/${StagingDistributionId}');
      const tagged = JSON.stringify(w.statement.Condition) === JSON.stringify(TAGGED_AS_STAGING);
      expect(exact || tagged, w.where).toBe(true);
    }
  });

  it('the staging deploy role creates only a distribution tagged as staging for this primary', () => {
    const create = withAction('StagingDeployRole', 'cloudfront:CreateDistribution');
    expect(create).toHaveLength(1);
    expect(actionsOf(create[0]!)).toEqual(['cloudfront:CreateDistribution']);
    expect(create[0]!.statement.Condition).toEqual({
      StringEquals: { 'aws:RequestTag/cloudfront-cd-primary': { Ref: 'PrimaryDistributionId' } },
    });
    // The condition key is one the reference lists for the action: a key it does not list would never match.
    expect(iamActions['cloudfront:CreateDistribution']!.conditionKeys).toContain('aws:RequestTag/${TagKey}');
  });

  it('the staging deploy role is denied every write on the primary', () => {
    const deny = inRole('StagingDeployRole').find((s) => s.statement.Effect === 'Deny');
    expect(deny?.statement.Action).toEqual(
      expect.arrayContaining(['cloudfront:UpdateDistribution', 'cloudfront:DeleteDistribution']),
    );
    expect(resourceText(deny?.statement.Resource, pipeline)).toBe(PRIMARY);
  });

  it('grants enable-cd S3 access only when StaticResourceBucketName is set: the bucket policy, and reading the release objects', () => {
    const role = pipeline.Resources.EnableCdRole!.Properties!.Policies as {
      PolicyDocument: { Statement: unknown[] };
    }[];
    const s3 = role[0]!.PolicyDocument.Statement.filter((s) => JSON.stringify(s).includes('"s3:')) as {
      'Fn::If': [string, Statement, unknown];
    }[];
    expect(s3).toHaveLength(2);
    for (const s of s3) {
      expect(s['Fn::If'][0]).toBe('HasOriginBucket');
      expect(s['Fn::If'][2]).toEqual({ Ref: 'AWS::NoValue' });
    }
    expect(s3.map((s) => [[s['Fn::If'][1].Action].flat(), alternatives(s['Fn::If'][1].Resource)])).toEqual([
      [
        ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:ListBucket'],
        [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${StaticResourceBucketName}' }],
      ],
      [['s3:GetObject'], [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${StaticResourceBucketName}/*' }]],
    ]);
  });

  it('lets abort list the action executions of this pipeline only, and read (never write) the staging', () => {
    expect(
      withAction('AbortRole', 'codepipeline:ListActionExecutions').map((s) =>
        resourceText(s.statement.Resource, pipeline),
      ),
    ).toEqual([PIPELINE]);
    const staging = inRole('AbortRole').filter((s) => /^ReadStaging/.test(s.statement.Sid ?? ''));
    expect(staging.map((s) => actionsOf(s))).toEqual([['cloudfront:GetDistribution'], ['cloudfront:GetDistribution']]);
  });

  it('passes the deploy role only to CloudFormation', () => {
    const pass = statements.find((s) => actionsOf(s).includes('iam:PassRole'))!;
    expect(pass.statement.Resource).toEqual({ 'Fn::GetAtt': ['StagingDeployRole', 'Arn'] });
    expect(pass.statement.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
    });
  });
});

describe('the watch role', () => {
  const resources = (action: string) =>
    withAction('WatchRole', action).flatMap((s) =>
      listAlternatives(s.statement.Resource).map((r) => resourceText(r, pipeline)),
    );

  it('holds exactly the actions the watch calls, and reports no pipeline job', () => {
    expect(new Set(inRole('WatchRole').flatMap(actionsOf))).toEqual(
      new Set([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'cloudfront:GetDistribution',
        'cloudfront:ListDistributions',
        'cloudfront:GetContinuousDeploymentPolicy',
        'cloudfront:UpdateContinuousDeploymentPolicy',
        'cloudwatch:GetMetricData',
        'cloudwatch:DescribeAlarms',
        'codepipeline:GetPipelineState',
        'codepipeline:ListActionExecutions',
        'codepipeline:PutApprovalResult',
      ]),
    );
  });

  it("answers only this pipeline's approval action, and reads only this pipeline", () => {
    expect(resources('codepipeline:PutApprovalResult')).toEqual([`${PIPELINE}/Release/ApproveStaging`]);
    expect(resources('codepipeline:GetPipelineState')).toEqual([PIPELINE]);
    expect(resources('codepipeline:ListActionExecutions')).toEqual([PIPELINE]);
  });

  it('reads exactly the named alarms, and only when WatchAlarmNames is set', () => {
    const role = pipeline.Resources.WatchRole!.Properties!.Policies as { PolicyDocument: { Statement: unknown[] } }[];
    const alarms = role[0]!.PolicyDocument.Statement.find((s) => JSON.stringify(s).includes('DescribeAlarms')) as {
      'Fn::If': [string, Statement, unknown];
    };
    expect(alarms['Fn::If'][0]).toBe('WatchReadsAlarms');
    expect(alarms['Fn::If'][1].Resource).toEqual({ 'Fn::Split': [',', { Ref: 'WatchAlarmNames' }] });
    expect(alarms['Fn::If'][2]).toEqual({ Ref: 'AWS::NoValue' });
  });

  it('lists distributions only while StagingDistributionId is empty, and disables only the policy it may read', () => {
    const role = pipeline.Resources.WatchRole!.Properties!.Policies as { PolicyDocument: { Statement: unknown[] } }[];
    const list = role[0]!.PolicyDocument.Statement.find((s) => JSON.stringify(s).includes('ListDistributions')) as {
      'Fn::If': [string, unknown, Statement];
    };
    expect(list['Fn::If'][0]).toBe('HasStagingDistributionId');
    expect(list['Fn::If'][1]).toEqual({ Ref: 'AWS::NoValue' });
    expect(list['Fn::If'][2]).toMatchObject({ Action: 'cloudfront:ListDistributions', Resource: '*' });
    expect(resources('cloudfront:UpdateContinuousDeploymentPolicy')).toEqual(
      resources('cloudfront:GetContinuousDeploymentPolicy'),
    );
  });

  it('reads CloudWatch metrics only when a watch gate figure is set', () => {
    const role = pipeline.Resources.WatchRole!.Properties!.Policies as { PolicyDocument: { Statement: unknown[] } }[];
    const metrics = role[0]!.PolicyDocument.Statement.find((s) => JSON.stringify(s).includes('GetMetricData')) as {
      'Fn::If': [string, unknown, unknown];
    };
    expect(metrics['Fn::If'][0]).toBe('WatchReadsMetrics');
    expect(metrics['Fn::If'][2]).toEqual({ Ref: 'AWS::NoValue' });
  });
});
