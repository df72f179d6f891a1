/**
 * The revert record: what a promotion replaced, written by promote before it promotes, read by the bake (and later
 * `cfcd revert`) to put production back. It lives in the pipeline's artifact bucket under
 * `cfcd-revert/<primary id>/<promotion id>.json`: the staging stack's next deploy never touches it, the pipeline
 * already owns that bucket (encrypted, versioned, with a 90-day lifecycle that is the record's retention), and least
 * privilege is one prefix. Pure: building, hashing, naming and parsing; the S3 calls are in ../aws/revert-record.ts.
 */
import { createHash } from 'node:crypto';
import type { DistributionConfig } from '@aws-sdk/client-cloudfront';
import { promotableConfig } from '../domain/config-diff.js';
import { CfcdError } from '../domain/errors.js';
import type { DistributionState } from '../domain/resources.js';
import { bucketOfS3Domain } from '../domain/s3-domain.js';
import { commitOfOriginPath } from '../release/manifest.js';

/** Every record key starts with this; the roles' S3 permissions are on this prefix only. */
export const REVERT_PREFIX = 'cfcd-revert/';

/** One origin of the replaced config that reads from S3, with the release it served. */
export interface RecordedOrigin {
  originId: string;
  originPath: string;
  /** The commit when the origin path is `/releases/<commit>`. */
  commit?: string;
}

/** What promote records before it promotes (format version 1). */
export interface RevertRecord {
  v: 1;
  primaryId: string;
  stagingId: string;
  /** The primary as it was before the promotion: the config to go back to. */
  replaced: { config: DistributionConfig; etag: string; originPaths: RecordedOrigin[] };
  /** What the promotion copied onto the primary: a primary that carries anything else was changed since. */
  promoted: { stagingETag: string; configHash: string };
  recordedAt: string;
}

/** A record that does not parse, or does not belong to the primary it was given for: reported as JobFailed. */
export class RevertRecordError extends CfcdError {
  override readonly name = 'RevertRecordError';
  readonly kind = 'failed';
}

// Undefined, null and empty lists all mean "none" to CloudFront and to config-diff's sameValue: dropped here, so two
// configs that carriesSameConfig calls equal hash the same.
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
      out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

/**
 * The SHA-256 of the promotable part of a config (what UpdateDistributionWithStagingConfig copies: everything but
 * CallerReference, Aliases, ContinuousDeploymentPolicyId and Staging), over a canonical JSON with sorted keys.
 */
export function configHash(config: DistributionConfig): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(promotableConfig(config))))
    .digest('hex');
}

/** The origins of a config that read from an S3 bucket, with each one's origin path and release commit. */
export function recordedOrigins(config: DistributionConfig): RecordedOrigin[] {
  return (config.Origins?.Items ?? [])
    .filter((o) => o.S3OriginConfig !== undefined || bucketOfS3Domain(o.DomainName) !== undefined)
    .map((o) => {
      const originPath = o.OriginPath ?? '';
      const commit = commitOfOriginPath(originPath);
      return { originId: o.Id ?? '', originPath, ...(commit ? { commit } : {}) };
    });
}

/**
 * The site bucket the recorded config served from, where `cfcd revert` checks the previous release's content: the
 * bucket of the default cache behavior's origin when it is an S3 endpoint, else of the first S3 origin. Undefined
 * when no origin is an S3 endpoint.
 */
export function recordedContentBucket(record: RevertRecord): string | undefined {
  const config = record.replaced.config;
  const origins = config.Origins?.Items ?? [];
  const target = config.DefaultCacheBehavior?.TargetOriginId;
  const byDefault = origins.find((o) => o.Id === target);
  return [byDefault, ...origins].map((o) => bucketOfS3Domain(o?.DomainName)).find((b) => b !== undefined);
}

/**
 * The promotion's id: a sortable time (the primary's last change before the promotion, so that a repeated delivery
 * names the same record) and the primary's pre-promotion ETag. `2026-12-07T14-37-03-123Z-E2QWRUHAPOMQZL`.
 */
export function promotionId(primary: Pick<DistributionState, 'etag' | 'lastModified'>, now: Date): string {
  // CloudFront always gives LastModifiedTime; without it, the time of recording keeps the keys sortable.
  const at = (primary.lastModified ?? now).toISOString().replace(/[:.]/g, '-');
  return `${at}-${primary.etag}`;
}

/** The record's key: `cfcd-revert/<primary id>/<promotion id>.json`. */
export function recordKey(primary: Pick<DistributionState, 'id' | 'etag' | 'lastModified'>, now: Date): string {
  return `${REVERT_PREFIX}${primary.id}/${promotionId(primary, now)}.json`;
}

