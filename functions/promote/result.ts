/**
 * What promote reports once the primary is Deployed, and what the `promoted` continuation carries until then.
 * Pure: the facts are fixed when the promotion is decided, so a later invocation that only watches the primary
 * propagate reports the same thing.
 */
import { sentence } from '../../shared/domain/errors.js';
import { type ContinuationData, ContinuationError } from '../../shared/job/continuation.js';
import { PHASE } from './phases.js';

/** What the success report says about the promotion. Strings, because they travel in the continuation token. */
export interface PromotionFacts {
  /** The readable change summary (already cut to `CHANGES_SUMMARY_MAX_CHARS`). */
  changes: string;
  /** `"true"` / `"false"`: whether the policy attached to the primary routes viewers to staging. */
  policyEnabled: string;
  note: string;
  /** The primary's ETag right after our promotion; absent when this run did not promote. */
  etagAfterPromote?: string;
  /** The promotion gate's figures as output variables (`StagingRequests`, ...); absent when the gate was off. */
  gate?: Record<string, string>;
}

/** The output variables the gate may add; they travel in the continuation data under the same names. */
export const GATE_VARIABLES = [
  'StagingRequests',
  'Staging5xxErrorRate',
  'Primary5xxErrorRate',
  'MetricsWindowMinutes',
] as const;

/**
 * The note for the operator about where viewers go now. A promotion disables the policy, and the staging stack still
 * says `Enabled: true`, so CloudFormation will not re-enable it: enable-CD does, at the start of the next cycle.
 */
export function promotionNote(f: {
  primaryId: string;
  stagingId: string;
  policyId: string | undefined;
  policyEnabled: boolean;
}): string {
  if (!f.policyId) {
    return (
      `No continuous deployment policy is attached to primary ${f.primaryId}: all traffic is on the primary. ` +
      'The next enable-CD run attaches and enables the policy.'
    );
  }
  if (!f.policyEnabled) {
    return (
      `Promotion disabled continuous deployment policy ${f.policyId}: all traffic is back on primary ${f.primaryId}. ` +
      'The next enable-CD run re-enables it (CloudFormation cannot see that drift).'
    );
  }
  return (
    `Nothing was promoted in this run, so continuous deployment policy ${f.policyId} is still enabled: ` +
    `a share of viewers still goes to staging ${f.stagingId}, which serves the same config as primary ${f.primaryId}.`
  );
}

/** The facts as continuation data. */
export function factsToData(f: PromotionFacts): Record<string, string> {
  return {
    changes: f.changes,
    policyEnabled: f.policyEnabled,
    note: f.note,
    ...(f.etagAfterPromote ? { etagAfterPromote: f.etagAfterPromote } : {}),
    ...f.gate,
  };
}

/** The facts from continuation data written by {@link factsToData}; throws if the token does not hold them. */
export function factsFromData(data: ContinuationData | undefined): PromotionFacts {
  const { changes, policyEnabled, note, etagAfterPromote } = data ?? {};
  const gate = Object.fromEntries(
    GATE_VARIABLES.filter((name) => typeof data?.[name] === 'string').map((name) => [name, data?.[name] as string]),
  );
  if (typeof changes !== 'string' || typeof policyEnabled !== 'string' || typeof note !== 'string') {
    throw new ContinuationError(
      (w) =>
        `${w.token} for phase "${PHASE.promoted}" or "${PHASE.invalidating}" ` +
        'does not hold the promotion facts (changes, policyEnabled, note); ' +
        'it was not written by this version of promote. ' +
        `The promotion itself may have happened: ${w.rerun}, which checks before writing.`,
    );
  }
  if (policyEnabled !== 'true' && policyEnabled !== 'false') {
    throw new ContinuationError(
      (w) =>
        `${w.token} says policyEnabled ${JSON.stringify(policyEnabled)}; promote writes "true" or "false". ` +
        `It was not written by promote. ${sentence(w.rerun)}, which checks before writing.`,
    );
  }
  return {
    changes,
    policyEnabled,
    note,
    ...(typeof etagAfterPromote === 'string' ? { etagAfterPromote } : {}),
    ...(Object.keys(gate).length ? { gate } : {}),
  };
}

