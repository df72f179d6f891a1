/**
 * The bake's UserParameters. Every problem is an {@link InputError} naming the field, raised before any AWS call.
 */
import { type AlarmRef, parseAlarmNames } from '../../shared/domain/alarms.js';
import { InputError } from '../../shared/domain/errors.js';
import { ParamReader, describe, parseUserParametersJson } from '../../shared/domain/params.js';
import { isRecordKeyOf } from '../../shared/revert/record.js';

/** Every UserParameters key the bake accepts (the pipeline template's wiring test checks against this list). */
export const parameterNames = [
  'PrimaryDistributionId',
  'StagingDistributionId',
  'ContinuousDeploymentPolicyId',
  'RevertRecordBucket',
  'RevertRecord',
  'BakeMinutes',
  'MaxErrorRateIncrease',
  'MaxPrimary5xxErrorRate',
  'MinRequests',
  'InconclusiveBake',
  'MaxWaitMinutes',
  'InvalidationPaths',
  'StaticResourceBucketName',
  'AlarmNames',
] as const;

export const DEFAULT_BAKE_MINUTES = 15;
export const MAX_BAKE_MINUTES = 240;
/** Requests the bake's window must hold before an error rate is judged: a handful of requests is noise. */
export const DEFAULT_MIN_REQUESTS = 100;
/** `MaxWaitMinutes` when not given: the bake plus time for the promotion's propagation and too little traffic. */
export const DEFAULT_EXTRA_WAIT_MINUTES = 45;
/** The longest `MaxWaitMinutes`, leaving {@link REVERT_WAIT_MINUTES} within CodePipeline's 24 hours. */
export const MAX_WAIT_MINUTES = 20 * 60;
/**
 * The wait allowed to a revert on top of `MaxWaitMinutes` (two propagations and an invalidation): a revert started at
 * the end of the bake must not be cut off by the wait limit halfway through.
 */
export const REVERT_WAIT_MINUTES = 120;
/** `RevertRecord` when promote did not promote in this execution (its output then says so). */
export const NO_RECORD = 'none';

export type Inconclusive = 'succeed' | 'fail';

export interface BakeParams {
  primaryId: string;
  stagingId: string;
  /** The policy the primary must have attached before a revert writes; undefined: not checked. */
  policyId: string | undefined;
  /** The artifact bucket holding `cfcd-revert/`. */
  recordBucket: string;
  /**
   * Where the record is; undefined when `RevertRecord` is `none` (promote did not promote in this job, e.g. a re-run
   * after an earlier attempt promoted): the bake then looks for the newest record the primary still carries.
   */
  record: { bucket: string; key: string } | undefined;
  bakeMinutes: number;
  /** Highest acceptable excess of the primary's 5xx rate over its own before the promotion, percentage points. */
  maxErrorRateIncrease: number | undefined;
  /** Highest acceptable 5xx rate of the primary during the bake, percent. */
  maxPrimary5xxErrorRate: number | undefined;
  minRequests: number;
  /** What too little traffic by `MaxWaitMinutes` ends in: success with a warning, or a failed job. */
  inconclusive: Inconclusive;
  /** How long the bake may wait for production to be judged (from the job's start), in minutes. */
  maxWaitMinutes: number;
  invalidationPaths: string[];
  /** The site bucket: the previous release's root object is checked there before a revert writes. */
  contentBucket: string | undefined;
  /** Alarms whose ALARM state during the bake means production is unhealthy; empty when none is named. */
  alarms: AlarmRef[];
}

function parseRecordRef(p: ParamReader, raw: unknown, primaryId: string): BakeParams['record'] {
  const bucket = p.optionalBucketName('RevertRecordBucket');
  if (!bucket) throw new InputError('RevertRecordBucket', "is required (the pipeline's artifact bucket)");
  if (typeof raw !== 'string' || raw === '')
    throw new InputError('RevertRecord', "is required (promote's RevertRecord output: #{Promote.RevertRecord})");
  if (raw === NO_RECORD) return undefined;
  if (!isRecordKeyOf(raw, primaryId))
    throw new InputError(
      'RevertRecord',
      `${describe(raw)} is not a revert record key of primary ${primaryId} ` +
        `(cfcd-revert/${primaryId}/<promotion id>.json)`,
    );
  return { bucket, key: raw };
}

/** Parses the bake's UserParameters; throws InputError naming the field. */
export function parseBakeParams(raw: unknown): BakeParams {
  const values = parseUserParametersJson(raw);
  const p = new ParamReader(values, parameterNames);
  const { primaryId, stagingId } = p.primaryAndStaging();
  const bakeMinutes =
    p.optionalNumber('BakeMinutes', { min: 0, max: MAX_BAKE_MINUTES, integer: true }) ?? DEFAULT_BAKE_MINUTES;
  const maxErrorRateIncrease = p.optionalNumber('MaxErrorRateIncrease', { min: 0, max: 100 });
  const maxPrimary5xxErrorRate = p.optionalNumber('MaxPrimary5xxErrorRate', { min: 0, max: 100 });
  const alarms = parseAlarmNames(values.AlarmNames);
  if (maxErrorRateIncrease === undefined && maxPrimary5xxErrorRate === undefined && alarms.length === 0)
    throw new InputError(
      'MaxErrorRateIncrease',
      'or MaxPrimary5xxErrorRate or AlarmNames is required: a bake without a threshold judges nothing ' +
        '(an alarm counts as one)',
    );
  const maxWaitMinutes =
    p.optionalNumber('MaxWaitMinutes', { min: 1, max: MAX_WAIT_MINUTES, integer: true }) ??
    bakeMinutes + DEFAULT_EXTRA_WAIT_MINUTES;
  if (maxWaitMinutes <= bakeMinutes)
    throw new InputError(
      'MaxWaitMinutes',
      `must be more than BakeMinutes (${bakeMinutes}): it also covers the promotion's propagation, ` +
        `got ${maxWaitMinutes}`,
    );
  const record = parseRecordRef(p, values.RevertRecord, primaryId);
  return {
    primaryId,
    stagingId,
    policyId: p.optionalPolicyId('ContinuousDeploymentPolicyId'),
    record,
    recordBucket: p.optionalBucketName('RevertRecordBucket') as string,
    bakeMinutes,
    maxErrorRateIncrease,
    maxPrimary5xxErrorRate,
    minRequests: p.optionalNumber('MinRequests', { min: 1, max: 1_000_000_000, integer: true }) ?? DEFAULT_MIN_REQUESTS,
    inconclusive: p.optionalEnum('InconclusiveBake', ['succeed', 'fail'] as const) ?? 'succeed',
    maxWaitMinutes,
    invalidationPaths: p.invalidationPaths(),
    contentBucket: p.optionalBucketName('StaticResourceBucketName'),
    alarms,
  };
}
