/** S3 with path-style addressing: buckets, bucket policies and objects — what a site origin needs. */
import { createHash } from 'node:crypto';
import { ApiError } from './errors.js';
import { header, type ApiRequest, type ApiResponse, type Operation, type Service } from './protocol.js';
import { requestId } from './random.js';
import type { Bucket, EmulatedAccount } from './account.js';
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

  function putObject(req: ApiRequest, b: Bucket, key: string): ApiResponse {
    const etag = `"${createHash('md5').update(req.body).digest('hex')}"`;
    b.objects.set(key, {
      body: req.body,
      contentType: header(req, 'content-type') ?? 'binary/octet-stream',
      etag,
      lastModified: account.now(),
    });
    return { status: 200, headers: { etag } };
  }

  function getObject(b: Bucket, key: string, withBody: boolean): ApiResponse {
    const o = b.objects.get(key);
    if (!o) throw new ApiError('NoSuchKey', 'The specified key does not exist.', 404);
    const headers = {
      'content-type': o.contentType,
      'content-length': String(o.body.length),
      etag: o.etag,
      'last-modified': new Date(o.lastModified).toUTCString(),
    };
    return withBody ? { status: 200, headers, body: o.body } : { status: 200, headers };
  }

  return {
    route(req) {
      const [, name, ...rest] = req.path.split('/');
      if (!name) return undefined;
      const key = rest.join('/');
      const m = req.method;
      const op = (opName: string, run: () => ApiResponse): Operation => ({ name: opName, run });
      if (!key) {
        if (req.query.has('policy')) {
          if (m === 'GET')
            return op('GetBucketPolicy', () => {
              const b = bucket(name);
              if (b.policy === undefined)
                throw new ApiError('NoSuchBucketPolicy', 'The bucket policy does not exist', 404);
              return { status: 200, headers: { 'content-type': 'application/json' }, body: b.policy };
            });
          if (m === 'PUT') return op('PutBucketPolicy', () => putPolicy(req, bucket(name)));
          if (m === 'DELETE')
            return op('DeleteBucketPolicy', () => {
              delete bucket(name).policy;
              return { status: 204 };
            });
          return undefined;
        }
        if (m === 'PUT')
          return op('CreateBucket', () => {
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
          });
        if (m === 'HEAD') return op('HeadBucket', () => (bucket(name), { status: 200 }));
        return undefined;
      }
      if (m === 'PUT') return op('PutObject', () => putObject(req, bucket(name), key));
      if (m === 'GET') return op('GetObject', () => getObject(bucket(name), key, true));
      if (m === 'HEAD') return op('HeadObject', () => getObject(bucket(name), key, false));
      if (m === 'DELETE')
        return op('DeleteObject', () => {
          bucket(name).objects.delete(key);
          return { status: 204 };
        });
      return undefined;
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
