/**
 * The revert record's S3 calls (the pure part is ../revert/record.ts): promote writes it right before it promotes;
 * the bake reads it. promote only writes (s3:PutObject on the prefix, nothing else): a repeated delivery before the
 * promotion writes the same key again (the promotion id is made from the primary's pre-promotion state) with the same
 * content but a later `recordedAt`, which is still before the promotion.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  type RevertRecord,
  RevertRecordError,
  parseRecord,
  recordedCommits,
  serializeRecord,
} from '../revert/record.js';
import { newestRecordKey, recordPrefix } from '../revert/target.js';
import { awsCall, awsErrorOf } from './call.js';
import { s3 } from './clients/s3.js';

/** Reads and parses the record at `key`; a RevertRecordError when it does not exist or does not parse. */
export async function readRecord(bucket: string, key: string, primaryId: string): Promise<RevertRecord> {
  const where = `s3://${bucket}/${key}`;
  let text: string;
  try {
    const out = await awsCall('GetObject', where, () => s3().send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    text = (await out.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    if (awsErrorOf(err).name !== 'NoSuchKey') throw err;
    throw new RevertRecordError(
      `revert record ${where} does not exist (expired with the artifact bucket's lifecycle, or never written); ` +
        'nothing was written',
      { cause: err },
    );
  }
  return parseRecord(text, where, primaryId);
}

/** Writes the record (PutObject). */
export async function writeRecord(bucket: string, key: string, record: RevertRecord): Promise<void> {
  await awsCall('PutObject', `s3://${bucket}/${key}`, () =>
    s3().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: serializeRecord(record),
        ContentType: 'application/json',
      }),
    ),
  );
}

/** The newest record key of `primaryId` (ListObjectsV2 of `cfcd-revert/<primary>/`, every page); undefined: none. */
export async function newestRecordOf(bucket: string, primaryId: string): Promise<string | undefined> {
  const prefix = recordPrefix(primaryId);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await awsCall('ListObjectsV2', `s3://${bucket}/${prefix}`, () =>
      s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return newestRecordKey(keys, primaryId);
}

/**
 * The revert target's release folders: the commits the newest record of `primaryId` goes back to, whichever job wrote
 * it. Undefined when the primary has no record. Throws when the listing or the record cannot be read: a prune must
 * then not run, since it cannot know what to keep.
 */
export async function newestRecordCommits(
  bucket: string,
  primaryId: string,
): Promise<{ key: string; commits: string[] } | undefined> {
  const key = await newestRecordOf(bucket, primaryId);
  if (!key) return undefined;
  return { key, commits: recordedCommits(await readRecord(bucket, key, primaryId)) };
}
