/** S3 with path-style addressing: buckets, bucket policies and objects — what a site origin needs. */
import { createHash } from 'node:crypto';
import { ApiError } from './errors.js';
import { header, type ApiRequest, type ApiResponse, type Service } from './protocol.js';
import { requestId } from './random.js';
import type { Route } from './routes.js';
import type { Bucket, EmulatedAccount, S3Object } from './account.js';
import { leaf, node, xmlDocument } from './xml.js';

/** S3's documented limit for a bucket policy document. */
const MAX_POLICY_BYTES = 20 * 1024;

/** The S3 service over a shared account. Matches everything path-style, so it is dispatched last. */
export function s3(account: EmulatedAccount): Service {
  const bucket = (name: string): Bucket => {
    const b = account.buckets.get(name);
    if (!b) throw new ApiError('NoSuchBucket', 'The specified bucket does not exist', 404);
    return b;
  };

  function putPolicy(req: ApiRequest, b: Bucket): ApiResponse {
    const text = req.body.toString('utf8');
    if (req.body.length > MAX_POLICY_BYTES) {
      // S3 rejects an oversized policy as a MalformedPolicy with this message; there is no separate code for it.
      throw new ApiError(
        'MalformedPolicy',
        `Policy exceeds the maximum allowed document size of ${MAX_POLICY_BYTES} bytes.`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError('MalformedPolicy', "Policies must be valid JSON and the first byte must be '{'");
    }
    if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed))
      throw new ApiError('MalformedPolicy', 'Missing required field Statement');
    b.policy = text;
    return { status: 204 };
  }

  function createBucket(name: string): ApiResponse {
    // us-east-1 keeps the legacy behaviour: re-creating a bucket you own succeeds.
    if (account.buckets.has(name) && account.opts.region !== 'us-east-1') {
      throw new ApiError(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        409,
      );
    }
    if (!account.buckets.has(name)) account.buckets.set(name, { name, objects: new Map() });
    return { status: 200, headers: { location: `/${name}` } };
  }

  function putObject(req: ApiRequest, b: Bucket, key: string): ApiResponse {
    const etag = `"${createHash('md5').update(req.body).digest('hex')}"`;
    const object: S3Object = {
      body: req.body,
      contentType: header(req, 'content-type') ?? 'binary/octet-stream',
      etag,
      lastModified: account.now(),
    };
    // Stored as given and answered on GET/HEAD: CloudFront takes an object's TTL from them.
    const cacheControl = header(req, 'cache-control');
    const expires = header(req, 'expires');
    if (cacheControl !== undefined) object.cacheControl = cacheControl;
    if (expires !== undefined) object.expires = expires;
    b.objects.set(key, object);
    return { status: 200, headers: { etag } };
  }

  function getObject(b: Bucket, key: string, withBody: boolean): ApiResponse {
    const o = b.objects.get(key);
    if (!o) throw new ApiError('NoSuchKey', 'The specified key does not exist.', 404);
    const headers: Record<string, string> = {
      'content-type': o.contentType,
      'content-length': String(o.body.length),
      etag: o.etag,
      'last-modified': new Date(o.lastModified).toUTCString(),
    };
    if (o.cacheControl !== undefined) headers['cache-control'] = o.cacheControl;
    if (o.expires !== undefined) headers.expires = o.expires;
    return withBody ? { status: 200, headers, body: o.body } : { status: 200, headers };
  }

  /**
   * ListObjectsV2, the subset a release upload uses: `prefix`, `max-keys` (1000 at most, as S3) and pagination, in
   * key order. The continuation token is the last key listed, opaque to the client as S3's is.
   */
  function listObjects(req: ApiRequest, b: Bucket): ApiResponse {
    const prefix = req.query.get('prefix') ?? '';
    const maxKeys = Math.min(1000, Math.max(0, Number(req.query.get('max-keys') ?? 1000) || 0));
    const after = req.query.get('continuation-token') ?? req.query.get('start-after') ?? '';
    const keys = [...b.objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, maxKeys);
    const truncated = keys.length > page.length;
    const contents = page.map((key) => {
      const o = b.objects.get(key) as S3Object;
      return node('Contents', [
        leaf('Key', key),
        leaf('LastModified', new Date(o.lastModified).toISOString()),
        leaf('ETag', o.etag),
        leaf('Size', String(o.body.length)),
        leaf('StorageClass', 'STANDARD'),
      ]);
    });
    const body = xmlDocument(
      node('ListBucketResult', [
        leaf('Name', b.name),
        leaf('Prefix', prefix),
        leaf('KeyCount', String(page.length)),
        leaf('MaxKeys', String(maxKeys)),
        leaf('IsTruncated', String(truncated)),
        ...contents,
        ...(truncated ? [leaf('NextContinuationToken', page[page.length - 1] as string)] : []),
      ]),
      'http://s3.amazonaws.com/doc/2006-03-01/',
    );
    return { status: 200, headers: { 'content-type': 'application/xml' }, body };
  }

  const routes: Route[] = [
    {
      method: 'GET',
      path: '/:bucket',
      query: 'list-type',
      operation: 'ListObjectsV2',
      handler: (req, { bucket: name }) => listObjects(req, bucket(name!)),
    },
    {
      method: 'GET',
      path: '/:bucket',
      query: 'policy',
      operation: 'GetBucketPolicy',
      handler: (_, { bucket: name }) => {
        const b = bucket(name!);
        if (b.policy === undefined) throw new ApiError('NoSuchBucketPolicy', 'The bucket policy does not exist', 404);
        return { status: 200, headers: { 'content-type': 'application/json' }, body: b.policy };
      },
    },
    {
      method: 'PUT',
      path: '/:bucket',
      query: 'policy',
      operation: 'PutBucketPolicy',
      handler: (req, { bucket: name }) => putPolicy(req, bucket(name!)),
    },
    {
      method: 'DELETE',
      path: '/:bucket',
      query: 'policy',
      operation: 'DeleteBucketPolicy',
      handler: (_, { bucket: name }) => {
        delete bucket(name!).policy;
        return { status: 204 };
      },
    },
    {
      method: 'PUT',
      path: '/:bucket',
      operation: 'CreateBucket',
      handler: (_, { bucket: name }) => createBucket(name!),
    },
    {
      method: 'HEAD',
      path: '/:bucket',
      operation: 'HeadBucket',
      handler: (_, { bucket: name }) => {
        bucket(name!);
        return { status: 200 };
      },
    },
    {
      method: 'PUT',
      path: '/:bucket/*key',
      operation: 'PutObject',
      handler: (req, { bucket: name, key }) => putObject(req, bucket(name!), key!),
    },
    {
      method: 'GET',
      path: '/:bucket/*key',
      operation: 'GetObject',
      handler: (_, { bucket: name, key }) => getObject(bucket(name!), key!, true),
    },
    {
      method: 'HEAD',
      path: '/:bucket/*key',
      operation: 'HeadObject',
      handler: (_, { bucket: name, key }) => getObject(bucket(name!), key!, false),
    },
    {
      method: 'DELETE',
      path: '/:bucket/*key',
      operation: 'DeleteObject',
      handler: (_, { bucket: name, key }) => {
        bucket(name!).objects.delete(key!);
        return { status: 204 };
      },
    },
  ];

  return {
    routes,
    // Path-style: /<bucket> or /<bucket>/<key>; the key is everything after the bucket's slash, and an empty one
    // (a trailing slash) addresses the bucket. No bucket name, not S3.
    normalizePath(path) {
      const [, name, ...rest] = path.split('/');
      if (!name) return undefined;
      const key = rest.join('/');
      return key ? `/${name}/${key}` : `/${name}`;
    },
    renderError(err) {
      const rid = requestId();
      return {
        status: err.status,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': rid },
        body: xmlDocument(
          node('Error', [leaf('Code', err.code), leaf('Message', err.message), leaf('RequestId', rid)]),
        ),
      };
    },
  };
}
