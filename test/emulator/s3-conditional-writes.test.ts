/**
 * S3's conditional writes as `cfcd upload` relies on them: a PutObject with `If-None-Match: *` only creates (412
 * PreconditionFailed when the key exists, the object untouched), and the ETag PutObject answers and ListObjectsV2
 * lists is the quoted MD5 hex of the body, which the upload compares with its files to keep what is already there.
 */
import { createHash } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure, harness, type Harness } from './helpers.js';

const md5 = (text: string) => `"${createHash('md5').update(text).digest('hex')}"`;

let h: Harness;
beforeEach(async () => {
  h = await harness();
  await h.s3.send(new CreateBucketCommand({ Bucket: 'b' }));
});
afterEach(async () => h.close());

const put = (key: string, body: string, extra: { IfNoneMatch?: string; CacheControl?: string } = {}) =>
  h.s3.send(new PutObjectCommand({ Bucket: 'b', Key: key, Body: body, ...extra }));
const read = async (key: string) => {
  const got = await h.s3.send(new GetObjectCommand({ Bucket: 'b', Key: key }));
  return { body: await got.Body?.transformToString(), cacheControl: got.CacheControl, etag: got.ETag };
};

describe('S3 PutObject with If-None-Match: *', () => {
  it('creates a new key, answering the quoted MD5 of the body as its ETag', async () => {
    const out = await put('releases/c/index.html', '<p>one</p>', { IfNoneMatch: '*' });
    expect(out.ETag).toBe(md5('<p>one</p>'));
    expect(await read('releases/c/index.html')).toEqual({
      body: '<p>one</p>',
      cacheControl: undefined,
      etag: md5('<p>one</p>'),
    });
  });

  it('refuses an existing key with 412 PreconditionFailed and leaves the object as it was', async () => {
    await put('releases/c/index.html', '<p>one</p>', { CacheControl: 'no-cache' });
    const err = await failure(put('releases/c/index.html', '<p>two</p>', { IfNoneMatch: '*', CacheControl: 'x' }));
    expect(err).toEqual({
      name: 'PreconditionFailed',
      message: 'At least one of the pre-conditions you specified did not hold',
      status: 412,
    });
    expect(await read('releases/c/index.html')).toEqual({
      body: '<p>one</p>',
      cacheControl: 'no-cache',
      etag: md5('<p>one</p>'),
    });
    // The same bytes again are refused too: a create-only put never rewrites, whatever it carries.
    expect((await failure(put('releases/c/index.html', '<p>one</p>', { IfNoneMatch: '*' }))).status).toBe(412);
  });

  it("answers the refusal in S3's XML error format", async () => {
    await put('k', 'x');
    const res = await fetch(`${h.emulator.url}/b/k`, { method: 'PUT', headers: { 'if-none-match': '*' }, body: 'y' });
    expect(res.status).toBe(412);
    expect(res.headers.get('content-type')).toBe('application/xml');
    const text = await res.text();
    expect(text).toContain('<Error><Code>PreconditionFailed</Code>');
    expect(text).toContain('<Message>At least one of the pre-conditions you specified did not hold</Message>');
  });

  it('still overwrites without the header, and refuses an If-None-Match other than * (501 NotImplemented)', async () => {
    await put('k', 'one');
    await put('k', 'two');
    expect((await read('k')).body).toBe('two');
    expect(await failure(put('other', 'x', { IfNoneMatch: md5('x') }))).toMatchObject({
      name: 'NotImplemented',
      status: 501,
    });
    await expect(read('other')).rejects.toMatchObject({ name: 'NoSuchKey' });
  });
});

describe('S3 ListObjectsV2', () => {
  it("lists each object's ETag, the quoted MD5 of its body, as GetObject answers it", async () => {
    await put('releases/c/a.js', 'console.log(1)');
    await put('releases/c/index.html', '<p>one</p>');
    await put('releases/d/index.html', '<p>other</p>');
    const page = await h.s3.send(new ListObjectsV2Command({ Bucket: 'b', Prefix: 'releases/c/' }));
    expect(page.Contents?.map((o) => [o.Key, o.ETag, o.Size])).toEqual([
      ['releases/c/a.js', md5('console.log(1)'), 14],
      ['releases/c/index.html', md5('<p>one</p>'), 10],
    ]);
    expect((await read('releases/c/a.js')).etag).toBe(md5('console.log(1)'));
  });
});
