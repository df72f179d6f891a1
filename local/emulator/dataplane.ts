/**
 * What a viewer sees: CloudFront continuous-deployment routing between a primary and its staging distribution,
 * then that distribution's edge cache (edge-cache.ts), then an S3 origin behind origin access control. Every
 * response, hit or miss, is recorded for the CloudWatch metrics.
 */
import { grantsDistribution } from './bucket-grant.js';
import type { ApiResponse } from './protocol.js';
import {
  attachedPolicyId,
  isStaging,
  releaseKey,
  type DistributionRecord,
  type EmulatedAccount,
  type ReleaseFailure,
} from './account.js';
import { cacheKey, cacheSettings, objectTtl, type OriginCacheHeaders } from './edge-cache.js';
import { invalidatedForRequest } from './invalidations.js';
import { child, textAt, type XmlElement } from './xml.js';

/**
 * Makes the release at `originPath` fail: `share5xx` (0–1) of the viewer requests served from it answer `status`
 * (a 5xx, default 500), seeded; 0 makes it healthy again. With `paths`, only requests whose path starts with one of
 * them fail: a release that passes a canary which rarely reaches those paths, and fails at full traffic. CloudWatch's
 * metrics follow from the served requests.
 */
export function setReleaseFailure(
  account: EmulatedAccount,
  originPath: string,
  share5xx: number,
  status = 500,
  paths?: readonly string[],
): void {
  if (!(share5xx >= 0 && share5xx <= 1)) throw new RangeError(`share5xx must be a number from 0 to 1, got ${share5xx}`);
  if (!(Number.isInteger(status) && status >= 500 && status <= 599))
    throw new RangeError(`status must be an HTTP 5xx status, got ${status}`);
  if (paths !== undefined && (paths.length === 0 || paths.some((p) => typeof p !== 'string' || !p.startsWith('/'))))
    throw new RangeError(`paths must be path prefixes starting with /, got ${JSON.stringify(paths)}`);
  const key = releaseKey(originPath);
  if (share5xx === 0) account.releaseFailures.delete(key);
  else account.releaseFailures.set(key, { share5xx, status, ...(paths ? { paths: [...paths] } : {}) });
}

/** True when a failing release fails a request for `path` (every path, or one of its prefixes). */
function failsPath(failure: ReleaseFailure, path: string): boolean {
  return !failure.paths || failure.paths.some((prefix) => path.startsWith(prefix));
}

/** CloudFront's sticky-session cookie for weighted routing. */
export const STICKY_COOKIE = 'x-amz-continuous-deployment-state';

interface Route {
  target: DistributionRecord;
  setCookie?: string;
}

interface StickyState {
  /** Policy id and version: enabling, disabling or changing the policy resets every session. */
  p: string;
  v: string;
  staging: boolean;
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return cookies;
}

