import { describe, expect, it } from 'vitest';
import {
  BUCKET_POLICY_MAX_BYTES,
  grantSid,
  planBucketGrant,
  type PolicyDocument,
} from '../../../../shared/domain/bucket-policy-merge.js';
import { BUCKET, PRIMARY_ID, STAGING_ID, arnOf } from '../../fixtures.js';

const PRIMARY_ARN = arnOf(PRIMARY_ID);
const STAGING_ARN = arnOf(STAGING_ID);
const arns = [PRIMARY_ARN, STAGING_ARN];
const objects = `arn:aws:s3:::${BUCKET}/*`;

const usersGrant = (sourceArn: string | string[]) => ({
  Sid: 'AllowCloudFrontServicePrincipal',
  Effect: 'Allow',
  Principal: { Service: 'cloudfront.amazonaws.com' },
  Action: 's3:GetObject',
  Resource: objects,
  Condition: { StringEquals: { 'AWS:SourceArn': sourceArn } },
});
const othersStatements = [
  {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [`arn:aws:s3:::${BUCKET}`, objects],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  },
  {
    Sid: 'LogsWriter',
    Effect: 'Allow',
    Principal: { AWS: 'arn:aws:iam::999988887777:role/logs' },
    Action: ['s3:PutObject'],
    Resource: `arn:aws:s3:::${BUCKET}/logs/*`,
  },
];

function plan(current: PolicyDocument | string | undefined) {
  return planBucketGrant({
    bucket: BUCKET,
    primaryId: PRIMARY_ID,
    distributionArns: arns,
    current: typeof current === 'object' ? JSON.stringify(current) : current,
  });
}

function changed(result: ReturnType<typeof plan>): PolicyDocument {
  if (!result.change) throw new Error(`expected a change, got: ${result.reason}`);
  expect(JSON.parse(result.json)).toEqual(result.policy);
  return result.policy;
}