/** The output variables of a successful promote. */
export function successVariables(f: PromotionFacts, primaryEtag: string, stagingId: string): Record<string, string> {
  return {
    PrimaryETag: primaryEtag,
    PromotedFrom: stagingId,
    Changes: f.changes,
    PolicyEnabled: f.policyEnabled,
    Note: f.note,
    ...f.gate,
  };
}

/** What the prune after the promotion did (`ReleaseBucket`), as the write leaves it for the report. */
export type PruneReport =
  | { outcome: 'pruned'; deleted: number; kept: number }
  | { outcome: 'failed'; error: string }
  /** Not run: the newest revert record could not be read, so what to keep was not known (nothing deleted). */
  | { outcome: 'skipped'; error: string }
  /** No prune ran in the pass that reports (a guard: the report never claims a prune that did not happen). */
  | { outcome: 'not-run' };

/** The longest error text the report repeats; the whole error is in the `prune-failed` log line. */
const PRUNE_ERROR_MAX_CHARS = 300;

/** The prune's report as memory (strings): the write leaves it, the summary of the same pass reads it. */
export function pruneReportToData(r: PruneReport): Record<string, string> {
  if (r.outcome === 'pruned')
    return { pruneOutcome: r.outcome, pruneDeleted: String(r.deleted), pruneKept: String(r.kept) };
  if (r.outcome === 'failed' || r.outcome === 'skipped')
    return { pruneOutcome: r.outcome, pruneError: cut(r.error, PRUNE_ERROR_MAX_CHARS) };
  return { pruneOutcome: r.outcome };
}

/** The prune's report from the memory {@link pruneReportToData} wrote; `not-run` when it holds none. */
export function pruneReportFromData(data: ContinuationData): PruneReport {
  const { pruneOutcome, pruneDeleted, pruneKept, pruneError } = data;
  if (pruneOutcome === 'pruned') return { outcome: 'pruned', deleted: Number(pruneDeleted), kept: Number(pruneKept) };
  if (pruneOutcome === 'failed') return { outcome: 'failed', error: pruneError ?? 'unknown error' };
  if (pruneOutcome === 'skipped') return { outcome: 'skipped', error: pruneError ?? 'unknown error' };
  return { outcome: 'not-run' };
}

/** The command an operator runs to prune by hand what promote could not. */
export function pruneCommand(
  bucket: string,
  primaryId: string,
  stagingId: string,
  recordBucket?: string | undefined,
): string {
  const record = recordBucket ? ` --record-bucket ${recordBucket}` : '';
  return `cfcd prune --bucket ${bucket} --primary ${primaryId} --staging ${stagingId}${record}`;
}

const folders = (n: number) => `${n} release folder${n === 1 ? '' : 's'}`;

/**
 * The prune in the report: the `Pruned` output variable (short: CodePipeline's variables stay small) and the
 * summary's sentence, which names the command to run when the prune did not happen.
 */
export function pruneOutcome(
  r: PruneReport,
  target: { bucket: string; primaryId: string; stagingId: string; recordBucket?: string | undefined },
): { variable: string; sentence: string } {
  const command = pruneCommand(target.bucket, target.primaryId, target.stagingId, target.recordBucket);
  const where = `s3://${target.bucket}/releases/`;
  switch (r.outcome) {
    case 'pruned': {
      const variable = `deleted ${folders(r.deleted)}, kept ${r.kept}`;
      return { variable, sentence: `Pruned ${where}: ${variable}.` };
    }
    case 'failed':
      return {
        variable: `failed: run ${command}`,
        sentence:
          `Pruning old release folders of ${where} failed (${r.error}); the promotion stands. ` +
          `Old folders may remain: run ${command}.`,
      };
    case 'skipped':
      return {
        variable: `skipped: run ${command}`,
        sentence:
          `Old release folders of ${where} were not pruned: the newest revert record could not be read ` +
          `(${r.error}), so the revert target's folders were not known; the promotion stands. Run ${command}.`,
      };
    case 'not-run':
      return {
        variable: `not run: run ${command}`,
        sentence: `Old release folders of ${where} were not pruned in this run: run ${command}.`,
      };
  }
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
