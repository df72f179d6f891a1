/**
 * The S3 reads and writes of a release upload: what a folder holds, its manifest, and one object's create-only put.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CfcdError } from '../domain/errors.js';
import type { FolderObject } from '../release/upload-plan.js';
import { awsCall, awsErrorOf } from './call.js';
import { s3 } from './clients/s3.js';

/** Every object under `prefix` with its ETag, all pages. */
export async function listKeys(bucket: string, prefix: string): Promise<FolderObject[]> {
  const objects: FolderObject[] = [];
  let token: string | undefined;
  do {
    const page = await awsCall('ListObjectsV2', `s3://${bucket}/${prefix}`, () =>
      s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
    );
    for (const o of page.Contents ?? [])
      if (o.Key !== undefined) objects.push(o.ETag === undefined ? { key: o.Key } : { key: o.Key, etag: o.ETag });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return objects;
}

/** An object's body as text, or undefined when there is no such key. */
export async function readObjectText(bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await awsCall('GetObject', `s3://${bucket}/${key}`, () =>
      s3().send(new GetObjectCommand({ Bucket: bucket, Key: key })),
    );
    return (await out.Body?.transformToString('utf-8')) ?? '';
  } catch (err) {
    const { name, httpStatus } = awsErrorOf(err);
    if (httpStatus === 404 || name === 'NoSuchKey' || name === 'NotFound') return undefined;
    throw err;
  }
}

export interface ObjectPut {
  bucket: string;
  key: string;
  body: Uint8Array | string;
  contentType: string;
  cacheControl: string;
}

/**
 * A create-only put found its key there: someone wrote it after the upload read the folder. Nothing overwrote it,
 * and the upload stops before its manifest, so the folder stays unfinished; a re-run reads it again.
 */
export class KeyCreatedMeanwhileError extends CfcdError {
  override readonly name = 'KeyCreatedMeanwhileError';
  readonly kind = 'failed';
  constructor(
    readonly bucket: string,
    readonly key: string,
    cause: unknown,
  ) {
    super(
      `s3://${bucket}/${key} was written by another upload meanwhile (after this one read the folder), and a ` +
        'release key is never overwritten; the manifest was not written. Run the upload again: it keeps the keys ' +
        'that hold the same bytes, and refuses the folder if one holds other bytes',
      { cause },
    );
  }
}

/**
 * Creates one object with the headers CloudFront and browsers serve it with, never overwriting one: `If-None-Match: *`
 * makes S3 answer 412 PreconditionFailed when the key exists (409 ConditionalRequestConflict while another write of
 * it is in flight), and the upload role's IAM policy denies a put without it. Either answer is a
 * {@link KeyCreatedMeanwhileError}.
 */
export async function putObject(put: ObjectPut): Promise<void> {
  try {
    await awsCall('PutObject', `s3://${put.bucket}/${put.key}`, () =>
      s3().send(
        new PutObjectCommand({
          Bucket: put.bucket,
          Key: put.key,
          Body: put.body,
          ContentType: put.contentType,
          CacheControl: put.cacheControl,
          IfNoneMatch: '*',
        }),
      ),
    );
  } catch (err) {
    const { name, httpStatus } = awsErrorOf(err);
    if (httpStatus === 412 || name === 'PreconditionFailed' || name === 'ConditionalRequestConflict')
      throw new KeyCreatedMeanwhileError(put.bucket, put.key, err);
    throw err;
  }
}

/** What the bucket holds under a release folder: its objects, and its manifest's text when there is one. */
export async function readFolderState(
  bucket: string,
  folder: string,
  manifestKey: string,
): Promise<{ objects: FolderObject[]; manifestText?: string }> {
  const [objects, manifestText] = await Promise.all([listKeys(bucket, folder), readObjectText(bucket, manifestKey)]);
  return manifestText === undefined ? { objects } : { objects, manifestText };
}

/** How many puts run side by side: enough to hide S3's latency, few enough for a build machine's sockets. */
export const PUT_CONCURRENCY = 8;

/** A put whose body is read when its turn comes: a site may not fit in memory. */
export type LazyPut = Omit<ObjectPut, 'body'> & { body: () => Promise<Uint8Array> };

/**
 * Writes `puts` with at most {@link PUT_CONCURRENCY} in flight, then `last` once every put succeeded: after a failure
 * no new put starts and there is no manifest, so the folder stays unfinished and the same upload completes it.
 */
export async function putAllThenLast(
  puts: readonly LazyPut[],
  last: ObjectPut,
  onPut: (key: string) => void = () => {},
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < puts.length) {
      const p = puts[next++] as LazyPut;
      try {
        await putObject({ ...p, body: await p.body() });
      } catch (err) {
        failed = true;
        throw err;
      }
      onPut(p.key);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PUT_CONCURRENCY, puts.length) }, worker));
  await putObject(last);
  onPut(last.key);
}
