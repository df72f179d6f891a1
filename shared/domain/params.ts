/**
 * Parsing and validation of a CodePipeline action's `UserParameters`. Every problem is a {@link InputError}
 * naming the field, raised before the action reads or writes anything in AWS.
 */
import { InputError } from './errors.js';
import { DEFAULT_INVALIDATION_PATHS, MAX_FILE_PATHS, MAX_WILDCARD_PATHS } from './invalidation.js';
import { type DuplicateKey, describePath, findDuplicateKey } from './json-keys.js';

/** CloudFront distribution ids: `E` followed by upper-case letters and digits (14 characters today). */
const DISTRIBUTION_ID = /^E[A-Z0-9]{8,20}$/;
/** Continuous deployment policy ids are UUIDs. */
const POLICY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** CloudFront ETags: letters and digits (e.g. `E2QWRUHAPOMQZL`); `_` and `-` tolerated. */
const ETAG = /^[A-Za-z0-9_-]{1,64}$/;
/** CodePipeline pipeline names: 1–100 of letters, digits and . @ - _. */
const PIPELINE_NAME = /^[A-Za-z0-9.@_-]{1,100}$/;
/** CodePipeline execution ids are UUIDs. */
const EXECUTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** S3 general purpose bucket names: 3–63 of a-z 0-9 . -, starting and ending with a letter or digit. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** What an empty UserParameters is told to look like. */
const EXAMPLE = '{"PrimaryDistributionId": "E…"}';

/** A parameter name as an error may name its field: anything else is quoted in the message instead. */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/**
 * The error for a key given twice. JSON.parse would keep the last value silently, and UserParameters is built as text
 * (pipeline variables, stack outputs): a substituted value that closes its string can repeat a key to replace it.
 */
function duplicateKeyError({ key, at }: DuplicateKey): InputError {
  const why = 'each key may appear once (a substituted pipeline variable or stack output may have added the second)';
  if (at.length === 0 && FIELD_NAME.test(key)) return new InputError(key, `is given twice; ${why}`);
  const top = at[0];
  const field = typeof top === 'string' && FIELD_NAME.test(top) ? top : 'UserParameters';
  const where = at.length ? ` in ${describePath(at)}` : '';
  return new InputError(field, `the key ${describe(key)} is given twice${where}; ${why}`);
}

/**
 * Parses the raw `UserParameters` string into a JSON object. A key given twice in any object is refused, naming it:
 * JSON.parse would keep the last one silently.
 */
export function parseUserParametersJson(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new InputError('UserParameters', `is empty; expected a JSON object such as ${EXAMPLE}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new InputError('UserParameters', `is not valid JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InputError('UserParameters', `must be a JSON object, got ${jsonKind(parsed)}`);
  }
  const duplicate = findDuplicateKey(raw);
  if (duplicate) throw duplicateKeyError(duplicate);
  return parsed as Record<string, unknown>;
}

/** What a parsed JSON value is, for "must be a JSON object, got …": an array, null, a string, a number… */
export function jsonKind(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
}

/** A value as an error message quotes it: JSON, cut to 80 characters. */
export function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** True when a field has a value: absent, null and "" all mean "not given". */
export function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/**
 * Reads typed fields from a parameters object. Unknown keys are refused up front: a typo such as
 * `StagingDistributionID` must fail loudly instead of silently falling back to a default.
 */
