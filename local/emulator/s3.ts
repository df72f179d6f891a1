/** S3 with path-style addressing: buckets, bucket policies and objects — what a site origin needs. */
import { createHash } from 'node:crypto';
import { ApiError } from './errors.js';
import { header, type ApiRequest, type ApiResponse, type Service } from './protocol.js';
import { requestId } from './random.js';
import type { Route } from './routes.js';
import type { Bucket, EmulatedAccount, S3Object } from './account.js';
import { MalformedXmlError, leaf, node, parseXml, textAt, xmlDocument } from './xml.js';

/** S3's namespace on its response documents. */
const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** ListObjectsV2's page size when the request names none, and its ceiling; DeleteObjects' limit per request. */
const MAX_KEYS = 1000;

/**
 * ListObjectsV2 (`GET /<bucket>?list-type=2`): keys in UTF-8 binary order under `prefix`; with a `delimiter`, a key
 * whose rest after the prefix holds it rolls up into one CommonPrefix (counted once against max-keys). The
 * continuation token is opaque to the client; here it is the last key or prefix of the page, base64url.
 */
function listObjectsV2(req: ApiRequest, b: Bucket): ApiResponse {
  const prefix = req.query.get('prefix') ?? '';
  const delimiter = req.query.get('delimiter') ?? '';
  const maxKeysText = req.query.get('max-keys');
  const maxKeys = maxKeysText === null ? MAX_KEYS : Math.min(MAX_KEYS, Number(maxKeysText));
  if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new ApiError('InvalidArgument', 'Invalid max-keys', 400);
  const token = req.query.get('continuation-token');
  const after = token === null ? (req.query.get('start-after') ?? '') : Buffer.from(token, 'base64url').toString();
  const keys = [...b.objects.keys()]
    .filter((k) => k.startsWith(prefix))
    .sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  const entries: ({ key: string } | { prefix: string })[] = [];
  let truncated = false;
  let last = '';
  for (const key of keys) {
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const name = cut >= 0 ? key.slice(0, cut + delimiter.length) : key;
    const entry = cut >= 0 ? { prefix: name } : { key };
    if (name <= after || name === last) continue;
    if (entries.length === maxKeys) {
      truncated = true;
      break;
    }
    entries.push(entry);
    last = name;
  }
  const children = [
    leaf('Name', b.name),
    leaf('Prefix', prefix),
    ...(delimiter ? [leaf('Delimiter', delimiter)] : []),
    leaf('MaxKeys', String(maxKeys)),
    leaf('KeyCount', String(entries.length)),
    leaf('IsTruncated', String(truncated)),
    ...(token === null ? [] : [leaf('ContinuationToken', token)]),
    ...(truncated ? [leaf('NextContinuationToken', Buffer.from(last).toString('base64url'))] : []),
    ...entries.map((e) => {
      if ('prefix' in e) return node('CommonPrefixes', [leaf('Prefix', e.prefix)]);
      const o = b.objects.get(e.key) as S3Object;
      return node('Contents', [
        leaf('Key', e.key),
        leaf('LastModified', new Date(o.lastModified).toISOString()),
        leaf('ETag', o.etag),
        leaf('Size', String(o.body.length)),
        leaf('StorageClass', 'STANDARD'),
      ]);
    }),
  ];
  const body = xmlDocument(node('ListBucketResult', children), S3_XMLNS);
  return { status: 200, headers: { 'content-type': 'application/xml' }, body };
}

/** DeleteObjects (`POST /<bucket>?delete`): up to 1000 keys; a missing key counts as deleted, as in S3. */
function deleteObjects(req: ApiRequest, b: Bucket): ApiResponse {
  let root: ReturnType<typeof parseXml>;
  try {
    root = parseXml(req.body.toString('utf8'));
  } catch (err) {
    if (err instanceof MalformedXmlError)
      throw new ApiError('MalformedXML', 'The XML you provided was not well-formed', 400);
    throw err;
  }
  const objects = root.children.filter((c) => c.name === 'Object');
  if (root.name !== 'Delete' || objects.length === 0 || objects.length > MAX_KEYS)
    throw new ApiError('MalformedXML', 'The XML you provided was not well-formed or did not validate', 400);
  const quiet = textAt(root, 'Quiet') === 'true';
  const deleted: string[] = [];
  for (const o of objects) {
    const key = textAt(o, 'Key') ?? '';
    b.objects.delete(key);
    deleted.push(key);
  }
  const children = quiet ? [] : deleted.map((key) => node('Deleted', [leaf('Key', key)]));
  const body = xmlDocument(node('DeleteResult', children), S3_XMLNS);
  return { status: 200, headers: { 'content-type': 'application/xml' }, body };
}

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

  /**
   * PutObject. `If-None-Match: *` makes it create-only: an existing key answers 412 PreconditionFailed and is left as
   * it was (S3's conditional writes). S3 documents `*` as the only value; any other is answered 501 NotImplemented
   * here, as S3 answers a header it does not implement (inferred: the documentation does not name the answer).
   * The ETag is the quoted MD5 hex of the body, as S3's for an object written by one PutObject without SSE-KMS.
   */
  function putObject(req: ApiRequest, b: Bucket, key: string): ApiResponse {
    const ifNoneMatch = header(req, 'if-none-match');
    if (ifNoneMatch !== undefined && ifNoneMatch !== '*')
      throw new ApiError('NotImplemented', 'A header you provided implies functionality that is not implemented', 501);
    if (ifNoneMatch === '*' && b.objects.has(key))
      throw new ApiError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
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

  const routes: Route[] = [
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
      method: 'GET',
      path: '/:bucket',
      query: 'list-type',
      operation: 'ListObjectsV2',
      handler: (req, { bucket: name }) => listObjectsV2(req, bucket(name!)),
    },
    {
      method: 'POST',
      path: '/:bucket',
      query: 'delete',
      operation: 'DeleteObjects',
      handler: (req, { bucket: name }) => deleteObjects(req, bucket(name!)),
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
