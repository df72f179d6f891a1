/**
 * promote's last step when `ReleaseBucket` is set: delete the old release folders (shared/aws/release-prune.ts),
 * keeping the newest `KeepReleases`, every folder the primary or the staging serves, read live right before each
 * deletion, and (`RevertRecordBucket`) the release of the primary's newest revert record — or not running at all when
 * that record cannot be read. The promotion is done by then and stands whatever happens here: a failure is a WARN line and a sentence
 * in the report naming the `cfcd prune` command that finishes the job, never a failed job.
 */
import type { WriteResult } from '../../shared/aws/apply-plan.js';
import { pruneReleases } from '../../shared/aws/release-prune.js';
import { liveServed } from '../../shared/aws/release-served.js';
import { newestRecordCommits } from '../../shared/aws/revert-record.js';
import { PIPELINE_WORDS, sayError } from '../../shared/domain/errors.js';
import { type Logger, errorFields } from '../../shared/log.js';
import type { PrunePlan } from '../../shared/release/prune-plan.js';
import type { PruneReleasesChange } from './plan.js';
import { type PruneReport, pruneCommand, pruneReportToData } from './result.js';

/** Each folder with what became of it and why, for the one log line. */
function folderLines(plan: PrunePlan, done: { deleted: string[]; spared: Map<string, string> } | undefined) {
  return [
    ...plan.delete.map((f) => {
      const spared = done?.spared.get(f.name);
      if (spared !== undefined) return { folder: f.name, verdict: 'kept', reason: `kept at deletion time: ${spared}` };
      const verdict = !done ? 'to-delete' : done.deleted.includes(f.name) ? 'deleted' : 'not-deleted';
      return { folder: f.name, verdict, reason: f.reason, objects: f.keys.length };
    }),
    ...plan.keep.map((f) => ({ folder: f.name, verdict: 'kept', reason: f.reason })),
  ];
}

/**
 * The release folders of the primary's newest revert record (`RevertRecordBucket`), whichever job wrote it: the bake
 * (and `cfcd revert`) go back by the newest record, so its folders must outlive the prune even when a re-run of promote
 * wrote none. A failure to read it is an error to report, never a prune that keeps less: the caller skips the prune.
 */
async function revertTarget(
  change: PruneReleasesChange,
  log: Logger,
): Promise<{ commits: string[] } | { error: string }> {
  const { recordBucket, primaryId, bucket, keep } = change;
  if (!recordBucket) return { commits: [] };
  try {
    const newest = await newestRecordCommits(recordBucket, primaryId);
    if (newest) log.info('prune-protects-revert-target', { recordBucket, record: newest.key, commits: newest.commits });
    return { commits: newest?.commits ?? [] };
  } catch (err) {
    const command = pruneCommand(bucket, primaryId, change.stagingId, recordBucket);
    log.warn('prune-skipped', {
      bucket,
      keep,
      recordBucket,
      error: errorFields(err),
      reason: "the newest revert record could not be read, so the revert target's release folders are not known",
      next: `the promotion stands; nothing was deleted: run ${command}`,
    });
    return { error: sayError(err, PIPELINE_WORDS) };
  }
}

/**
 * Prunes, and reports what it did as memory for the summary. Never throws: the promotion is complete and must not be
 * failed (nor retried) because an old folder could not be deleted.
 */
export async function pruneWrite(change: PruneReleasesChange, log: Logger): Promise<WriteResult> {
  const { bucket, keep, primaryId, stagingId, recordBucket } = change;
  const target = await revertTarget(change, log);
  if ('error' in target)
    return { wrote: false, remember: pruneReportToData({ outcome: 'skipped', error: target.error }) };
  const protect = [...new Set([...change.protect, ...target.commits])];
  let planned: PrunePlan | undefined;
  try {
    const result = await pruneReleases({
      bucket,
      keep,
      protect,
      readServed: liveServed(primaryId, stagingId),
      dryRun: false,
      confirm: async (plan) => {
        planned = plan;
      },
    });
    const deleted = result.deleted.map((f) => f.name);
    const spared = new Map(result.spared.map((f) => [f.name, f.reason]));
    const report: PruneReport = {
      outcome: 'pruned',
      deleted: deleted.length,
      kept: result.plan.keep.length + result.spared.length,
    };
    log.info('release-prune', {
      bucket,
      keep,
      deleted: report.deleted,
      kept: report.kept,
      folders: folderLines(result.plan, { deleted, spared }),
    });
    return { wrote: deleted.length > 0, remember: pruneReportToData(report) };
  } catch (err) {
    const command = pruneCommand(bucket, primaryId, stagingId, recordBucket);
    log.warn('prune-failed', {
      bucket,
      keep,
      error: errorFields(err),
      ...(planned ? { planned: folderLines(planned, undefined) } : {}),
      next: `the promotion stands; old release folders may remain: run ${command}`,
    });
    return { wrote: false, remember: pruneReportToData({ outcome: 'failed', error: sayError(err, PIPELINE_WORDS) }) };
  }
}
