import { describe, expect, it } from 'vitest';
import { iamActions, resourceTypesOf } from './iam-actions.js';
import { wildcardAllowList } from './resource-allow-list.js';
import { ACCOUNT, allows as iamAllows, concreteResources, type PolicyStatement } from './iam-model.js';
import {
  alternatives,
  isIntrinsic,
  listAlternatives,
  loadInfraTemplates,
  parameterValues,
  resolveConditions,
  type Template,
  PIPELINE_REQUIRED_PARAMETERS,
} from './template.js';

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
    // The release folders of the site bucket (SitePath), and the cfcd bundle infra/package.sh uploads.
    [/^arn:\$\{AWS::Partition\}:s3:::\$\{StaticResourceBucketName\}\/releases\/\*$/, 'object'],
    [/^arn:\$\{AWS::Partition\}:s3:::\$\{Bucket\}\/\$\{Key\}$/, 'object'],
    [/^!GetAtt AWS::CodeBuild::Project\.Arn$/, 'project'],
    [/^\$\{ArtifactBucket\.Arn\}\/\*$/, 'object'],
    // The revert records promote writes and the bake reads (BakeMinutes).
    [/^\$\{ArtifactBucket\.Arn\}\/cfcd-revert\/\*$/, 'object'],
    [/^!GetAtt AWS::S3::Bucket\.Arn$/, 'bucket'],
    // A log group's Arn attribute ends in ":*": the log streams of that group.
    [/^!GetAtt AWS::Logs::LogGroup\.Arn$/, 'log-stream'],
    [/^!GetAtt AWS::Lambda::Function\.Arn$/, 'function'],
    [/^!GetAtt AWS::IAM::Role\.Arn$/, 'role'],
    [/^!GetAtt AWS::SQS::Queue\.Arn$/, 'queue'],
    [/^!Ref ConnectionArn$/, 'Connection'],
    [/^!Ref ApprovalTopicArn$/, 'topic'],
    // WatchAlarmNames: alarm ARNs only (its AllowedPattern), split into one Resource each.
    [/^\{"Fn::Split":\[",",\{"Ref":"WatchAlarmNames"\}\]\}$/, 'alarm'],
    // BakeAlarmNames: the same, for the bake.
    [/^\{"Fn::Split":\[",",\{"Ref":"BakeAlarmNames"\}\]\}$/, 'alarm'],
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
/** Every action of iam-actions.ts that writes a distribution (takes the distribution type and is no Get or List). */
const DISTRIBUTION_WRITES = Object.keys(iamActions).filter(
  (a) =>
    a.startsWith('cloudfront:') && resourceTypesOf(a)?.includes('distribution') && !/^cloudfront:(Get|List)/.test(a),
);
const TAGGED_AS_STAGING = {
  StringEquals: { 'aws:ResourceTag/cloudfront-cd-primary': { Ref: 'PrimaryDistributionId' } },
};

