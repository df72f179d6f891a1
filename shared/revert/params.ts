/**
 * The parameters of a commanded revert (`cfcd revert`, see ./action.ts). Every problem is an {@link InputError}
 * naming the field, raised before any AWS call. Two readings: the request as a person gives it (the record and the
 * staging may be left for the command to find), and the action's parameters once both are known.
 */
import { InputError } from '../domain/errors.js';
import { ParamReader, describe, maxWaitMinutes, parseUserParametersJson } from '../domain/params.js';
import { isRecordKeyOf } from './record.js';

/** Every parameter a commanded revert accepts (cfcd makes a flag of each). */
export const parameterNames = [
  'PrimaryDistributionId',
  'StagingDistributionId',
  'RevertRecordBucket',
  'RevertRecord',
  'StaticResourceBucketName',
  'InvalidationPaths',
  'MaxWaitMinutes',
] as const;

/** What a person asks for: the record and the staging are optional (the newest record, and the staging it names). */
export interface RevertRequest {
  primaryId: string;
  stagingId: string | undefined;
  /** The artifact bucket holding `cfcd-revert/`. */
  recordBucket: string;
  /** A record key of this primary; undefined: the newest under `cfcd-revert/<primary>/`. */
  recordKey: string | undefined;
  /** The site bucket: the previous release's root object is checked there before the first write. */
  contentBucket: string | undefined;
  invalidationPaths: string[];
  maxWaitMinutes: number;
}

/** The action's parameters: the request with the record and the staging settled. */
export interface RevertParams extends RevertRequest {
  stagingId: string;
  recordKey: string;
}

/** Reads a request; throws InputError naming the field. */
export function parseRevertRequest(raw: unknown): RevertRequest {
  const values = parseUserParametersJson(raw);
  const p = new ParamReader(values, parameterNames);
  const primaryId = p.distributionId('PrimaryDistributionId');
  const stagingId = values.StagingDistributionId ? p.primaryAndStaging().stagingId : undefined;
  const recordBucket = p.optionalBucketName('RevertRecordBucket');
  if (!recordBucket)
    throw new InputError('RevertRecordBucket', "is required (the pipeline's artifact bucket, holding cfcd-revert/)");
  const key = values.RevertRecord;
  if (key !== undefined && key !== '' && (typeof key !== 'string' || !isRecordKeyOf(key, primaryId)))
    throw new InputError(
      'RevertRecord',
      `${describe(key)} is not a revert record key of primary ${primaryId} ` +
        `(cfcd-revert/${primaryId}/<promotion id>.json)`,
    );
  return {
    primaryId,
    stagingId,
    recordBucket,
    recordKey: typeof key === 'string' && key !== '' ? key : undefined,
    contentBucket: p.optionalBucketName('StaticResourceBucketName'),
    invalidationPaths: p.invalidationPaths(),
    maxWaitMinutes: maxWaitMinutes(p),
  };
}

/** Reads the action's parameters: a request whose record and staging are given. */
export function parseRevertParams(raw: unknown): RevertParams {
  const request = parseRevertRequest(raw);
  if (!request.stagingId) throw new InputError('StagingDistributionId', 'is required (the revert goes through it)');
  if (!request.recordKey) throw new InputError('RevertRecord', 'is required (the record to go back by)');
  return { ...request, stagingId: request.stagingId, recordKey: request.recordKey };
}
