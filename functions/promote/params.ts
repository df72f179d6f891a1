import { InputError } from '../../shared/domain/errors.js';
import { type GateParams, parseGate } from '../../shared/domain/gate.js';
import { ParamReader, maxWaitMinutes, parseUserParametersJson } from '../../shared/domain/params.js';
import { DEFAULT_KEEP } from '../../shared/release/prune-plan.js';
import { type StagingHeader, parseRampHeader } from '../../shared/domain/ramp-header.js';

/** Every UserParameters key promote accepts (the pipeline template's wiring test checks against this list). */
export const parameterNames = [
  'PrimaryDistributionId',
  'StagingDistributionId',
  'ContinuousDeploymentPolicyId',
  'ExpectedStagingETag',
  'MaxWaitMinutes',
  'MinStagingRequests',
  'MaxStaging5xxErrorRate',
  'MaxErrorRateIncrease',
  'MetricsWindowMinutes',
  'InvalidationPaths',
  'ReleaseBucket',
  'KeepReleases',
  'RevertRecordBucket',
  'RampHeader',
] as const;

/** The most complete releases `KeepReleases` may keep (cfcd prune's `--keep` goes further, by hand). */
export const MAX_KEEP_RELEASES = 100;

/** Where and how much promote prunes once the promotion is complete. */
export interface PruneTarget {
  /** `ReleaseBucket`: the origin bucket holding `releases/<commit>/`. */
  bucket: string;
  /** `KeepReleases`: the newest complete releases kept (besides those the primary and the staging serve). */
  keep: number;
}

export interface PromoteParams {
  primaryId: string;
  stagingId: string;
  /**
   * The policy the primary must have attached (the staging stack's output). When given, primary, staging and policy
   * are read in one round instead of reading the policy after the primary names it.
   */
  policyId: string | undefined;
  /**
   * The staging's ETag when the reviewer looked at it (enable-CD's `StagingETag`): promote refuses, with no write,
   * a staging that has changed since.
   */
  expectedStagingEtag: string | undefined;
  maxWaitMinutes: number;
  /**
   * `InvalidationPaths`: invalidated on the primary once it is Deployed with the promoted config (default `["/*"]`);
   * empty when the operator turned invalidation off.
   */
  invalidationPaths: string[];
  /** Undefined when no gate threshold is set: promote then reads no metric at all. */
  gate: GateParams | undefined;
  /**
   * Undefined when `ReleaseBucket` is absent or `""` (a configuration-only pipeline): promote then makes no S3 call.
   */
  prune: PruneTarget | undefined;
  /**
   * `RevertRecordBucket`: the pipeline's artifact bucket, where promote records what it replaces before promoting
   * (shared/revert/record.ts); undefined when absent or `""` (no record, no S3 call, as before).
   */
  recordBucket: string | undefined;
  /**
   * `RampHeader` (enable-CD's and the ramp's, the same value; `""` without a ramp): once the promotion is done, a
   * disabled policy still at the ramp's weight is put back on header routing, still disabled, so that the next
   * release's enable-CD finds no weight to switch back on (functions/promote/restore.ts). Undefined: no such write.
   */
  rampHeader: StagingHeader | undefined;
}

/**
 * Reads `ReleaseBucket` and `KeepReleases`. `KeepReleases` without a bucket is refused rather than ignored: it says
 * the operator expects a prune that would never run.
 */
function parsePrune(p: ParamReader): PruneTarget | undefined {
  const bucket = p.optionalBucketName('ReleaseBucket');
  const keep = p.optionalNumber('KeepReleases', { min: 1, max: MAX_KEEP_RELEASES, integer: true });
  if (keep !== undefined && !bucket)
    throw new InputError(
      'KeepReleases',
      'is given without ReleaseBucket: name the bucket holding releases/ to prune it, ' +
        'or leave KeepReleases out (or "")',
    );
  return bucket ? { bucket, keep: keep ?? DEFAULT_KEEP } : undefined;
}

/** Parses promote's UserParameters; throws InputError naming the field. */
export function parsePromoteParams(raw: unknown): PromoteParams {
  const values = parseUserParametersJson(raw);
  const p = new ParamReader(values, parameterNames);
  return {
    ...p.primaryAndStaging(),
    policyId: p.optionalPolicyId('ContinuousDeploymentPolicyId'),
    expectedStagingEtag: p.optionalEtag('ExpectedStagingETag'),
    maxWaitMinutes: maxWaitMinutes(p),
    invalidationPaths: p.invalidationPaths(),
    gate: parseGate(p, 'MetricsWindowMinutes'),
    prune: parsePrune(p),
    recordBucket: p.optionalBucketName('RevertRecordBucket'),
    rampHeader: parseRampHeader(values.RampHeader),
  };
}
