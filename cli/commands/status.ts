/** `cfcd status --primary <id>`: read-only, see ../status.ts. */
import { ParamReader } from '../../shared/domain/params.js';
import { parseWithFlags } from '../action-flags.js';
import { type Context, say } from '../context.js';
import { formatStatus, readStatus } from '../primary-report.js';
import { formatDrift, readPrimaryDrift } from '../primary-drift.js';
import { COMMON_OPTIONS, type CommandSpec } from '../args.js';

export const statusSpec: CommandSpec = {
  name: 'status',
  summary:
    'Where a primary stands: its policy, the staging the policy routes to and how to reach it, ' +
    'how the staging differs (what a promotion would change), the release each serves (releases/<commit>), ' +
    'the bucket grant, the account quota headroom, the revert target (--record-bucket), and warnings. Reads only.',
  synopsis: '--primary <id> [--staging <id>] [--bucket <bucket>] [--record-bucket <bucket>] [options]',
  options: {
    primary: { type: 'string', value: '<id>', description: 'the production distribution' },
    staging: {
      type: 'string',
      value: '<id>',
      description:
        'the staging to report on (default: the one the attached policy routes to, found by ListDistributions)',
    },
    bucket: {
      type: 'string',
      value: '<bucket>',
      description:
        'the S3 origin bucket behind OAC: report its read grants, and whether the release folders served from it ' +
        'are complete (their manifest present)',
    },
    'record-bucket': {
      type: 'string',
      value: '<bucket>',
      description:
        "the pipeline's artifact bucket holding cfcd-revert/: report the revert target (the newest record) and " +
        'whether the primary still carries that promotion, or a revert is under way',
    },
    ...COMMON_OPTIONS,
  },
  details: 'Exit codes: 0 read, 1 a read failed (e.g. no such distribution), 2 bad usage.',
};

const NAMES = ['PrimaryDistributionId', 'StagingDistributionId', 'StaticResourceBucketName', 'RevertRecordBucket'];

export async function runStatus(values: Record<string, unknown>, ctx: Context): Promise<unknown> {
  const { primaryId, ...options } = parseWithFlags(statusSpec, NAMES, values, (parameters) => {
    const p = new ParamReader(parameters, NAMES);
    return {
      primaryId: p.distributionId('PrimaryDistributionId'),
      stagingId: parameters.StagingDistributionId ? p.primaryAndStaging().stagingId : undefined,
      bucket: p.optionalBucketName('StaticResourceBucketName'),
      recordBucket: p.optionalBucketName('RevertRecordBucket'),
    };
  });
  const [report, primaryStack] = await Promise.all([readStatus(primaryId, options), readPrimaryDrift(primaryId)]);
  say(ctx, formatStatus(report, ctx.terminal.out));
  say(ctx, formatDrift(primaryStack, primaryId, ctx.terminal.out));
  return { ...report, primaryStack };
}
