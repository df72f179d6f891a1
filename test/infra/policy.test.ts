import { describe, expect, it } from 'vitest';
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
  return JSON.stringify(resource);
}

/** Resources whose ARN is a pattern: "*", a literal wildcard, or an attribute known to end in ":*". */
function isWildcard(text: string): boolean {
  return text.includes('*') || text === '!GetAtt AWS::Logs::LogGroup.Arn';
}

const templates = loadInfraTemplates();
const pipeline = templates.get('pipeline.yml')!;
const statements = permissionStatements(templates);

describe('IAM policies', () => {
  it('finds the statements of all five roles', () => {
    const roles = new Set(statements.map((s) => s.where.split('/')[0]));
    expect(roles.size).toBe(5);
  });

  it('never allows Action "*" or a wildcard action such as cloudfront:*', () => {
    const offenders = statements
      .filter((s) => s.statement.Effect === 'Allow')
      .flatMap((s) =>
        [s.statement.Action]
          .flat()
          .filter((a) => a.includes('*'))
          .map((a) => `${s.where}: ${a}`),
      );
    expect(offenders).toEqual([]);
  });

  it('allows a wildcard Resource only for the actions and reason listed in the allow-list', () => {
    const offenders: string[] = [];
    for (const s of statements.filter((x) => x.statement.Effect === 'Allow')) {
      const actions = [s.statement.Action].flat();
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
        JSON.stringify(s.statement.Condition?.StringEquals?.['aws:ResourceTag/cloudfront-cd-primary']) !==
          JSON.stringify({ Ref: 'PrimaryDistributionId' }),
    );
    expect(untagged.map((s) => s.where)).toEqual([]);
  });

  it('only the primary may be updated by enable-cd and abort', () => {
    for (const role of ['EnableCdRole', 'AbortRole']) {
      const updates = statements.filter(
        (s) => s.where.includes(` ${role}/`) && [s.statement.Action].flat().includes('cloudfront:UpdateDistribution'),
      );
      expect(
        updates.map((s) => resourceText(s.statement.Resource, pipeline)),
        role,
      ).toEqual(['arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${PrimaryDistributionId}']);
    }
  });

  it('the staging deploy role updates or deletes only the tagged staging distribution, never any distribution of the account', () => {
    const writes = statements.filter(
      (s) =>
        s.where.includes(' StagingDeployRole/') &&
        s.statement.Effect === 'Allow' &&
        [s.statement.Action]
          .flat()
          .some((a) => ['cloudfront:UpdateDistribution', 'cloudfront:DeleteDistribution'].includes(a)),
    );
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) {
      const resource = resourceText(w.statement.Resource, pipeline);
      const exact = resource.endsWith(':distribution/${StagingDistributionId}');
      const tagged =
        JSON.stringify(w.statement.Condition?.StringEquals?.['aws:ResourceTag/cloudfront-cd-primary']) ===
        JSON.stringify({ Ref: 'PrimaryDistributionId' });
      expect(exact || tagged, w.where).toBe(true);
    }
  });

  it('the staging deploy role is denied every write on the primary', () => {
    const deny = statements.find((s) => s.where.includes(' StagingDeployRole/') && s.statement.Effect === 'Deny');
    expect(deny?.statement.Action).toEqual(
      expect.arrayContaining(['cloudfront:UpdateDistribution', 'cloudfront:DeleteDistribution']),
    );
    expect(resourceText(deny?.statement.Resource, pipeline)).toMatch(/distribution\/\$\{PrimaryDistributionId\}$/);
  });

  it('grants bucket-policy access only when StaticResourceBucketName is set, and only on that bucket', () => {
    const role = pipeline.Resources.EnableCdRole!.Properties!.Policies as {
      PolicyDocument: { Statement: unknown[] };
    }[];
    const s3 = role[0]!.PolicyDocument.Statement.find((s) => JSON.stringify(s).includes('s3:PutBucketPolicy')) as {
      'Fn::If': [string, Statement, unknown];
    };
    expect(s3['Fn::If'][0]).toBe('HasOriginBucket');
    expect(s3['Fn::If'][2]).toEqual({ Ref: 'AWS::NoValue' });
    expect(alternatives(s3['Fn::If'][1].Resource)).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${StaticResourceBucketName}' },
    ]);
  });

  it('passes the deploy role only to CloudFormation', () => {
    const pass = statements.find((s) => [s.statement.Action].flat().includes('iam:PassRole'))!;
    expect(pass.statement.Resource).toEqual({ 'Fn::GetAtt': ['StagingDeployRole', 'Arn'] });
    expect(pass.statement.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
    });
  });
});