/** True when `key` is a record key of `primaryId` (what the bake accepts as `RevertRecord`). */
export function isRecordKeyOf(key: string, primaryId: string): boolean {
  const prefix = `${REVERT_PREFIX}${primaryId}/`;
  return key.startsWith(prefix) && /^[0-9A-Za-z_-]{1,120}\.json$/.test(key.slice(prefix.length));
}

/** The record of a promotion of `staging` onto `primary`, both as read right before it. */
export function buildRecord(primary: DistributionState, staging: DistributionState, recordedAt: Date): RevertRecord {
  return {
    v: 1,
    primaryId: primary.id,
    stagingId: staging.id,
    replaced: { config: primary.config, etag: primary.etag, originPaths: recordedOrigins(primary.config) },
    promoted: { stagingETag: staging.etag, configHash: configHash(staging.config) },
    recordedAt: recordedAt.toISOString(),
  };
}

/** The record's text: one JSON document. */
export function serializeRecord(record: RevertRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** What is wrong with a parsed record, or undefined when it has the shape of version 1. */
function shapeProblem(r: Record<string, unknown>): string | undefined {
  if (r.v !== 1) return 'v is not 1';
  if (!isString(r.primaryId) || !isString(r.stagingId)) return 'primaryId or stagingId is missing';
  const { replaced, promoted } = r;
  if (!isObject(replaced) || !isObject(replaced.config)) return 'replaced.config is missing';
  if (!isString(replaced.config.CallerReference)) return 'replaced.config has no CallerReference';
  if (!isObject(replaced.config.Origins)) return 'replaced.config has no Origins';
  if (!isString(replaced.etag)) return 'replaced.etag is missing';
  if (!Array.isArray(replaced.originPaths)) return 'replaced.originPaths is not a list';
  for (const [i, o] of replaced.originPaths.entries())
    if (!isObject(o) || typeof o.originPath !== 'string' || typeof o.originId !== 'string')
      return `replaced.originPaths[${i}] is not {originId, originPath}`;
  if (!isObject(promoted) || !isString(promoted.stagingETag)) return 'promoted.stagingETag is missing';
  if (typeof promoted.configHash !== 'string' || !/^[0-9a-f]{64}$/.test(promoted.configHash))
    return 'promoted.configHash is not a SHA-256';
  if (!isString(r.recordedAt) || Number.isNaN(Date.parse(r.recordedAt))) return 'recordedAt is not a time';
  return undefined;
}

/**
 * Reads a record's text; a record that does not parse, or that is another primary's, is a {@link RevertRecordError}
 * naming `where` (the bucket and key). A record is input: the bake re-checks it against the live primary before acting.
 */
export function parseRecord(text: string, where: string, primaryId: string): RevertRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RevertRecordError(`revert record ${where} is not JSON; nothing was written`);
  }
  const problem = isObject(raw) ? shapeProblem(raw) : 'it is not a JSON object';
  if (problem) throw new RevertRecordError(`revert record ${where} does not parse: ${problem}; nothing was written`);
  const record = raw as unknown as RevertRecord;
  if (record.primaryId !== primaryId)
    throw new RevertRecordError(
      `revert record ${where} is for primary ${record.primaryId}, not ${primaryId}; nothing was written`,
    );
  return record;
}

/** The release a record goes back to, for messages: the commit(s), or the origin path(s), or the ETag. */
export function describeRecordedRelease(record: RevertRecord): string {
  const names = record.replaced.originPaths.map((o) =>
    o.commit ? `commit ${o.commit}` : `origin path "${o.originPath}"`,
  );
  const unique = [...new Set(names)];
  return unique.length ? unique.join(', ') : `the config of ETag ${record.replaced.etag}`;
}

/** The commits a record goes back to: the release folders retention must keep. */
export function recordedCommits(record: RevertRecord): string[] {
  return [...new Set(record.replaced.originPaths.flatMap((o) => (o.commit ? [o.commit] : [])))];
}

/**
 * The recorded config as a staging config: the promotable part of what production served, with the staging's own
 * CallerReference, `Staging: true`, no aliases and no policy id (a staging has neither).
 */
export function asStagingConfig(record: RevertRecord, staging: DistributionConfig): DistributionConfig {
  return {
    ...promotableConfig(record.replaced.config),
    CallerReference: staging.CallerReference,
    Staging: true,
    Aliases: { Quantity: 0 },
  };
}
