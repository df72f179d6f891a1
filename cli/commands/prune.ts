/**
 * `cfcd prune --bucket <bucket> --primary <id> [--staging <id>] [--record-bucket <bucket>] [--keep N] [--dry-run]
 * [--yes]`: deletes the old release folders under `releases/`, never one the primary or the staging serves, nor,
 * with `--record-bucket`, the release the newest revert record goes back to (see
 * ../../shared/release/prune-plan.ts for the rules). Shows the plan, asks on a terminal (`--yes` otherwise), then
 * deletes folder by folder, reading the distributions again before each one (../../shared/aws/release-prune.ts).
 */
import { readDistributionIfExists, readPolicy } from '../../shared/aws/cloudfront.js';
import { type PruneResult, pruneReleases } from '../../shared/aws/release-prune.js';
import { liveServed as readServed } from '../../shared/aws/release-served.js';
import { newestRecordCommits } from '../../shared/aws/revert-record.js';
import { attachedPolicyId, stagingDomainsOf } from '../../shared/domain/distribution-config.js';
import { CfcdError } from '../../shared/domain/errors.js';
import type { DistributionState } from '../../shared/domain/resources.js';
import { ParamReader } from '../../shared/domain/params.js';
import { DEFAULT_KEEP, type PrunePlan, type ServedPath } from '../../shared/release/prune-plan.js';
import { parseWithFlags } from '../action-flags.js';
import { COMMON_OPTIONS, CONFIRM_OPTIONS, type CommandSpec, UsageError } from '../args.js';
import { listDistributions } from '../cloudfront-lists.js';
import { ask } from '../confirm.js';
import { type Context, say } from '../context.js';
import { DeclinedError, InterruptedError } from '../exit-codes.js';

export const pruneSpec: CommandSpec = {
  name: 'prune',
  summary:
    'Delete old release folders (releases/<commit>/) from the origin bucket: keeps the newest N complete releases, ' +
    'every folder the primary or the staging serves (read again right before each deletion), and unfinished ' +
    'uploads younger than an hour; with --record-bucket, also the release the newest revert record goes back to.',
  synopsis:
    '--bucket <bucket> --primary <id> [--staging <id>] [--record-bucket <bucket>] [--keep N] [--dry-run] [--yes] ' +
    '[options]',
  options: {
    bucket: { type: 'string', value: '<bucket>', description: 'the S3 origin bucket holding releases/' },
    primary: { type: 'string', value: '<id>', description: 'the production distribution' },
    staging: {
      type: 'string',
      value: '<id>',
      description: 'the staging distribution (default: the one the primary’s attached policy routes to)',
    },
    'record-bucket': {
      type: 'string',
      value: '<bucket>',
      description:
        "the pipeline's artifact bucket holding cfcd-revert/<primary id>/: keep the release folders of the newest " +
        'revert record (the revert target); a record that cannot be read refuses the prune',
    },
    keep: {
      type: 'integer',
      min: 1,
      max: 1000,
      default: DEFAULT_KEEP,
      value: '<N>',
      description: 'how many of the newest complete releases to keep',
    },
    'dry-run': { type: 'boolean', description: 'show the plan and delete nothing' },
    ...CONFIRM_OPTIONS,
    ...COMMON_OPTIONS,
  },
  details:
    'Exit codes: 0 done (or nothing to delete), 1 a call failed (the revert record could not be read: nothing ' +
    'deleted) or you answered no, 2 bad usage, 130 stopped at the question (nothing deleted).',
};

const NAMES = ['PrimaryDistributionId', 'StagingDistributionId', 'StaticResourceBucketName', 'RevertRecordBucket'];

/** The stagings the primary's attached policy routes to, found by their domain (as `cfcd status` does). */
async function stagingsOf(primary: DistributionState): Promise<DistributionState[]> {
  const policyId = attachedPolicyId(primary.config);
  if (!policyId) return [];
  const domains = stagingDomainsOf((await readPolicy(policyId)).config);
  if (!domains.length) return [];
  const listed = await listDistributions();
  const ids = listed.filter((d) => d.Id && d.DomainName && domains.includes(d.DomainName)).map((d) => d.Id as string);
  const found = await Promise.all(ids.map((id) => readDistributionIfExists(id)));
  return found.filter((d): d is DistributionState => d !== undefined);
}

/**
 * Reads, now, every origin path the primary and the staging serve: a named staging beside the primary, otherwise the
 * stagings its attached policy routes to (found with ListDistributions, which only cfcd makes).
 */
export function liveServed(primaryId: string, stagingId: string | undefined): () => Promise<ServedPath[]> {
  return readServed(primaryId, stagingId ?? stagingsOf);
}

/** The newest revert record could not be read (`--record-bucket`): the prune does not run (exit 1). */
export class RevertTargetUnknownError extends CfcdError {
  override readonly name = 'RevertTargetUnknownError';
  readonly kind = 'failed';
}

