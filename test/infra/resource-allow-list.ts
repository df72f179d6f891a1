/**
 * Every IAM `Allow` in infra/*.yml whose Resource is "*" or contains a wildcard must match an entry here (same resource
 * text, every action listed); the policy test fails on any other. Resource text is the template's own: a plain
 * string, the string of an Fn::Sub, or `!GetAtt <resource type>.<attribute>` for ARNs that end in a wildcard.
 * An entry with resource "*" may list only actions that take no resource ARN (iam-actions.ts, from the Service
 * Authorization Reference; the policy test checks it). Other sources: the CloudFront API reference, the CodePipeline
 * Lambda action reference. Mirrored in docs/deploy.md ("Least privilege and every wildcard").
 */
export interface WildcardGrant {
  resource: string;
  actions: string[];
  reason: string;
}

const DISTRIBUTIONS = 'arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*';
const POLICIES = 'arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:continuous-deployment-policy/*';

export const wildcardAllowList: WildcardGrant[] = [
  {
    resource: '*',
    actions: ['codepipeline:PutJobSuccessResult', 'codepipeline:PutJobFailureResult'],
    reason: 'No resource-level permissions: a job id is not an ARN. Every Lambda action must report its job.',
  },
  {
    resource: '*',
    actions: ['cloudfront:CreateDistribution', 'cloudfront:CreateContinuousDeploymentPolicy'],
    reason:
      'No resource type in the Service Authorization Reference since its December 2025 edition (the id does not exist yet). Staging deploy role only; CreateDistribution only with aws:RequestTag/cloudfront-cd-primary = the primary id (the policy test checks it).',
  },
  {
    resource: '*',
    actions: ['cloudfront:ListDistributions'],
    reason:
      'No resource type; read-only (ids and domain names). Watch role only, and only while StagingDistributionId is empty: a policy names its staging only by domain name.',
  },
  {
    resource: '*',
    actions: ['cloudformation:ValidateTemplate'],
    reason:
      "No resource-level permissions; read-only. The pipeline's CloudFormation action validates the staging template.",
  },
  {
    resource: '*',
    actions: ['cloudwatch:GetMetricData'],
    reason:
      "No resource type (CloudFront's metrics have no ARN); read-only. Promote role when a promotion gate parameter is set, watch role when a watch gate parameter is set, the ramp role (every step is judged on them) and the bake role (production's rate): the staging and primary distributions' Requests and 5xxErrorRate.",
  },
  {
    resource: '!GetAtt AWS::Logs::LogGroup.Arn',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    reason: 'The log group ARN attribute ends in ":*" = the streams of that one group, which Lambda names at run time.',
  },
  {
    resource: DISTRIBUTIONS,
    actions: [
      'cloudfront:GetDistribution',
      'cloudfront:UpdateDistribution',
      'cloudfront:UpdateDistributionWithStagingConfig',
      'cloudfront:CreateInvalidation',
      'cloudfront:GetInvalidation',
      'cloudfront:ListInvalidations',
    ],
    reason:
      'Lambda roles, only while StagingDistributionId is empty and only with the condition aws:ResourceTag/cloudfront-cd-primary = the primary id (the policy test checks the condition): the staging id exists only after the staging stack deploys.',
  },
  {
    resource: DISTRIBUTIONS,
    actions: ['cloudfront:GetDistribution', 'cloudfront:GetDistributionConfig', 'cloudfront:ListTagsForResource'],
    reason:
      'Staging deploy role, read-only: CloudFormation reads the distribution it manages, whose id is generated at creation.',
  },
  {
    resource: DISTRIBUTIONS,
    actions: ['cloudfront:TagResource'],
    reason:
      'Staging deploy role, only while StagingDistributionId is empty, only the one tag cloudfront-cd-primary = the primary id (aws:RequestTag, aws:TagKeys): CreateDistributionWithTags needs TagResource on a distribution whose id does not exist yet. IAM cannot tell it from a later TagResource, so no write of that role depends on the tag (the policy test checks both).',
  },
  {
    resource: POLICIES,
    actions: ['cloudfront:GetContinuousDeploymentPolicy', 'cloudfront:GetContinuousDeploymentPolicyConfig'],
    reason:
      'Staging deploy role, read-only, only while ContinuousDeploymentPolicyId is empty: the policy id is generated at creation and policies take no tag condition.',
  },
  {
    resource: POLICIES,
    actions: [
      'cloudfront:GetContinuousDeploymentPolicy',
      'cloudfront:UpdateContinuousDeploymentPolicy',
      'cloudfront:DeleteContinuousDeploymentPolicy',
    ],
    reason:
      "Lambda roles only (enable-cd re-enables, abort and the watch disable or delete), only while ContinuousDeploymentPolicyId is empty: the first release's rollback must work before the id can be known. Never the staging deploy role (the policy test checks it).",
  },
  {
    resource: 'arn:${AWS::Partition}:s3:::${StaticResourceBucketName}/*',
    actions: ['s3:GetObject'],
    reason:
      "enable-cd, and the bake before a revert writes, only when StaticResourceBucketName is set: HeadObject on a release's <OriginPath>/<DefaultRootObject>, whose folder is known at run time (the staging's origin path; the revert record's). Read-only, one bucket.",
  },
  {
    resource: '${ArtifactBucket.Arn}/cfcd-revert/*',
    actions: ['s3:PutObject'],
    reason:
      "promote only, only when BakeMinutes is set: the revert record of each promotion, keyed cfcd-revert/<primary>/<promotion id>.json (named at run time). Write only; expires with the bucket's 90-day lifecycle.",
  },
  {
    resource: '${ArtifactBucket.Arn}/cfcd-revert/*',
    actions: ['s3:GetObject'],
    reason:
      "The bake and promote only (BakeMinutes): the bake reads the revert record promote wrote, whose key promote's RevertRecord output names at run time (or the newest it lists); promote's prune reads the primary's newest record to keep its release folders. Read-only.",
  },
  {
    resource: 'arn:${AWS::Partition}:s3:::${StaticResourceBucketName}/releases/*',
    actions: ['s3:GetObject'],
    reason:
      "Ship stage's upload role only, only when SitePath is set: cfcd upload reads the manifest of releases/<commit>/, whose commit id is known at run time, to reuse a complete folder or refuse other content. Read-only; nothing outside releases/.",
  },
  {
    resource: 'arn:${AWS::Partition}:s3:::${StaticResourceBucketName}/releases/*',
    actions: ['s3:PutObject'],
    reason:
      "Ship stage's upload role only, only when SitePath is set: cfcd upload writes releases/<commit>/, whose commit id is known at run time. Create-only: the condition Null s3:if-none-match false denies a put without If-None-Match: *, so no object is ever overwritten (the policy test checks it). No delete; nothing outside releases/.",
  },
  {
    resource: 'arn:${AWS::Partition}:s3:::${StaticResourceBucketName}/releases/*',
    actions: ['s3:GetObject', 's3:DeleteObject'],
    reason:
      "promote only, only when SitePath is set: after a promotion it reads each release folder's manifest and deletes the folders no distribution serves, beyond the newest KeepReleases (read live before each delete). Nothing outside releases/.",
  },
  {
    resource: '${ArtifactBucket.Arn}/*',
    actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
    reason: "The objects of the pipeline's own artifact bucket; CodePipeline names artifact keys at run time.",
  },
  {
    resource: 'arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${StagingStackName}/*',
    actions: [
      'cloudformation:CreateStack',
      'cloudformation:UpdateStack',
      'cloudformation:DescribeStacks',
      'cloudformation:DescribeStackEvents',
      'cloudformation:GetTemplate',
      'cloudformation:GetStackPolicy',
      'cloudformation:SetStackPolicy',
    ],
    reason: 'One stack name; stack ARNs end in an id generated at creation.',
  },
];
