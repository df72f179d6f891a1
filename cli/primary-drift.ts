/**
 * Whether the primary's own stack still says what the primary has. A promotion copies the staging config onto the
 * primary behind CloudFormation's back; until the stack catches up (cfcd primary-template), a stack update that
 * touches the distribution sends the template's config and puts the previous release back.
 *
 * "A stack manages it" is asked of CloudFormation, not read from tags: CloudFormation does not put its
 * `aws:cloudformation:*` tags on AWS::CloudFront::Distribution (cloudformation-coverage-roadmap issues 96 and 2126).
 * DescribeStackResources by physical id answers the stack, the logical id, and when the resource last changed in
 * that stack (its status time: CREATE/UPDATE/IMPORT_COMPLETE comes after CloudFormation's own UpdateDistribution).
 * A distribution modified after that time was changed outside the stack. Stacks are regional and CloudFront is
 * global: only the region cfcd runs in is asked.
 */
import { CloudFormationClient, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { readDistribution } from '../shared/aws/cloudfront.js';
import { awsErrorOf } from '../shared/aws/call.js';
import { CLIENT_SETTINGS } from '../shared/aws/clients/retry.js';
import { type Paint, painter } from './terminal.js';

/** What CloudFormation says of the distribution, in the region asked. */
export type StackRecord =
  | { found: false; region: string }
  | {
      found: true;
      region: string;
      stackName: string;
      logicalId: string;
      /** The resource's last status change in the stack (ISO). */
      resourceTime: string;
      resourceStatus: string;
    }
  /** The question could not be answered (no permission, no region): said, never a failure of status. */
  | { found: 'unknown'; region: string; error: string };

/** The primary against its stack: the part of `cfcd status` (and its JSON) about the primary's own IaC. */
export type PrimaryDrift =
  | { state: 'no-stack'; region: string }
  | { state: 'unknown'; region: string; error: string }
  | {
      state: 'in-step' | 'changed-since-stack';
      region: string;
      stackName: string;
      logicalId: string;
      stackDeployedAt: string;
      primaryModifiedAt: string | null;
    };

/** Resource statuses of a distribution no longer managed (a deleted stack answers for 90 days; Retain skips). */
const GONE = new Set(['DELETE_COMPLETE', 'DELETE_SKIPPED']);

/** Pure: the drift from what CloudFormation said and the primary's LastModifiedTime. */
export function primaryDrift(stack: StackRecord, primaryModified: Date | undefined): PrimaryDrift {
  if (stack.found === false) return { state: 'no-stack', region: stack.region };
  if (stack.found === 'unknown') return { state: 'unknown', region: stack.region, error: stack.error };
  const changed = primaryModified !== undefined && primaryModified.getTime() > Date.parse(stack.resourceTime);
  return {
    state: changed ? 'changed-since-stack' : 'in-step',
    region: stack.region,
    stackName: stack.stackName,
    logicalId: stack.logicalId,
    stackDeployedAt: stack.resourceTime,
    primaryModifiedAt: primaryModified?.toISOString() ?? null,
  };
}

/** Pure: one line for `cfcd status` (two when the stack is behind, the second saying what to do). */
export function formatDrift(drift: PrimaryDrift, primaryId: string, paint: Paint = painter(false)): string {
  const label = paint('bold', 'IaC'.padEnd(9));
  switch (drift.state) {
    case 'no-stack':
      return `${label}no CloudFormation stack in ${drift.region} manages ${primaryId}`;
    case 'unknown':
      return `${label}${paint('yellow', 'not checked')}: which stack manages ${primaryId} (${drift.error})`;
    case 'in-step':
      return (
        `${label}stack ${drift.stackName} (${drift.logicalId}): no change to the primary since the stack ` +
        `last deployed it (${drift.stackDeployedAt})`
      );
    case 'changed-since-stack':
      return [
        `${label}stack ${drift.stackName} (${drift.logicalId}): ${paint('yellow', 'behind')}: the primary changed ` +
          `${drift.primaryModifiedAt} (a promotion?), after the stack last deployed it (${drift.stackDeployedAt})`,
        `${' '.repeat(9)}a stack update that touches it would undo that; catch the stack up first: ` +
          `cfcd primary-template --primary ${primaryId} --logical-id ${drift.logicalId}`,
      ].join('\n');
  }
}

let client: CloudFormationClient | undefined;

/** CloudFormation in cfcd's region (`--region`, AWS_REGION); `AWS_ENDPOINT_URL_CLOUDFORMATION` is honoured. */
function cloudFormation(): CloudFormationClient {
  client ??= new CloudFormationClient(CLIENT_SETTINGS);
  return client;
}

/** Asks CloudFormation which stack manages the distribution. */
export async function readStackRecord(distributionId: string): Promise<StackRecord> {
  const cfn = cloudFormation();
  let region = process.env.AWS_REGION ?? 'the default region';
  try {
    region = await cfn.config.region();
    const out = await cfn.send(new DescribeStackResourcesCommand({ PhysicalResourceId: distributionId }));
    const resource = (out.StackResources ?? []).find(
      (r) => r.PhysicalResourceId === distributionId && !GONE.has(r.ResourceStatus ?? ''),
    );
    if (!resource?.StackName || !resource.LogicalResourceId || !resource.Timestamp) return { found: false, region };
    return {
      found: true,
      region,
      stackName: resource.StackName,
      logicalId: resource.LogicalResourceId,
      resourceTime: resource.Timestamp.toISOString(),
      resourceStatus: resource.ResourceStatus ?? 'unknown',
    };
  } catch (err) {
    const { name } = awsErrorOf(err);
    const message = err instanceof Error ? err.message : String(err);
    // CloudFormation's answer when no stack (in this region) has the resource.
    if (name === 'ValidationError' && /does not exist/.test(message)) return { found: false, region };
    return { found: 'unknown', region, error: `DescribeStackResources: ${name}: ${message}` };
  }
}

/** The read behind {@link primaryDrift}: the stack, beside the primary's LastModifiedTime. */
export async function readPrimaryDrift(primaryId: string): Promise<PrimaryDrift> {
  const [stack, primary] = await Promise.all([readStackRecord(primaryId), readDistribution(primaryId)]);
  return primaryDrift(stack, primary.lastModified);
}
