/**
 * The pure bucket-policy merge: grants CloudFront distributions read access to an S3 origin behind origin access
 * control (OAC), keeping every statement we do not own exactly as it is.
 *
 * We own one statement per primary distribution, identified by its Sid ({@link grantSid}). It names exactly the
 * primary and its current staging distribution in `AWS:SourceArn` — never `AWS:SourceAccount`, which would let every
 * distribution in the account read the bucket. The bucket's ARN is in the partition of those distributions' ARNs (as
 * GetDistribution returned them): `arn:aws-cn:` in China, `arn:aws-us-gov:` in GovCloud — never assumed to be `aws`.
 */
import { StateCheckError } from './errors.js';

/** S3's limit on a bucket policy document. */
export const BUCKET_POLICY_MAX_BYTES = 20 * 1024;

/** A statement in an IAM policy document; fields we do not interpret are carried through untouched. */
export type PolicyStatement = Record<string, unknown>;

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[] | PolicyStatement;
  [key: string]: unknown;
}

/** The result of a merge: the new document, or why nothing needs to change. */
export type GrantPlan =
  | { change: false; reason: string }
  | { change: true; policy: PolicyDocument; json: string; reason: string };

/** The Sid of the statement this project owns for a primary distribution. */
export function grantSid(primaryId: string): string {
  return `CloudFrontContinuousDeploymentRead${primaryId}`;
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** True when `statement` lets CloudFront's service principal read `objectArn` on behalf of `distributionArn`. */
function grants(statement: PolicyStatement, objectArn: string, distributionArn: string): boolean {
  if (statement.Effect !== 'Allow') return false;
  const principal = statement.Principal as { Service?: unknown } | undefined;
  if (!asArray(principal?.Service).includes('cloudfront.amazonaws.com')) return false;
  const actions = asArray(statement.Action);
  if (!actions.includes('s3:GetObject') && !actions.includes('s3:*')) return false;
  if (!asArray(statement.Resource).includes(objectArn)) return false;
  const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
  return ['StringEquals', 'ArnEquals', 'ArnLike'].some((op) =>
    asArray(condition?.[op]?.['AWS:SourceArn']).includes(distributionArn),
  );
}

/** A distribution ARN as GetDistribution returns it: `arn:<partition>:cloudfront::<account>:distribution/<id>`. */
const DISTRIBUTION_ARN = /^arn:(aws[a-z-]*):cloudfront::\d{12}:distribution\/[A-Z0-9]+$/;

/**
 * The partition the distributions live in, read from their ARNs: the bucket they read is in the same partition. Refuses
 * ARNs that are not distribution ARNs, or that disagree, rather than guess `aws`.
 */
export function partitionOf(distributionArns: readonly string[]): string {
  const partitions = new Set<string>();
  for (const arn of distributionArns) {
    const partition = DISTRIBUTION_ARN.exec(arn)?.[1];
    if (!partition)
      throw new StateCheckError(
        `${JSON.stringify(arn)} is not a CloudFront distribution ARN (arn:<partition>:cloudfront::<account>:` +
          'distribution/<id>), so the bucket grant cannot name its partition; nothing was changed',
      );
    partitions.add(partition);
  }
  if (partitions.size !== 1)
    throw new StateCheckError(
      `the distributions ${distributionArns.join(', ')} are not in one partition; nothing was changed`,
    );
  return [...partitions][0]!;
}

/** The ARN of a bucket's objects in `partition`. */
const objectsArn = (partition: string, bucket: string) => `arn:${partition}:s3:::${bucket}/*`;

/** Our statement: s3:GetObject on the bucket's objects for exactly these distributions, in their partition. */
export function grantStatement(bucket: string, primaryId: string, distributionArns: string[]): PolicyStatement {
  return {
    Sid: grantSid(primaryId),
    Effect: 'Allow',
    Principal: { Service: 'cloudfront.amazonaws.com' },
    Action: 's3:GetObject',
    Resource: objectsArn(partitionOf(distributionArns), bucket),
    Condition: { StringEquals: { 'AWS:SourceArn': distributionArns } },
  };
}

/** Parses a bucket policy document as S3 returned it; a clear error if it is not a policy document. */
export function parsePolicyDocument(bucket: string, json: string): PolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new Error(
      `the bucket policy of ${bucket} is not valid JSON (${(err as Error).message}); refusing to rewrite it`,
    );
  }
  const d = doc as PolicyDocument | null;
  if (!d || typeof d !== 'object' || Array.isArray(d) || d.Statement === undefined || typeof d.Statement !== 'object') {
    throw new Error(`the bucket policy of ${bucket} has no Statement; refusing to rewrite it`);
  }
  return d;
}

/**
 * Plans the bucket policy that grants `distributionArns` (the primary's and the staging's) read access.
 * `current` is the policy JSON as read, or undefined when the bucket has none.
 *
 * - Every distribution already granted (by any statement, ours or not) → no change.
 * - Otherwise our statement (by Sid) is replaced, or appended, naming exactly `distributionArns`; all other
 *   statements, and every other top-level field, are kept as they were.
 * - A result over S3's 20 KB limit is refused with an error rather than written.
 */
export function planBucketGrant(input: {
  bucket: string;
  primaryId: string;
  distributionArns: string[];
  current: string | undefined;
}): GrantPlan {
  const { bucket, primaryId, distributionArns, current } = input;
  const objectArn = objectsArn(partitionOf(distributionArns), bucket);
  const doc: PolicyDocument =
    current === undefined ? { Version: '2012-10-17', Statement: [] } : parsePolicyDocument(bucket, current);
  const statements = asArray(doc.Statement) as PolicyStatement[];

  const missing = distributionArns.filter((arn) => !statements.some((s) => grants(s, objectArn, arn)));
  if (missing.length === 0) {
    return {
      change: false,
      reason: `bucket ${bucket} already grants s3:GetObject to ${distributionArns.join(' and ')}`,
    };
  }

  const ours = grantStatement(bucket, primaryId, distributionArns);
  const index = statements.findIndex((s) => s.Sid === ours.Sid);
  const next = index === -1 ? [...statements, ours] : statements.map((s, i) => (i === index ? ours : s));
  const policy: PolicyDocument = { ...doc, Statement: next };
  const json = JSON.stringify(policy);
  const bytes = Buffer.byteLength(json);
  if (bytes > BUCKET_POLICY_MAX_BYTES) {
    throw new Error(
      `granting ${missing.join(', ')} would make the bucket policy of ${bucket} ${bytes} bytes, ` +
        `over S3's ${BUCKET_POLICY_MAX_BYTES}-byte limit; remove unused statements and re-run`,
    );
  }
  const verb = index === -1 ? `adds statement ${ours.Sid}` : `updates statement ${ours.Sid}`;
  return { change: true, policy, json, reason: `${verb} so that ${missing.join(' and ')} can read ${objectArn}` };
}