describe('IAM policies', () => {
  it('finds the statements of all ten roles (the watch, ramp, bake and Ship stage roles among them)', () => {
    expect(new Set(statements.map((s) => s.role))).toEqual(
      new Set([
        'EnableCdRole',
        'PromoteRole',
        'AbortRole',
        'WatchRole',
        'RampRole',
        'BakeRole',
        'StagingDeployRole',
        'PipelineRole',
        'SiteBuildRole',
        'SiteUploadRole',
      ]),
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

  it('lets the ramp update only the continuous deployment policy: no distribution write, no invalidation', () => {
    const writes = inRole('RampRole').flatMap((s) =>
      actionsOf(s).filter((a) => /^cloudfront:(Update|Create|Delete)/.test(a) || a.startsWith('s3:')),
    );
    expect(writes).toEqual(['cloudfront:UpdateContinuousDeploymentPolicy']);
    const update = withAction('RampRole', 'cloudfront:UpdateContinuousDeploymentPolicy');
    expect(update.map((s) => resourceText(s.statement.Resource, pipeline))).toEqual([
      expect.stringContaining(':continuous-deployment-policy/'),
    ]);
  });

  it('lets promote invalidate only the primary, and enable-cd only the staging', () => {
    const invalidating = (role: string) =>
      inRole(role)
        .filter((s) => s.statement.Effect === 'Allow' && actionsOf(s).includes('cloudfront:CreateInvalidation'))
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

  it('the staging deploy role is denied every write on the primary, promotion and cache purges included', () => {
    const deny = inRole('StagingDeployRole').find((s) => s.statement.Effect === 'Deny');
    expect(DISTRIBUTION_WRITES).toContain('cloudfront:UpdateDistributionWithStagingConfig');
    expect([deny?.statement.Action].flat()).toEqual(expect.arrayContaining(DISTRIBUTION_WRITES));
    expect(resourceText(deny?.statement.Resource, pipeline)).toBe(PRIMARY);
  });

  it('uses on CloudFront actions only the condition keys the reference lists for them (others never match)', () => {
    const offenders = allows.flatMap((s) =>
      actionsOf(s)
        .filter((a) => a.startsWith('cloudfront:'))
        .flatMap((a) =>
          Object.values(s.statement.Condition ?? {})
            .flatMap((keys) => Object.keys(keys))
            .filter((key) => {
              if (key.startsWith('aws:ResourceTag/')) return !resourceTypesOf(a)?.includes('distribution');
              const generic = key.replace(/^aws:RequestTag\/.*/, 'aws:RequestTag/${TagKey}');
              return !iamActions[a]?.conditionKeys?.includes(generic);
            })
            .map((key) => `${s.where}: ${a} takes no ${key}`),
        ),
    );
    expect(offenders).toEqual([]);
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

describe('the Ship stage (SitePath)', () => {
  const SITE_OBJECTS = 'arn:${AWS::Partition}:s3:::${StaticResourceBucketName}/releases/*';
  const SITE_BUCKET = 'arn:${AWS::Partition}:s3:::${StaticResourceBucketName}';
  const s3Statements = (role: string) => inRole(role).filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
  const siteStatements = (role: string) =>
    s3Statements(role).filter((s) => resourceText(s.statement.Resource, pipeline).includes('StaticResourceBucketName'));

  it("denies the build role, which runs the repository's code, every write of a revert record", () => {
    const deny = inRole('SiteBuildRole').filter((s) => s.statement.Effect === 'Deny');
    expect(deny.map((s) => [actionsOf(s), resourceText(s.statement.Resource, pipeline)])).toEqual([
      [['s3:PutObject', 's3:DeleteObject'], '${ArtifactBucket.Arn}/cfcd-revert/*'],
    ]);
    // Only promote may write one (the record of what it replaced); the bake and promote's prune read them.
    const writers = allows.filter(
      (s) =>
        actionsOf(s).some((a) => a === 's3:PutObject') &&
        resourceText(s.statement.Resource, pipeline).includes('cfcd-revert'),
    );
    expect(writers.map((s) => s.role)).toEqual(['PromoteRole']);
  });

  it("gives the build role, which runs the repository's build command, nothing of the site bucket", () => {
    expect(inRole('SiteBuildRole').length).toBeGreaterThan(0);
    expect(siteStatements('SiteBuildRole')).toEqual([]);
    expect(
      s3Statements('SiteBuildRole')
        .filter((s) => s.statement.Effect === 'Allow')
        .map((s) => resourceText(s.statement.Resource, pipeline)),
    ).toEqual(['${ArtifactBucket.Arn}/*']);
  });

  it('lets the upload role write only releases/* of the site bucket, and list only that prefix; never delete', () => {
    const site = siteStatements('SiteUploadRole');
    expect(site.map((s) => [actionsOf(s), resourceText(s.statement.Resource, pipeline)])).toEqual([
      [['s3:ListBucket'], SITE_BUCKET],
      [['s3:GetObject'], SITE_OBJECTS],
      [['s3:PutObject'], SITE_OBJECTS],
    ]);
    expect(site[0]!.statement.Condition).toEqual({ StringLike: { 's3:prefix': 'releases/*' } });
    expect(site[1]!.statement.Condition).toBeUndefined();
    expect(
      inRole('SiteUploadRole')
        .flatMap(actionsOf)
        .filter((a) => /Delete/.test(a)),
    ).toEqual([]);
  });

  it('lets the upload role only create objects: every put must carry If-None-Match, so none overwrites', () => {
    const puts = inRole('SiteUploadRole').filter((s) => actionsOf(s).includes('s3:PutObject'));
    const site = puts.filter((s) => resourceText(s.statement.Resource, pipeline).includes('StaticResourceBucketName'));
    expect(site).toHaveLength(1);
    // IAM's Null test: "false" = the request carries the key. S3 accepts only "*" as its value (a create-only put).
    expect(site[0]!.statement.Condition).toEqual({ Null: { 's3:if-none-match': 'false' } });
    // The condition key is one the reference lists for the action: a key it does not list would never match.
    expect(iamActions['s3:PutObject']!.conditionKeys).toContain('s3:if-none-match');
  });

  it('lets promote prune only releases/*, and only when SitePath is set', () => {
    const site = siteStatements('PromoteRole');
    expect(site.map((s) => [actionsOf(s), resourceText(s.statement.Resource, pipeline)])).toEqual([
      [['s3:ListBucket'], SITE_BUCKET],
      [['s3:GetObject', 's3:DeleteObject'], SITE_OBJECTS],
    ]);
    expect(site[0]!.statement.Condition).toEqual({ StringLike: { 's3:prefix': 'releases/*' } });
    const promote = pipeline.Resources.PromoteRole!.Properties!.Policies as {
      PolicyDocument: { Statement: unknown[] };
    }[];
    const conditional = promote[0]!.PolicyDocument.Statement.filter((s) => JSON.stringify(s).includes('"s3:')) as {
      'Fn::If': [string, Statement, unknown];
    }[];
    expect(conditional.map((s) => [s['Fn::If'][0], s['Fn::If'][2]])).toEqual([
      ['ShipsSite', { Ref: 'AWS::NoValue' }],
      ['ShipsSite', { Ref: 'AWS::NoValue' }],
      ['BakeOn', { Ref: 'AWS::NoValue' }],
      ['BakeOn', { Ref: 'AWS::NoValue' }],
      ['BakeOn', { Ref: 'AWS::NoValue' }],
    ]);
  });

  it('no other role may write or delete release folders', () => {
    const writers = allows
      .filter((s) => !['SiteUploadRole', 'PromoteRole'].includes(s.role))
      .filter((s) => actionsOf(s).some((a) => a === 's3:PutObject' || a === 's3:DeleteObject'))
      .filter((s) => {
        const text = resourceText(s.statement.Resource, pipeline);
        return text.includes('StaticResourceBucketName');
      });
    expect(writers.map((s) => s.where)).toEqual([]);
  });

  it('lets the pipeline start and follow only the Ship stage projects', () => {
    const builds = withAction('PipelineRole', 'codebuild:StartBuild');
    expect(builds).toHaveLength(1);
    expect(actionsOf(builds[0]!)).toEqual(['codebuild:StartBuild', 'codebuild:BatchGetBuilds']);
    expect(listAlternatives(builds[0]!.statement.Resource)).toEqual([
      { 'Fn::GetAtt': ['SiteBuildProject', 'Arn'] },
      { 'Fn::GetAtt': ['SiteUploadProject', 'Arn'] },
      { 'Fn::GetAtt': ['SiteUploadProject', 'Arn'] },
    ]);
  });

  it('reads only the one cfcd bundle infra/package.sh uploaded', () => {
    const read = inRole('SiteUploadRole').find((s) => s.statement.Sid === 'ReadCfcd')!;
    expect(actionsOf(read)).toEqual(['s3:GetObject']);
    expect(resourceText(read.statement.Resource, pipeline)).toBe('arn:${AWS::Partition}:s3:::${Bucket}/${Key}');
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
        'sqs:SendMessage',
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

/** The required parameters of pipeline.yml, the watch on (its role is one more that could reach too far). */
const REQUIRED = { ...PIPELINE_REQUIRED_PARAMETERS, WatchMaxStaging5xxErrorRate: '5' };
const STAGING_ID = 'E3STAGINGABCDE';
const POLICY_ID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
/** The stack of the first deploy (no ids yet) and the stack once both ids are pinned (docs/deploy.md, step 9). */
const STACKS: Record<string, Record<string, string>> = {
  'first deploy': REQUIRED,
  pinned: { ...REQUIRED, StagingDistributionId: STAGING_ID, ContinuousDeploymentPolicyId: POLICY_ID },
};
const TAG = 'cloudfront-cd-primary';
const distribution = (id: string) => `arn:aws:cloudfront::${ACCOUNT}:distribution/${id}`;
const policyArn = (id: string) => `arn:aws:cloudfront::${ACCOUNT}:continuous-deployment-policy/${id}`;
const OTHER_DISTRIBUTION = distribution('EOTHERTEAM0001');
const OTHER_POLICY = policyArn('99999999-8888-7777-6666-555555555555');
const NEW_STAGING = distribution('ENEWSTAGING001');

/** The roles of a stack built with these parameters, each as the statements it is deployed with. */
function deployedRoles(given: Record<string, string>) {
  const deployed = resolveConditions(pipeline, given);
  const values = parameterValues(pipeline, given);
  const roles = new Map<string, PolicyStatement[]>();
  for (const s of permissionStatements(new Map([['pipeline.yml', deployed]])))
    roles.set(s.role, [...(roles.get(s.role) ?? []), s.statement]);
  const can = (role: string, action: string, arn: string, context?: Parameters<typeof iamAllows>[4]) =>
    iamAllows(roles.get(role) ?? [], action, arn, values, context);
  return { deployed, values, roles, can };
}

describe("the ramp role reads the canary's alarms (WatchAlarmNames)", () => {
  const SITE_5XX = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:site-5xx`;
  const LATENCY = `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:checkout-latency`;
  const RAMP = { ...PIPELINE_REQUIRED_PARAMETERS, RampSteps: '[1, 5, 15]', PromoteMaxStaging5xxErrorRate: '2' };

  it('may DescribeAlarms exactly the named alarms, each in its own region, and no other', () => {
    const { can } = deployedRoles({ ...RAMP, WatchAlarmNames: `${SITE_5XX},${LATENCY}` });
    expect(can('RampRole', 'cloudwatch:DescribeAlarms', SITE_5XX)).toBe(true);
    expect(can('RampRole', 'cloudwatch:DescribeAlarms', LATENCY)).toBe(true);
    for (const other of [
      `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:other-team`,
      `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:site-5xx`,
      `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:*`,
    ])
      expect(can('RampRole', 'cloudwatch:DescribeAlarms', other), other).toBe(false);
  });

  it('may read no alarm when WatchAlarmNames is empty, and has no role at all without RampSteps', () => {
    const { can, roles } = deployedRoles(RAMP);
    expect(roles.has('RampRole')).toBe(true);
    expect(can('RampRole', 'cloudwatch:DescribeAlarms', SITE_5XX)).toBe(false);
    expect(
      JSON.stringify(roles.get('RampRole')?.filter((s) => [s.Action].flat().includes('cloudwatch:DescribeAlarms'))),
    ).toBe('[]');
    expect(deployedRoles({ ...PIPELINE_REQUIRED_PARAMETERS, WatchAlarmNames: SITE_5XX }).roles.has('RampRole')).toBe(
      false,
    );
  });

  it('is granted under RampReadsAlarms, which is RampOn and WatchReadsAlarms', () => {
    expect(pipeline.Conditions?.RampReadsAlarms).toEqual({
      'Fn::And': [{ Condition: 'RampOn' }, { Condition: 'WatchReadsAlarms' }],
    });
    const role = pipeline.Resources.RampRole!.Properties!.Policies as { PolicyDocument: { Statement: unknown[] } }[];
    const alarms = role[0]!.PolicyDocument.Statement.filter((st) => JSON.stringify(st).includes('DescribeAlarms'));
    expect(alarms).toEqual([
      {
        'Fn::If': [
          'RampReadsAlarms',
          expect.objectContaining({ Action: 'cloudwatch:DescribeAlarms', Resource: expect.anything() }),
          { Ref: 'AWS::NoValue' },
        ],
      },
    ]);
  });
});

// Issue 25/26: after a ramped promotion promote puts the policy it disabled back on header routing. Its role may then
// update exactly the policy it may read, and only with RampSteps.
describe('the promote role restores header routing only after a ramp (RampSteps)', () => {
  const RAMP = { ...PIPELINE_REQUIRED_PARAMETERS, RampSteps: '[1, 5, 15]', PromoteMaxStaging5xxErrorRate: '2' };
  const OTHER = policyArn('99999999-8888-7777-6666-555555555555');

  it.each([
    ['first deploy', {}],
    ['pinned', { ContinuousDeploymentPolicyId: POLICY_ID }],
  ])('%s: updates exactly the policies it may read, and none without RampSteps', (_name, pin) => {
    const ramped = deployedRoles({ ...RAMP, ...pin });
    const plain = deployedRoles({ ...PIPELINE_REQUIRED_PARAMETERS, ...pin });
    for (const arn of [policyArn(POLICY_ID), OTHER]) {
      const read = ramped.can('PromoteRole', 'cloudfront:GetContinuousDeploymentPolicy', arn);
      expect(ramped.can('PromoteRole', 'cloudfront:UpdateContinuousDeploymentPolicy', arn), arn).toBe(read);
      expect(plain.can('PromoteRole', 'cloudfront:UpdateContinuousDeploymentPolicy', arn), arn).toBe(false);
    }
    expect(ramped.can('PromoteRole', 'cloudfront:UpdateContinuousDeploymentPolicy', policyArn(POLICY_ID))).toBe(true);
    expect(ramped.can('PromoteRole', 'cloudfront:DeleteContinuousDeploymentPolicy', policyArn(POLICY_ID))).toBe(false);
  });
});

describe.each(Object.entries(STACKS))('the staging deploy role, %s', (name, given) => {
  const { can } = deployedRoles(given);
  const primary = distribution(given.PrimaryDistributionId!);
  const ourTag = { [TAG]: given.PrimaryDistributionId! };
  const role = 'StagingDeployRole';

  it('cannot tag its way to another distribution: a tag it can write never lets it update, delete or untag', () => {
    const tagsOther = can(role, 'cloudfront:TagResource', OTHER_DISTRIBUTION, { requestTags: ourTag });
    const writesTagged = ['cloudfront:UpdateDistribution', 'cloudfront:DeleteDistribution', 'cloudfront:UntagResource']
      .filter((a) => can(role, a, OTHER_DISTRIBUTION, { resourceTags: ourTag }))
      .map((a) => `${a} on a distribution tagged ${TAG}=<primary>`);
    expect(tagsOther && writesTagged.length > 0 ? writesTagged : []).toEqual([]);
    // And on its own: no write of this role reaches a distribution by its tag.
    expect(writesTagged).toEqual([]);
  });

  it('tags only with the one staging tag, and only while the staging id is unknown', () => {
    const tagAttempts: [string, Record<string, string>][] = [
      ['another key', { owner: 'me' }],
      ['another value', { [TAG]: 'EOTHERPRIMARY1' }],
      ['an extra key', { ...ourTag, owner: 'me' }],
    ];
    for (const [what, requestTags] of tagAttempts)
      expect(can(role, 'cloudfront:TagResource', OTHER_DISTRIBUTION, { requestTags }), what).toBe(false);
    expect(can(role, 'cloudfront:TagResource', OTHER_DISTRIBUTION, { requestTags: ourTag })).toBe(name !== 'pinned');
  });

  it('cannot update or delete a continuous deployment policy it did not create', () => {
    for (const action of ['cloudfront:UpdateContinuousDeploymentPolicy', 'cloudfront:DeleteContinuousDeploymentPolicy'])
      expect(can(role, action, OTHER_POLICY), action).toBe(false);
  });

  it('can do what CloudFormation needs: create the tagged staging and the policy first, then manage exactly those', () => {
    const created = name !== 'pinned';
    expect(can(role, 'cloudfront:CreateDistribution', '*', { requestTags: ourTag })).toBe(created);
    expect(can(role, 'cloudfront:TagResource', NEW_STAGING, { requestTags: ourTag })).toBe(created);
    expect(can(role, 'cloudfront:CreateContinuousDeploymentPolicy', '*')).toBe(created);
    // Never an untagged distribution: an ordinary public distribution with any origin.
    expect(can(role, 'cloudfront:CreateDistribution', '*')).toBe(false);
    const staging = distribution(STAGING_ID);
    for (const action of ['cloudfront:UpdateDistribution', 'cloudfront:DeleteDistribution', 'cloudfront:UntagResource'])
      expect(can(role, action, staging, { requestTags: ourTag, resourceTags: ourTag }), action).toBe(!created);
    expect(can(role, 'cloudfront:TagResource', staging, { requestTags: ourTag })).toBe(true);
    for (const action of ['cloudfront:UpdateContinuousDeploymentPolicy', 'cloudfront:DeleteContinuousDeploymentPolicy'])
      expect(can(role, action, policyArn(POLICY_ID)), action).toBe(!created);
    expect(can(role, 'cloudfront:GetDistribution', NEW_STAGING)).toBe(true);
  });

  it('is denied every write on the primary, even if the primary carried the staging tag', () => {
    const granted = DISTRIBUTION_WRITES.filter((a) =>
      can(role, a, primary, { requestTags: ourTag, resourceTags: ourTag }),
    );
    expect(granted).toEqual([]);
  });
});

describe.each(Object.entries(STACKS))('the Lambda roles, %s', (name, given) => {
  const { roles, can } = deployedRoles(given);
  const lambdaRoles = [...roles.keys()].filter((r) => r !== 'StagingDeployRole' && r !== 'PipelineRole');
  const ourTag = { [TAG]: given.PrimaryDistributionId! };
  const reach = (arn: string, actions: string[], context = {}) =>
    lambdaRoles.flatMap((r) => actions.filter((a) => can(r, a, arn, context)).map((a) => `${r} ${a}`));

  it('write no distribution but the primary and the staging, whatever tag it carries', () => {
    const writes = reach(OTHER_DISTRIBUTION, DISTRIBUTION_WRITES);
    expect(writes).toEqual([]);
    // Tagged as staging for this primary (a tag the deploy role could write while the id is unknown): the residual
    // docs/deploy.md names, and only until StagingDistributionId is set.
    const tagged = reach(OTHER_DISTRIBUTION, DISTRIBUTION_WRITES, { resourceTags: ourTag });
    expect(tagged).toEqual(
      name === 'pinned'
        ? []
        : [
            'EnableCdRole cloudfront:CreateInvalidation',
            'PromoteRole cloudfront:UpdateDistribution',
            'PromoteRole cloudfront:UpdateDistributionWithStagingConfig',
          ],
    );
  });

  it('update or delete no continuous deployment policy but the pinned one once it is set', () => {
    const actions = ['cloudfront:UpdateContinuousDeploymentPolicy', 'cloudfront:DeleteContinuousDeploymentPolicy'];
    // Before the id is known the first release's rollback (abort, the watch) must still be able to disable it.
    expect(reach(OTHER_POLICY, actions)).toEqual(
      name === 'pinned'
        ? []
        : [
            'EnableCdRole cloudfront:UpdateContinuousDeploymentPolicy',
            'AbortRole cloudfront:UpdateContinuousDeploymentPolicy',
            'AbortRole cloudfront:DeleteContinuousDeploymentPolicy',
            'WatchRole cloudfront:UpdateContinuousDeploymentPolicy',
          ],
    );
  });
});

interface Target {
  Id: string;
  Arn: unknown;
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn: unknown };
}

describe.each(Object.entries({ 'watch on': REQUIRED, 'watch off': { ...REQUIRED, WatchMaxStaging5xxErrorRate: '' } }))(
  'failure paths of the EventBridge-invoked functions, %s',
  (_name, given) => {
    const { deployed, values, roles, can } = deployedRoles(given);
    const resources = Object.entries(deployed.Resources);
    const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
    const rules = ofType('AWS::Events::Rule').flatMap(([rule, r]) =>
      (r.Properties!.Targets as Target[]).map((target) => ({ rule, target })),
    );
    const functionOf = (arn: unknown) => {
      const [logicalId, attribute] = (isIntrinsic(arn) ? arn['Fn::GetAtt'] : []) as [string, string];
      return attribute === 'Arn' && deployed.Resources[logicalId]?.Type === 'AWS::Lambda::Function' ? logicalId : '';
    };
    const invoked = rules.filter(({ target }) => functionOf(target.Arn));
    const queues = ofType('AWS::SQS::Queue');
    const queueArn = { 'Fn::GetAtt': [queues[0]?.[0], 'Arn'] };

    it('finds the functions EventBridge invokes: abort, and the watch when it is on', () => {
      expect(invoked.map(({ target }) => functionOf(target.Arn))).toEqual(
        'WatchFunction' in deployed.Resources ? ['AbortFunction', 'WatchFunction'] : ['AbortFunction'],
      );
      expect(queues).toHaveLength(1);
    });

    it('gives every such rule target a retry policy and a dead-letter queue', () => {
      for (const { rule, target } of invoked) {
        expect(target.RetryPolicy?.MaximumRetryAttempts, rule).toBeTypeOf('number');
        expect(target.RetryPolicy?.MaximumEventAgeInSeconds, rule).toBeGreaterThanOrEqual(60);
        expect(target.DeadLetterConfig?.Arn, rule).toEqual(queueArn);
      }
    });

    it('gives every such function an on-failure destination (Lambda retries, then the queue)', () => {
      const configs = ofType('AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties!);
      for (const { target } of invoked) {
        const fn = functionOf(target.Arn);
        const config = configs.find((c) => JSON.stringify(c.FunctionName) === JSON.stringify({ Ref: fn }));
        expect(config, fn).toMatchObject({
          Qualifier: '$LATEST',
          MaximumRetryAttempts: expect.any(Number),
          MaximumEventAgeInSeconds: expect.any(Number),
          DestinationConfig: { OnFailure: { Destination: queueArn } },
        });
      }
    });

    it("lets each such function's role send to that queue, and to no other", () => {
      const queue = concreteResources(queueArn, values)[0]!;
      for (const { target } of invoked) {
        const role = (deployed.Resources[functionOf(target.Arn)]!.Properties!.Role as { 'Fn::GetAtt': string[] })[
          'Fn::GetAtt'
        ][0]!;
        expect(can(role, 'sqs:SendMessage', queue), role).toBe(true);
        const sends = roles.get(role)!.filter((s) => [s.Action].flat().includes('sqs:SendMessage'));
        expect(sends.map((s) => s.Resource)).toEqual([queueArn]);
      }
    });

    it('keeps the failures encrypted for 14 days, lets only these rules write dead letters, and alarms on one', () => {
      const [queueId, queue] = queues[0]!;
      expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
      const policy = ofType('AWS::SQS::QueuePolicy')[0]![1].Properties as {
        Queues: unknown[];
        PolicyDocument: { Statement: (PolicyStatement & { Principal: unknown })[] };
      };
      expect(policy.Queues).toEqual([{ Ref: queueId }]);
      const allowsEvents = policy.PolicyDocument.Statement.filter((s) => s.Effect === 'Allow');
      expect(allowsEvents).toEqual([
        expect.objectContaining({
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: queueArn,
          Condition: { ArnEquals: { 'aws:SourceArn': invoked.map(({ rule }) => ({ 'Fn::GetAtt': [rule, 'Arn'] })) } },
        }),
      ]);
      // The queue's alarm (the rollback alarm on the release metrics is observability.test.ts's).
      const alarms = ofType('AWS::CloudWatch::Alarm')
        .map(([, a]) => a.Properties!)
        .filter((a) => a.Namespace === 'AWS/SQS');
      expect(alarms).toEqual([
        expect.objectContaining({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      ]);
      expect(alarms[0]!.AlarmActions).toBeUndefined();
      const notified = resolveConditions(pipeline, {
        ...given,
        AlertTopicArn: 'arn:aws:sns:us-east-1:123456789012:oncall',
      });
      const notifying = Object.values(notified.Resources).find(
        (r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties!.Namespace === 'AWS/SQS',
      )!;
      expect(notifying.Properties!.AlarmActions).toEqual([{ Ref: 'AlertTopicArn' }]);
    });
  },
);

describe('log groups', () => {
  const groups = (given: Record<string, string>) =>
    Object.entries(resolveConditions(pipeline, given).Resources).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup');

  it('outlive the stack (Retain on delete and on replacement), with a retention', () => {
    for (const [id, group] of Object.entries(pipeline.Resources).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup')) {
      expect(group, id).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(group.Properties!.RetentionInDays, id).toEqual({ Ref: 'LogRetentionDays' });
    }
  });

  it('are encrypted with LogGroupKmsKeyArn when it is set, with CloudWatch Logs encryption otherwise', () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
    const withKey = groups({ ...REQUIRED, LogGroupKmsKeyArn: key });
    expect(withKey).toHaveLength(4);
    for (const [id, group] of withKey) expect(group.Properties!.KmsKeyId, id).toEqual({ Ref: 'LogGroupKmsKeyArn' });
    for (const [id, group] of groups(REQUIRED)) expect(group.Properties!.KmsKeyId, id).toBeUndefined();
  });
});

describe('the bake (BakeMinutes)', () => {
  const RECORDS = '${ArtifactBucket.Arn}/cfcd-revert/*';
  const onRecords = allows.filter((s) => resourceText(s.statement.Resource, pipeline) === RECORDS);

  it('lets only promote write revert records, only PutObject, only under cfcd-revert/, only with a bake', () => {
    const writers = onRecords.filter((s) => actionsOf(s).some((a) => a !== 's3:GetObject'));
    expect(writers.map((s) => [s.role, actionsOf(s)])).toEqual([['PromoteRole', ['s3:PutObject']]]);
    const promote = pipeline.Resources.PromoteRole!.Properties!.Policies as {
      PolicyDocument: { Statement: unknown[] };
    }[];
    // Every statement of promote's on the records (write, read, list) is there only with a bake.
    const records = promote[0]!.PolicyDocument.Statement.filter((s) => JSON.stringify(s).includes('cfcd-revert')) as {
      'Fn::If': [string, Statement, unknown];
    }[];
    expect(records).toHaveLength(3);
    for (const record of records) {
      expect(record['Fn::If'][0]).toBe('BakeOn');
      expect(record['Fn::If'][2]).toEqual({ Ref: 'AWS::NoValue' });
    }
  });

  it('lets only the bake and promote read revert records, and nothing else of the artifact bucket', () => {
    const readers = onRecords.filter((s) => actionsOf(s).includes('s3:GetObject'));
    expect(readers.map((s) => [s.role, actionsOf(s)])).toEqual([
      ['PromoteRole', ['s3:GetObject']],
      ['BakeRole', ['s3:GetObject']],
    ]);
    // promote: write and read its records, list only this primary's; nothing else of the artifact bucket.
    const promoteOnArtifacts = inRole('PromoteRole').filter((s) =>
      resourceText(s.statement.Resource, pipeline).match(/ArtifactBucket|AWS::S3::Bucket/),
    );
    expect(promoteOnArtifacts.map((s) => [actionsOf(s), resourceText(s.statement.Resource, pipeline)])).toEqual([
      [['s3:PutObject'], RECORDS],
      [['s3:GetObject'], RECORDS],
      [['s3:ListBucket'], '!GetAtt AWS::S3::Bucket.Arn'],
    ]);
    const bakeS3 = inRole('BakeRole').filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(bakeS3.map((s) => [actionsOf(s), resourceText(s.statement.Resource, pipeline)])).toEqual([
      [['s3:GetObject'], RECORDS],
      [['s3:ListBucket'], '!GetAtt AWS::S3::Bucket.Arn'],
      [['s3:GetObject'], 'arn:${AWS::Partition}:s3:::${StaticResourceBucketName}/*'],
      [['s3:ListBucket'], 'arn:${AWS::Partition}:s3:::${StaticResourceBucketName}'],
    ]);
    // The pipeline role's artifact grant is the bucket's own objects: no other role reads the records.
    const others = allows.filter(
      (s) => !['BakeRole', 'PromoteRole', 'PipelineRole', 'SiteBuildRole', 'SiteUploadRole'].includes(s.role),
    );
    expect(others.filter((s) => resourceText(s.statement.Resource, pipeline).includes('ArtifactBucket'))).toEqual([]);
  });

  it("lists only this primary's records (the bake, to find the one production carries; promote, to keep it)", () => {
    for (const role of ['BakeRole', 'PromoteRole']) {
      const list = inRole(role).find((s) => s.statement.Sid === 'FindRevertRecords')!;
      expect(actionsOf(list), role).toEqual(['s3:ListBucket']);
      expect(list.statement.Condition, role).toEqual({
        StringLike: { 's3:prefix': { 'Fn::Sub': 'cfcd-revert/${PrimaryDistributionId}/*' } },
      });
    }
  });

  it('reads exactly the alarms of BakeAlarmNames, and only when they are set', () => {
    const role = pipeline.Resources.BakeRole!.Properties!.Policies as { PolicyDocument: { Statement: unknown[] } }[];
    const alarms = role[0]!.PolicyDocument.Statement.filter((s) => JSON.stringify(s).includes('DescribeAlarms')) as {
      'Fn::If': [string, Statement, unknown];
    }[];
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!['Fn::If'][0]).toBe('BakeReadsAlarms');
    expect(alarms[0]!['Fn::If'][1]).toMatchObject({
      Effect: 'Allow',
      Action: 'cloudwatch:DescribeAlarms',
      Resource: { 'Fn::Split': [',', { Ref: 'BakeAlarmNames' }] },
    });
    expect(alarms[0]!['Fn::If'][2]).toEqual({ Ref: 'AWS::NoValue' });
    // Only the watch, the ramp (the watch's alarms: both judge the canary) and the bake read alarms.
    const readers = allows.filter((s) => actionsOf(s).includes('cloudwatch:DescribeAlarms'));
    expect(readers.map((s) => [s.role, resourceText(s.statement.Resource, pipeline)]).sort()).toEqual([
      ['BakeRole', '{"Fn::Split":[",",{"Ref":"BakeAlarmNames"}]}'],
      ['RampRole', '{"Fn::Split":[",",{"Ref":"WatchAlarmNames"}]}'],
      ['WatchRole', '{"Fn::Split":[",",{"Ref":"WatchAlarmNames"}]}'],
    ]);
  });

  it('lets the bake update the staging and promote onto the primary, invalidate the primary only, never the policy', () => {
    expect(withAction('BakeRole', 'cloudfront:UpdateDistributionWithStagingConfig').length).toBeGreaterThan(0);
    const invalidating = withAction('BakeRole', 'cloudfront:CreateInvalidation');
    expect(invalidating.map((s) => resourceText(s.statement.Resource, pipeline))).toEqual([
      'arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${PrimaryDistributionId}',
    ]);
    expect(
      inRole('BakeRole')
        .flatMap(actionsOf)
        .filter((a) => /ContinuousDeploymentPolicy|Delete|PutObject/.test(a)),
    ).toEqual([]);
  });
});
