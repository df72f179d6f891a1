/**
 * Which AWS operation an HTTP request is, as the chaos proxy sees it on its way to the emulator: enough to aim a
 * fault at a write, a report or a read. CloudFront by REST path, CodePipeline and CloudWatch by `X-Amz-Target`,
 * S3 by path-style bucket and `?policy`.
 */

export type Service = 'cloudfront' | 's3' | 'codepipeline' | 'cloudwatch' | 'unknown';

export interface Call {
  service: Service;
  operation: string;
  /** Changes state (a CloudFront/S3 write, an approval answer). */
  write: boolean;
  /** Writes with `If-Match`: a concurrent writer can make it stale (412). */
  ifMatch: boolean;
  /** PutJobSuccessResult / PutJobFailureResult, with the job it reports. */
  report: boolean;
  jobId: string | undefined;
}

const CLOUDFRONT: { method: string; path: RegExp; operation: string; ifMatch?: boolean }[] = [
  { method: 'GET', path: /^\/distribution$/, operation: 'ListDistributions' },
  { method: 'GET', path: /^\/distribution\/[^/]+$/, operation: 'GetDistribution' },
  { method: 'GET', path: /^\/distribution\/[^/]+\/config$/, operation: 'GetDistributionConfig' },
  { method: 'PUT', path: /^\/distribution\/[^/]+\/config$/, operation: 'UpdateDistribution', ifMatch: true },
  {
    method: 'PUT',
    path: /^\/distribution\/[^/]+\/promote-staging-config$/,
    operation: 'UpdateDistributionWithStagingConfig',
    ifMatch: true,
  },
  { method: 'POST', path: /^\/distribution\/[^/]+\/invalidation$/, operation: 'CreateInvalidation' },
  { method: 'GET', path: /^\/distribution\/[^/]+\/invalidation$/, operation: 'ListInvalidations' },
  { method: 'GET', path: /^\/distribution\/[^/]+\/invalidation\/[^/]+$/, operation: 'GetInvalidation' },
  { method: 'GET', path: /^\/continuous-deployment-policy$/, operation: 'ListContinuousDeploymentPolicies' },
  { method: 'GET', path: /^\/continuous-deployment-policy\/[^/]+$/, operation: 'GetContinuousDeploymentPolicy' },
  {
    method: 'GET',
    path: /^\/continuous-deployment-policy\/[^/]+\/config$/,
    operation: 'GetContinuousDeploymentPolicyConfig',
  },
  {
    method: 'PUT',
    path: /^\/continuous-deployment-policy\/[^/]+$/,
    operation: 'UpdateContinuousDeploymentPolicy',
    ifMatch: true,
  },
  {
    method: 'DELETE',
    path: /^\/continuous-deployment-policy\/[^/]+$/,
    operation: 'DeleteContinuousDeploymentPolicy',
    ifMatch: true,
  },
];

const JSON_SERVICES: Record<string, Service> = {
  CodePipeline_20150709: 'codepipeline',
  GraniteServiceVersion20100801: 'cloudwatch',
};
const JSON_WRITES = new Set(['PutApprovalResult']);
const REPORTS = new Set(['PutJobSuccessResult', 'PutJobFailureResult']);

/** The operation a request is; `unknown` for anything this table does not name (no fault is aimed at it). */
export function callOf(method: string, url: URL, headers: Record<string, string | undefined>, body: string): Call {
  const none = { write: false, ifMatch: false, report: false, jobId: undefined };
  const target = headers['x-amz-target'];
  if (target) {
    const [prefix = '', operation = 'Unknown'] = target.split('.');
    const report = REPORTS.has(operation);
    let jobId: string | undefined;
    if (report) {
      try {
        jobId = String((JSON.parse(body) as { jobId?: unknown }).jobId ?? '') || undefined;
      } catch {
        jobId = undefined;
      }
    }
    return {
      ...none,
      service: JSON_SERVICES[prefix] ?? 'unknown',
      operation,
      write: JSON_WRITES.has(operation) || report,
      report,
      jobId,
    };
  }
  const path = url.pathname;
  if (path.startsWith('/2020-05-31/')) {
    const rest = path.slice('/2020-05-31'.length);
    const route = CLOUDFRONT.find((r) => r.method === method && r.path.test(rest));
    return {
      ...none,
      service: 'cloudfront',
      operation: route?.operation ?? 'Unknown',
      write: method !== 'GET' && method !== 'HEAD',
      ifMatch: route?.ifMatch ?? false,
    };
  }
  const s3Write = method === 'PUT' || method === 'DELETE' || method === 'POST';
  if (url.searchParams.has('policy'))
    return {
      ...none,
      service: 's3',
      operation: method === 'GET' ? 'GetBucketPolicy' : method === 'PUT' ? 'PutBucketPolicy' : 'DeleteBucketPolicy',
      write: s3Write,
    };
  const segments = path.split('/').filter(Boolean);
  return {
    ...none,
    service: 's3',
    operation: segments.length > 1 ? (method === 'GET' ? 'GetObject' : 'Unknown') : 'Unknown',
    write: s3Write,
  };
}
