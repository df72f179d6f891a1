import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  KeyCreatedMeanwhileError,
  putAllThenLast,
  putObject,
  readFolderState,
} from '../../../../shared/aws/release-objects.js';
import { awsError } from '../../fixtures.js';

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());

const BUCKET = 'site-releases';
const FOLDER = `releases/${'3f2a9c1'.padEnd(40, 'b')}/`;
const put = (key: string) => ({ bucket: BUCKET, key, body: 'x', contentType: 'text/plain', cacheControl: 'no-cache' });

describe('the create-only put', () => {
  it('sends If-None-Match: * with the headers', async () => {
    s3.on(PutObjectCommand).resolves({});
    await putObject(put(`${FOLDER}index.html`));
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: `${FOLDER}index.html`,
      ContentType: 'text/plain',
      CacheControl: 'no-cache',
      IfNoneMatch: '*',
    });
  });

  it.each([
    ['PreconditionFailed', 412],
    ['ConditionalRequestConflict', 409],
  ])('turns %s (%i) into an error naming the key another upload wrote meanwhile', async (name, status) => {
    s3.on(PutObjectCommand).rejects(awsError(name, status));
    const err = await putObject(put(`${FOLDER}app.js`)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyCreatedMeanwhileError);
    expect(err).toMatchObject({
      kind: 'failed',
      key: `${FOLDER}app.js`,
      message: expect.stringMatching(
        new RegExp(
          `^s3://${BUCKET}/${FOLDER}app\\.js was written by another upload meanwhile.*manifest was not written`,
        ),
      ),
    });
  });

  it('leaves other failures as the AWS call error they are', async () => {
    s3.on(PutObjectCommand).rejects(awsError('AccessDenied', 403));
    const err = await putObject(put(`${FOLDER}app.js`)).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(KeyCreatedMeanwhileError);
    expect(err).toMatchObject({ awsErrorName: 'AccessDenied', kind: 'failed' });
  });

  it('writes no manifest after a key was written meanwhile', async () => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(PutObjectCommand, { Key: `${FOLDER}b.js` }).rejects(awsError('PreconditionFailed', 412));
    const lazy = (key: string) => ({ ...put(key), body: async () => new Uint8Array([1]) });
    await expect(
      putAllThenLast([lazy(`${FOLDER}a.js`), lazy(`${FOLDER}b.js`)], put(`${FOLDER}.cfcd-release.json`)),
    ).rejects.toBeInstanceOf(KeyCreatedMeanwhileError);
    expect(s3).not.toHaveReceivedCommandWith(PutObjectCommand, { Key: `${FOLDER}.cfcd-release.json` });
  });
});

describe("reading a release folder's state", () => {
  it('lists every object with its ETag, all pages', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: `${FOLDER}a.js`, ETag: '"aa"' }],
        IsTruncated: true,
        NextContinuationToken: 't',
      })
      .resolvesOnce({ Contents: [{ Key: `${FOLDER}b.js` }], IsTruncated: false });
    s3.on(GetObjectCommand).rejects(awsError('NoSuchKey', 404));
    const state = await readFolderState(BUCKET, FOLDER, `${FOLDER}.cfcd-release.json`);
    // No manifest: an unfinished folder.
    expect(state).toEqual({ objects: [{ key: `${FOLDER}a.js`, etag: '"aa"' }, { key: `${FOLDER}b.js` }] });
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { ContinuationToken: 't' });
  });
});