describe('planBucketGrant', () => {
  it('creates a policy granting primary and staging when the bucket has none', () => {
    const policy = changed(plan(undefined));
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: grantSid(PRIMARY_ID),
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: 's3:GetObject',
          Resource: objects,
          Condition: { StringEquals: { 'AWS:SourceArn': arns } },
        },
      ],
    });
  });

  it('keeps statements it does not own unchanged, in order, and adds its own after them', () => {
    const current = {
      Version: '2012-10-17',
      Id: 'site-policy',
      Statement: [...othersStatements, usersGrant(PRIMARY_ARN)],
    };
    const policy = changed(plan(current));
    const statements = policy.Statement as Record<string, unknown>[];
    expect(policy.Id).toBe('site-policy');
    expect(statements.slice(0, 3)).toEqual(current.Statement);
    expect(statements).toHaveLength(4);
    expect(statements[3]?.Sid).toBe(grantSid(PRIMARY_ID));
  });

  it('adds the staging when an existing grant lists only the primary, without editing that grant', () => {
    const current = { Version: '2012-10-17', Statement: [usersGrant(PRIMARY_ARN)] };
    const result = plan(current);
    const statements = changed(result).Statement as Record<string, unknown>[];
    expect(statements[0]).toEqual(usersGrant(PRIMARY_ARN));
    expect(statements[1]?.Condition).toEqual({ StringEquals: { 'AWS:SourceArn': arns } });
    expect(result.reason).toContain(STAGING_ARN);
    expect(result.reason).not.toContain(`${PRIMARY_ARN} and`);
  });

  it('makes no change when both distributions are already granted, whoever owns the statements', () => {
    expect(plan({ Version: '2012-10-17', Statement: [usersGrant(arns)] }).change).toBe(false);
    expect(plan({ Statement: [usersGrant(PRIMARY_ARN), { ...usersGrant(STAGING_ARN), Sid: 'Other' }] }).change).toBe(
      false,
    );
  });

  it('is idempotent: planning again on its own result changes nothing', () => {
    const first = changed(plan({ Version: '2012-10-17', Statement: othersStatements }));
    expect(plan(first).change).toBe(false);
  });

  it('replaces its own statement when the staging distribution changed, dropping the old staging', () => {
    const oldStaging = arnOf('E9OLDSTAGING01');
    const current = {
      Version: '2012-10-17',
      Statement: [...othersStatements, { ...usersGrant([PRIMARY_ARN, oldStaging]), Sid: grantSid(PRIMARY_ID) }],
    };
    const statements = changed(plan(current)).Statement as Record<string, unknown>[];
    expect(statements).toHaveLength(3);
    expect(statements.slice(0, 2)).toEqual(othersStatements);
    expect(JSON.stringify(statements[2])).not.toContain(oldStaging);
  });

  it('does not count a Deny, another bucket or another principal as a grant', () => {
    const notGrants = [
      { ...usersGrant(arns), Effect: 'Deny' },
      { ...usersGrant(arns), Resource: 'arn:aws:s3:::other-bucket/*' },
      { ...usersGrant(arns), Principal: { AWS: '*' } },
    ];
    for (const statement of notGrants) expect(plan({ Statement: [statement] }).change).toBe(true);
  });

  it('never widens the grant to the whole account', () => {
    const policy = changed(plan({ Statement: othersStatements }));
    expect(JSON.stringify(policy)).not.toContain('SourceAccount');
  });

  it('accepts a single statement object and keeps it', () => {
    const statements = changed(
      plan({ Version: '2012-10-17', Statement: othersStatements[1] as Record<string, unknown> }),
    ).Statement as unknown[];
    expect(statements[0]).toEqual(othersStatements[1]);
  });

  it('refuses to exceed the 20 KB bucket policy limit', () => {
    // A policy just under the limit: valid as it stands, but our statement would not fit.
    const filler: Record<string, unknown>[] = [];
    while (
      Buffer.byteLength(JSON.stringify({ Version: '2012-10-17', Statement: filler })) <
      BUCKET_POLICY_MAX_BYTES - 250
    ) {
      filler.push({ ...othersStatements[1], Sid: `Filler${filler.length}` });
    }
    expect(Buffer.byteLength(JSON.stringify({ Version: '2012-10-17', Statement: filler }))).toBeLessThan(
      BUCKET_POLICY_MAX_BYTES,
    );
    expect(() => plan({ Version: '2012-10-17', Statement: filler })).toThrow(/over S3's 20480-byte limit/);
  });

  it("grants the bucket in the distributions' partition, read from their ARNs, never assuming aws", () => {
    const cn = (id: string) => `arn:aws-cn:cloudfront::111122223333:distribution/${id}`;
    const result = planBucketGrant({
      bucket: BUCKET,
      primaryId: PRIMARY_ID,
      distributionArns: [cn(PRIMARY_ID), cn(STAGING_ID)],
      current: undefined,
    });
    const statements = changed(result).Statement as Record<string, unknown>[];
    expect(statements[0]?.Resource).toBe(`arn:aws-cn:s3:::${BUCKET}/*`);
    expect(JSON.stringify(statements)).not.toContain('arn:aws:');
    // A grant already there in that partition is recognised: nothing to write.
    expect(
      planBucketGrant({
        bucket: BUCKET,
        primaryId: PRIMARY_ID,
        distributionArns: [cn(PRIMARY_ID), cn(STAGING_ID)],
        current: result.change ? result.json : undefined,
      }).change,
    ).toBe(false);
  });

  it('refuses, rather than guess the partition, ARNs that are not distribution ARNs or that disagree', () => {
    const grant = (distributionArns: string[]) =>
      planBucketGrant({ bucket: BUCKET, primaryId: PRIMARY_ID, distributionArns, current: undefined });
    expect(() => grant([PRIMARY_ARN, 'E2STAGING00002'])).toThrow(
      /"E2STAGING00002" is not a CloudFront distribution ARN/,
    );
    expect(() => grant([PRIMARY_ARN, `arn:aws-us-gov:cloudfront::111122223333:distribution/${STAGING_ID}`])).toThrow(
      /not in one partition/,
    );
  });

  it('refuses to rewrite a policy it cannot parse', () => {
    expect(() => plan('{not json')).toThrow(/not valid JSON/);
    expect(() => plan('{"Version":"2012-10-17"}')).toThrow(/no Statement/);
  });
});