/**
 * The release folders of the primary's newest revert record (`--record-bucket`). A listing or a record that cannot
 * be read fails the command before anything is listed or deleted: a prune that does not know the revert target could
 * delete the release a revert goes back to.
 */
async function revertTarget(recordBucket: string, primaryId: string): Promise<{ commits: string[]; note: string }> {
  let newest: Awaited<ReturnType<typeof newestRecordCommits>>;
  try {
    newest = await newestRecordCommits(recordBucket, primaryId);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new RevertTargetUnknownError(
      `could not read the newest revert record of primary ${primaryId} in s3://${recordBucket}/cfcd-revert/ ` +
        `(${why}), so the release a revert goes back to is not known; nothing was deleted`,
      { cause: err },
    );
  }
  if (!newest) return { commits: [], note: `no revert record of primary ${primaryId} in s3://${recordBucket}` };
  const what = newest.commits.length ? newest.commits.join(', ') : 'no release folder (not a /releases/ origin)';
  return { commits: newest.commits, note: `${what} (s3://${recordBucket}/${newest.key})` };
}

function showPlan(ctx: Context, plan: PrunePlan, bucket: string): void {
  const show = (text: string) => (ctx.json ? ctx.terminal.note(text) : ctx.terminal.line(text));
  show(`cfcd prune: the plan for s3://${bucket}/releases/`);
  if (!plan.delete.length && !plan.keep.length) show('  no release folders');
  for (const f of plan.delete) show(`  - delete ${f.name} (${f.keys.length} objects): ${f.reason}`);
  for (const f of plan.keep) show(`  - keep ${f.name}: ${f.reason}`);
  if (!plan.delete.length) show('  nothing to delete');
}

export async function runPrune(values: Record<string, unknown>, ctx: Context): Promise<unknown> {
  const { primaryId, stagingId, bucket, recordBucket } = parseWithFlags(pruneSpec, NAMES, values, (parameters) => {
    const p = new ParamReader(parameters, NAMES);
    return {
      primaryId: p.distributionId('PrimaryDistributionId'),
      stagingId: parameters.StagingDistributionId ? p.primaryAndStaging().stagingId : undefined,
      bucket: p.optionalBucketName('StaticResourceBucketName'),
      recordBucket: p.optionalBucketName('RevertRecordBucket'),
    };
  });
  if (!bucket) throw new UsageError('--bucket is required: the S3 origin bucket holding releases/', pruneSpec);
  const dryRun = values['dry-run'] === true;
  if (!dryRun && values.yes !== true && !ctx.stdin.isTTY)
    throw new UsageError(
      'stdin is not a terminal, so cfcd cannot ask before deleting: pass --yes to delete without asking',
      pruneSpec,
    );
  const keep = typeof values.keep === 'number' ? values.keep : DEFAULT_KEEP;
  const target = recordBucket ? await revertTarget(recordBucket, primaryId) : undefined;
  if (target) {
    const line = `keeping the revert target: ${target.note}`;
    if (ctx.json) ctx.terminal.note(line);
    else ctx.terminal.line(line);
  }
  const result: PruneResult = await pruneReleases({
    bucket,
    keep,
    protect: target?.commits ?? [],
    readServed: liveServed(primaryId, stagingId),
    dryRun,
    confirm: async (plan) => {
      showPlan(ctx, plan, bucket);
      if (values.yes === true) return;
      const answer = await ask(
        `Delete ${plan.delete.length} release folder(s)? [y/N] `,
        ctx.stdin,
        ctx.json ? ctx.terminal.stderr : ctx.terminal.stdout,
      );
      if (answer === 'interrupted') throw new InterruptedError('stopped at the confirmation; nothing was deleted');
      if (answer === 'no') throw new DeclinedError('you answered no; nothing was deleted');
    },
  });
  if (dryRun || !result.plan.delete.length) showPlan(ctx, result.plan, bucket);
  if (dryRun) say(ctx, 'dry run: nothing deleted');
  else {
    for (const f of result.spared) say(ctx, `kept ${f.name} after all: ${f.reason}`);
    say(
      ctx,
      `deleted ${result.deleted.length} release folder(s), kept ${result.plan.keep.length + result.spared.length}`,
    );
  }
  const brief = (f: { name: string; reason: string; keys: string[] }) => ({
    commit: f.name,
    reason: f.reason,
    objects: f.keys.length,
  });
  return {
    bucket,
    dryRun,
    keep,
    ...(recordBucket ? { recordBucket, revertTarget: target?.commits ?? [] } : {}),
    planned: { delete: result.plan.delete.map(brief), keep: result.plan.keep.map(brief) },
    deleted: result.deleted.map(brief),
    spared: result.spared.map(brief),
  };
}
