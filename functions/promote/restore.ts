/**
 * promote's header restore after a ramped promotion (`RampHeader`): the policy the promotion disabled at the ramp's
 * weight is put back on header routing, still disabled, in one ETag-guarded write. A stale ETag re-reads the policy
 * and plans again (another writer may have restored it, enabled it, or detached it). The promotion is done by then
 * and stands whatever happens here: a failure is a WARN line and a sentence in the report, never a failed job.
 */
import type { WriteResult } from '../../shared/aws/apply-plan.js';
import { isPreconditionFailed, readPolicyIfExists, writePolicyConfig } from '../../shared/aws/cloudfront.js';
import { PIPELINE_WORDS, sayError } from '../../shared/domain/errors.js';
import type { PolicyState } from '../../shared/domain/resources.js';
import { type Logger, errorFields } from '../../shared/log.js';
import { type RestoreHeaderChange, planHeaderRestore, withHeaderRoutingDisabled } from './plan.js';

/** The first write and two after a stale ETag, as the plan-apply step allows any plan. */
const ATTEMPTS = 3;

/** What the restore did, for the report: kept in the job's memory under `headerRestore`. */
export type HeaderRestoreOutcome = 'restored' | 'in-place' | 'failed';

/** The memory the report reads: the outcome, and the error of a failed restore. */
export function restoreReportToData(outcome: HeaderRestoreOutcome, error?: string): Record<string, string> {
  return { headerRestore: outcome, ...(error ? { headerRestoreError: error } : {}) };
}

/** The report's sentence on the restore this pass planned, from what its write remembered. */
export function restoreSentence(change: RestoreHeaderChange, memory: Record<string, string | undefined>): string {
  const header = `${change.header.header}: ${change.header.value}`;
  switch (memory.headerRestore) {
    case 'restored':
      return `Policy ${change.policyId} was put back on header routing (${header}), still disabled`;
    case 'in-place':
      return `Policy ${change.policyId} needed no header restore on re-read`;
    default:
      return (
        `Policy ${change.policyId} could NOT be put back on header routing ` +
        `(${memory.headerRestoreError ?? 'not run'}); ` +
        "it is disabled at the ramp's weight: see docs/ramp.md#what-a-ramp-leaves-behind"
      );
  }
}

/**
 * Writes the restore against the policy as read; on a stale ETag, reads it again and writes only what it still
 * needs. Never throws: the promotion is complete and must not be failed (nor retried) because of this write.
 */
export async function restoreHeaderWrite(
  change: RestoreHeaderChange,
  read: PolicyState | undefined,
  log: Logger,
): Promise<WriteResult> {
  const header = `${change.header.header}: ${change.header.value}`;
  let policy = read;
  try {
    for (let attempt = 1; ; attempt++) {
      const still = policy?.id === change.policyId ? planHeaderRestore(policy, change.header) : undefined;
      if (!policy || !still) {
        log.info('write-skipped', {
          change: change.kind,
          policyId: change.policyId,
          reason: policy
            ? 'on re-read the policy is no longer a disabled weighted policy (restored or enabled by another writer)'
            : 'on re-read the policy no longer exists',
        });
        return { wrote: false, remember: restoreReportToData('in-place') };
      }
      try {
        const etag = await writePolicyConfig(policy, withHeaderRoutingDisabled(policy.config, change.header));
        log.info('write', {
          change: change.kind,
          policyId: policy.id,
          header,
          enabled: false,
          replacesWeight: still.replacesWeight,
          ifMatch: policy.etag,
          newEtag: etag,
          reason: change.reason,
        });
        return { wrote: true, remember: restoreReportToData('restored') };
      } catch (err) {
        if (!isPreconditionFailed(err) || attempt >= ATTEMPTS) throw err;
        log.warn('stale-etag', { change: change.kind, attempt, action: 're-reading the policy' });
        policy = await readPolicyIfExists(change.policyId);
      }
    }
  } catch (err) {
    log.warn('header-restore-failed', {
      policyId: change.policyId,
      header,
      error: errorFields(err),
      next:
        `the promotion stands; policy ${change.policyId} is disabled but still routes by weight: with the ramp on, ` +
        "the next release's enable-cd puts it on header routing; with it off, see " +
        'docs/ramp.md#what-a-ramp-leaves-behind',
    });
    return { wrote: false, remember: restoreReportToData('failed', sayError(err, PIPELINE_WORDS)) };
  }
}