export class ParamReader {
  constructor(
    private readonly values: Record<string, unknown>,
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(values)) {
      if (!allowed.includes(key)) {
        throw new InputError(key, `is not a known parameter; known parameters are ${allowed.join(', ')}`);
      }
    }
  }

  private present(field: string): boolean {
    return present(this.values[field]);
  }

  private string(field: string, pattern: RegExp, what: string): string {
    const value = this.values[field];
    if (!this.present(field)) throw new InputError(field, `is required (${what})`);
    if (typeof value !== 'string') throw new InputError(field, `must be a string (${what}), got ${describe(value)}`);
    if (!pattern.test(value)) throw new InputError(field, `${describe(value)} is not a valid ${what}`);
    return value;
  }

  /**
   * The primary and staging distribution ids, which must differ: one distribution cannot be promoted onto itself,
   * nor route viewers to itself.
   */
  primaryAndStaging(): { primaryId: string; stagingId: string } {
    const primaryId = this.distributionId('PrimaryDistributionId');
    const stagingId = this.distributionId('StagingDistributionId');
    if (primaryId === stagingId) {
      throw new InputError('StagingDistributionId', `must differ from PrimaryDistributionId (both are ${primaryId})`);
    }
    return { primaryId, stagingId };
  }

  /** A required CloudFront distribution id. */
  distributionId(field: string): string {
    return this.string(field, DISTRIBUTION_ID, 'CloudFront distribution id such as E2QWRUHAPOMQZL');
  }

  /** A required continuous deployment policy id (a UUID). */
  policyId(field: string): string {
    return this.string(field, POLICY_ID, 'continuous deployment policy id (a UUID)');
  }

  /** An optional continuous deployment policy id; undefined when absent or empty. */
  optionalPolicyId(field: string): string | undefined {
    return this.present(field) ? this.policyId(field) : undefined;
  }

  /** An optional CloudFront ETag (e.g. enable-CD's `StagingETag` output); undefined when absent or empty. */
  optionalEtag(field: string): string | undefined {
    return this.present(field) ? this.string(field, ETAG, 'CloudFront ETag such as E2QWRUHAPOMQZL') : undefined;
  }

  /**
   * The CodePipeline execution a plain event or job speaks for: `PipelineName` and `PipelineExecutionId`, both or
   * neither (an EventBridge InputTransformer passes `detail.pipeline` and `detail.execution-id`).
   */
  optionalPipelineExecution(): { pipelineName: string; executionId: string } | undefined {
    const name = this.present('PipelineName');
    const execution = this.present('PipelineExecutionId');
    if (!name && !execution) return undefined;
    if (!name) throw new InputError('PipelineName', 'is required when PipelineExecutionId is given');
    if (!execution) throw new InputError('PipelineExecutionId', 'is required when PipelineName is given');
    return {
      pipelineName: this.string('PipelineName', PIPELINE_NAME, 'CodePipeline pipeline name'),
      executionId: this.string('PipelineExecutionId', EXECUTION_ID, 'CodePipeline execution id (a UUID)'),
    };
  }

  /** An optional CodePipeline pipeline, stage or action name; undefined when absent or empty. */
  optionalName(field: string, what: string): string | undefined {
    if (!this.present(field)) return undefined;
    const value = this.values[field];
    if (typeof value !== 'string' || !PIPELINE_NAME.test(value))
      throw new InputError(field, `${describe(value)} is not a valid ${what} (1–100 of A-Z a-z 0-9 . @ - _)`);
    return value;
  }

  /** An optional S3 bucket name; undefined when absent or empty. */
  optionalBucketName(field: string): string | undefined {
    if (!this.present(field)) return undefined;
    const name = this.string(field, BUCKET_NAME, 'S3 bucket name');
    if (name.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(name)) {
      throw new InputError(field, `${describe(name)} is not a valid S3 bucket name`);
    }
    return name;
  }

  /** An optional number within [min, max]; JSON numbers and numeric strings (from pipeline variables) are accepted. */
  optionalNumber(field: string, range: { min: number; max: number; integer?: boolean }): number | undefined {
    if (!this.present(field)) return undefined;
    const raw = this.values[field];
    const value =
      typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
    const kind = range.integer ? 'an integer' : 'a number';
    if (!Number.isFinite(value) || (range.integer && !Number.isInteger(value))) {
      throw new InputError(field, `must be ${kind}, got ${describe(raw)}`);
    }
    if (value < range.min || value > range.max) {
      throw new InputError(field, `must be between ${range.min} and ${range.max}, got ${value}`);
    }
    return value;
  }

  /** `InvalidationPaths`: the paths to invalidate once a distribution is Deployed (see invalidation.ts). */
  invalidationPaths(field = 'InvalidationPaths'): string[] {
    return parseInvalidationPaths(this.values[field], field);
  }

  /** An optional value from a fixed set. */
  optionalEnum<T extends string>(field: string, allowed: readonly T[]): T | undefined {
    if (!this.present(field)) return undefined;
    const value = this.values[field];
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      throw new InputError(field, `must be one of ${allowed.join(', ')}, got ${describe(value)}`);
    }
    return value as T;
  }
}

/** The wait limit every action accepts: minutes CodePipeline may keep re-invoking us while CloudFront propagates. */
export const DEFAULT_MAX_WAIT_MINUTES = 60;

/** Reads `MaxWaitMinutes` (1 minute to 24 hours, CodePipeline's limit for one action). */
export function maxWaitMinutes(reader: ParamReader): number {
  return reader.optionalNumber('MaxWaitMinutes', { min: 1, max: 24 * 60, integer: true }) ?? DEFAULT_MAX_WAIT_MINUTES;
}

/**
 * Reads `InvalidationPaths`: a JSON array of paths (or a string holding one, as pipeline variables and cfcd flags
 * pass it); absent means {@link DEFAULT_INVALIDATION_PATHS}; `[]` turns invalidation off. Each path starts with `/`,
 * has at most one `*` and only at its end, and no whitespace (CloudFront wants it URL-encoded); no duplicates; within
 * CloudFront's in-progress limits. Throws a InputError naming the field.
 */
export function parseInvalidationPaths(raw: unknown, field = 'InvalidationPaths'): string[] {
  if (raw === undefined || raw === null || raw === '') return [...DEFAULT_INVALIDATION_PATHS];
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new InputError(field, `must be a JSON array of paths such as ["/*"], got ${describe(raw)}`);
    }
  }
  if (!Array.isArray(value))
    throw new InputError(field, `must be a JSON array of paths such as ["/*"], got ${describe(value)}`);
  const seen = new Set<string>();
  for (const [i, path] of value.entries()) {
    const at = `item ${i}`;
    if (typeof path !== 'string') throw new InputError(field, `${at} must be a string, got ${describe(path)}`);
    if (!path.startsWith('/')) throw new InputError(field, `${at} ${describe(path)} must start with "/"`);
    const star = path.indexOf('*');
    if (star !== -1 && star !== path.length - 1)
      throw new InputError(field, `${at} ${describe(path)}: "*" is allowed only once, as the last character`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused here.
    if (/[\s\u0000-\u001f\u007f]/.test(path))
      throw new InputError(field, `${at} ${describe(path)} contains whitespace; URL-encode it (%20)`);
    if (seen.has(path)) throw new InputError(field, `${at} ${describe(path)} is listed twice`);
    seen.add(path);
  }
  const paths = value as string[];
  const wildcards = paths.filter((p) => p.endsWith('*')).length;
  if (wildcards > MAX_WILDCARD_PATHS)
    throw new InputError(
      field,
      `has ${wildcards} wildcard paths; CloudFront accepts at most ${MAX_WILDCARD_PATHS} in progress per distribution`,
    );
  if (paths.length - wildcards > MAX_FILE_PATHS)
    throw new InputError(
      field,
      `has ${paths.length - wildcards} file paths; ` +
        `CloudFront accepts at most ${MAX_FILE_PATHS} in progress per distribution`,
    );
  return paths;
}