function decodeSticky(value: string | undefined): StickyState | undefined {
  if (!value) return undefined;
  try {
    const s = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as StickyState;
    return typeof s.p === 'string' && typeof s.v === 'string' && typeof s.staging === 'boolean' ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Picks primary or staging for one request, as CloudFront does when the primary has an enabled policy. */
function route(account: EmulatedAccount, primary: DistributionRecord, headers: Record<string, string>): Route {
  const policyId = attachedPolicyId(primary);
  const policy = policyId ? account.policies.get(policyId) : undefined;
  if (!policy || textAt(policy.config, 'Enabled') !== 'true') return { target: primary };
  const stagingName = child(child(policy.config, 'StagingDistributionDnsNames'), 'Items')?.children[0]?.text;
  const staging = stagingName ? account.distributionByDomain(stagingName) : undefined;
  if (!staging) return { target: primary };
  const traffic = child(policy.config, 'TrafficConfig');

  if (textAt(traffic, 'Type') === 'SingleHeader') {
    const name = (textAt(traffic, 'SingleHeaderConfig', 'Header') ?? '').toLowerCase();
    const value = textAt(traffic, 'SingleHeaderConfig', 'Value');
    return { target: headers[name] === value ? staging : primary };
  }

  const weight = Number(textAt(traffic, 'SingleWeightConfig', 'Weight') ?? 0);
  const sticky = child(child(traffic, 'SingleWeightConfig'), 'SessionStickinessConfig');
  const previous = decodeSticky(parseCookies(headers.cookie).get(STICKY_COOKIE));
  if (sticky && previous && previous.p === policy.id && previous.v === policy.etag) {
    return { target: previous.staging ? staging : primary };
  }
  const toStaging = account.random() < weight;
  const state: StickyState = { p: policy.id, v: policy.etag, staging: toStaging };
  const maxAge = sticky ? `; Max-Age=${textAt(sticky, 'MaximumTTL')}` : '';
  const encoded = Buffer.from(JSON.stringify(state)).toString('base64url');
  return {
    target: toStaging ? staging : primary,
    setCookie: `${STICKY_COOKIE}=${encoded}; Path=/${maxAge}; Secure; HttpOnly`,
  };
}

/** `BUCKET.s3.amazonaws.com` or `BUCKET.s3.<region>.amazonaws.com` (also the dash form) → BUCKET. */
function bucketOfOrigin(domainName: string): string | undefined {
  return /^(.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$/.exec(domainName)?.[1];
}

/** The default-behaviour origin of a distribution config (the one this data plane serves from). */
function defaultOrigin(config: XmlElement) {
  const originId = textAt(config, 'DefaultCacheBehavior', 'TargetOriginId');
  return {
    originId,
    origin: child(child(config, 'Origins'), 'Items')?.children.find((o) => textAt(o, 'Id') === originId),
  };
}

/** What the origin answered, and the origin path (the release) it was asked with. */
interface OriginAnswer {
  status: number;
  body: Buffer | string;
  contentType: string;
  originPath: string;
  headers: OriginCacheHeaders;
}

/** Fetches `path` with the distribution `config`'s default-behaviour origin, enforcing the OAC grant. */
function fromOrigin(account: EmulatedAccount, d: DistributionRecord, config: XmlElement, path: string): OriginAnswer {
  const { originId, origin } = defaultOrigin(config);
  const originPath = textAt(origin, 'OriginPath') ?? '';
  const plain = (status: number, body: string) => ({
    status,
    body,
    contentType: 'text/plain',
    originPath,
    headers: {},
  });
  const denied = (why: string) => plain(403, `AccessDenied: ${why}`);
  if (textAt(config, 'Enabled') !== 'true') return denied(`distribution ${d.id} is disabled`);
  const bucketName = bucketOfOrigin(textAt(origin, 'DomainName') ?? '');
  if (!origin || !bucketName) return plain(502, `origin ${originId} is not an S3 bucket origin`);
  const rootObject = textAt(config, 'DefaultRootObject');
  const objectPath = path === '/' && rootObject ? `/${rootObject}` : path;
  const key = `${originPath.replace(/^\/+/, '')}${objectPath}`.replace(/^\/+/, '');
  const bucket = account.buckets.get(bucketName);
  if (!bucket || !grantsDistribution(bucket.policy, bucketName, key, d.arn))
    return denied(`bucket ${bucketName} does not grant ${d.arn} s3:GetObject on ${key}`);
  const object = bucket.objects.get(key);
  // Without s3:ListBucket, S3 answers a missing key with 403, and CloudFront passes that on.
  if (!object) return denied(`no object ${key} in bucket ${bucketName}`);
  const headers: OriginCacheHeaders = {};
  if (object.cacheControl !== undefined) headers.cacheControl = object.cacheControl;
  if (object.expires !== undefined) headers.expires = object.expires;
  return { status: 200, body: object.body, contentType: object.contentType, originPath, headers };
}

/**
 * The config a request is fetched with. While a distribution is InProgress, edge locations that have not switched
 * yet still use the config it last had Deployed: that share of requests — falling linearly from 1 at the change to
 * 0 at Deployed (the emulator's model of edges switching one by one), or as fixed by `previousConfigShare` — is
 * fetched with it. Drawn from the edge's own random stream, so routing and fault draws do not shift.
 */
function servingConfig(account: EmulatedAccount, d: DistributionRecord): XmlElement {
  const previous = d.lastDeployed;
  const now = account.now();
  if (!previous || now >= d.deployedAt) return d.config;
  const share =
    account.previousConfigShare === 'linear'
      ? (d.deployedAt - now) / (d.deployedAt - previous.changedAt)
      : account.previousConfigShare;
  if (share <= 0) return d.config;
  if (share >= 1) return previous.config;
  return account.edgeRandom() < share ? previous.config : d.config;
}

/**
 * Serves one viewer request for `domainName` + `path` (`query` without its `?`); `headers` are lower-cased request
 * headers. The routed distribution's edge cache answers first; a miss is fetched from the origin and, when it is a
 * 200 with a TTL, stored. Injected failures apply to hits too, and failed responses are never cached.
 */
export function serveViewer(
  account: EmulatedAccount,
  domainName: string,
  path: string,
  query: string,
  headers: Record<string, string>,
): ApiResponse {
  const requested = account.distributionByDomain(domainName);
  // Viewers reach a staging distribution only through its primary's policy.
  if (!requested || isStaging(requested))
    return { status: 404, headers: { 'content-type': 'text/plain' }, body: `no distribution serves ${domainName}` };
  const { target, setCookie } = route(account, requested, headers);
  const now = account.now();
  const config = servingConfig(account, target);
  const settings = cacheSettings(config);
  const key = cacheKey(settings, path, query);
  const cache = account.cacheOf(target.id);
  let hit = cache.get(key, now);
  if (hit && invalidatedForRequest(account, target.id, hit)) {
    cache.delete(key);
    hit = undefined;
  }
  const answer: OriginAnswer = hit
    ? { status: 200, body: hit.body, contentType: hit.contentType, originPath: hit.originPath, headers: hit.headers }
    : fromOrigin(account, target, config, path);
  let { status, body, contentType } = answer;
  const errorRate = account.errorRates.get(target.id) ?? 0;
  if (errorRate > 0 && account.random() < errorRate) {
    status = 503;
    body = 'injected origin failure';
    contentType = 'text/plain';
  }
  // A failing release fails wherever it is served: on the staging under review, on a primary it was promoted to, and
  // from a cache filled by it.
  const failure = account.releaseFailures.get(releaseKey(answer.originPath));
  if (failure && failure.share5xx > 0 && failsPath(failure, path) && account.random() < failure.share5xx) {
    status = failure.status;
    body = `release failure (emulated): ${status}`;
    contentType = 'text/plain';
  }
  // CloudFront caches error responses for 10 s by default (custom error caching TTL); the emulator caches none, so
  // every failure reaches the viewer and the metrics.
  if (!hit && status === 200) {
    const ttl = objectTtl(settings, answer.headers, now);
    if (ttl > 0)
      cache.put({
        key,
        body,
        contentType,
        headers: answer.headers,
        originPath: answer.originPath,
        storedAt: now,
        expiresAt: now + ttl * 1000,
        stamp: account.nextEdgeWrite(),
      });
  }
  account.served.push({ time: now, distributionId: target.id, status });
  const out: Record<string, string> = {
    'content-type': contentType,
    'x-emulator-distribution-id': target.id,
    'x-emulator-origin-path': answer.originPath,
    'x-cache': hit ? 'Hit from cloudfront' : 'Miss from cloudfront',
  };
  if (hit) out.age = String(Math.floor((now - hit.storedAt) / 1000));
  if (status === 200 && answer.headers.cacheControl !== undefined) out['cache-control'] = answer.headers.cacheControl;
  if (status === 200 && answer.headers.expires !== undefined) out.expires = answer.headers.expires;
  if (setCookie) out['set-cookie'] = setCookie;
  return { status, headers: out, body };
}
