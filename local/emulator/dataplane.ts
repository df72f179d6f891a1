/**
 * What a viewer sees: CloudFront continuous-deployment routing between a primary and its staging distribution,
 * then an S3 origin behind origin access control. Every response is recorded for the CloudWatch metrics.
 */
import { grantsDistribution } from './bucket-grant.js';
import type { ApiResponse } from './protocol.js';
import {
  attachedPolicyId,
  isEnabled,
  isStaging,
  releaseKey,
  type DistributionRecord,
  type EmulatedAccount,
} from './account.js';
import { child, textAt } from './xml.js';

/**
 * Makes the release at `originPath` fail: `share5xx` (0–1) of the viewer requests served from it answer `status`
 * (a 5xx, default 500), seeded; 0 makes it healthy again. CloudWatch's metrics follow from the served requests.
 */
export function setReleaseFailure(account: EmulatedAccount, originPath: string, share5xx: number, status = 500): void {
  if (!(share5xx >= 0 && share5xx <= 1)) throw new RangeError(`share5xx must be a number from 0 to 1, got ${share5xx}`);
  if (!(Number.isInteger(status) && status >= 500 && status <= 599))
    throw new RangeError(`status must be an HTTP 5xx status, got ${status}`);
  const key = releaseKey(originPath);
  if (share5xx === 0) account.releaseFailures.delete(key);
  else account.releaseFailures.set(key, { share5xx, status });
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
  const previous = decodeSticky(parseCookies(headers['cookie']).get(STICKY_COOKIE));
  if (sticky && previous && previous.p === policy.id && previous.v === policy.etag) {
    return { target: previous.staging ? staging : primary };
  }
  const toStaging = account.random() < weight;
  const state: StickyState = { p: policy.id, v: policy.etag, staging: toStaging };
  const maxAge = sticky ? `; Max-Age=${textAt(sticky, 'MaximumTTL')}` : '';
  return {
    target: toStaging ? staging : primary,
    setCookie: `${STICKY_COOKIE}=${Buffer.from(JSON.stringify(state)).toString('base64url')}; Path=/${maxAge}; Secure; HttpOnly`,
  };
}

/** `BUCKET.s3.amazonaws.com` or `BUCKET.s3.<region>.amazonaws.com` (also the dash form) → BUCKET. */
function bucketOfOrigin(domainName: string): string | undefined {
  return /^(.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$/.exec(domainName)?.[1];
}

/** The distribution's default-behaviour origin (the one this data plane serves from). */
function defaultOrigin(d: DistributionRecord) {
  const originId = textAt(d.config, 'DefaultCacheBehavior', 'TargetOriginId');
  return {
    originId,
    origin: child(child(d.config, 'Origins'), 'Items')?.children.find((o) => textAt(o, 'Id') === originId),
  };
}

/** Fetches `path` from the distribution's default-behaviour origin, enforcing the OAC grant. */
function fromOrigin(
  account: EmulatedAccount,
  d: DistributionRecord,
  path: string,
): { status: number; body: Buffer | string; contentType: string } {
  const denied = (why: string) => ({ status: 403, body: `AccessDenied: ${why}`, contentType: 'text/plain' });
  if (!isEnabled(d)) return denied(`distribution ${d.id} is disabled`);
  const { originId, origin } = defaultOrigin(d);
  const bucketName = bucketOfOrigin(textAt(origin, 'DomainName') ?? '');
  if (!origin || !bucketName)
    return { status: 502, body: `origin ${originId} is not an S3 bucket origin`, contentType: 'text/plain' };
  const rootObject = textAt(d.config, 'DefaultRootObject');
  const objectPath = path === '/' && rootObject ? `/${rootObject}` : path;
  const key = `${(textAt(origin, 'OriginPath') ?? '').replace(/^\/+/, '')}${objectPath}`.replace(/^\/+/, '');
  const bucket = account.buckets.get(bucketName);
  if (!bucket || !grantsDistribution(bucket.policy, bucketName, key, d.arn))
    return denied(`bucket ${bucketName} does not grant ${d.arn} s3:GetObject on ${key}`);
  const object = bucket.objects.get(key);
  // Without s3:ListBucket, S3 answers a missing key with 403, and CloudFront passes that on.
  if (!object) return denied(`no object ${key} in bucket ${bucketName}`);
  return { status: 200, body: object.body, contentType: object.contentType };
}

/** Serves one viewer request for `domainName` + `path`; `headers` are lower-cased request headers. */
export function serveViewer(
  account: EmulatedAccount,
  domainName: string,
  path: string,
  headers: Record<string, string>,
): ApiResponse {
  const requested = account.distributionByDomain(domainName);
  // Viewers reach a staging distribution only through its primary's policy.
  if (!requested || isStaging(requested))
    return { status: 404, headers: { 'content-type': 'text/plain' }, body: `no distribution serves ${domainName}` };
  const { target, setCookie } = route(account, requested, headers);
  let { status, body, contentType } = fromOrigin(account, target, path);
  const errorRate = account.errorRates.get(target.id) ?? 0;
  if (errorRate > 0 && account.random() < errorRate) {
    status = 503;
    body = 'injected origin failure';
    contentType = 'text/plain';
  }
  // A failing release fails wherever it is served: on the staging under review, and on a primary it was promoted to.
  const failure = account.releaseFailures.get(releaseKey(textAt(defaultOrigin(target).origin, 'OriginPath') ?? ''));
  if (failure && failure.share5xx > 0 && account.random() < failure.share5xx) {
    status = failure.status;
    body = `release failure (emulated): ${status}`;
    contentType = 'text/plain';
  }
  account.served.push({ time: account.now(), distributionId: target.id, status });
  const out: Record<string, string> = { 'content-type': contentType, 'x-emulator-distribution-id': target.id };
  if (setCookie) out['set-cookie'] = setCookie;
  return { status, headers: out, body };
}
