/**
 * CloudWatch GetMetricData for the CloudFront distribution metrics, computed from the data plane's served-request
 * log. SDK v3 speaks AWS JSON 1.0 to CloudWatch, in query-compatible mode (errors also carry x-amzn-query-error).
 */
import { ApiError } from './errors.js';
import { jsonError, jsonResponse, jsonRoute, unknownJsonOperation } from './json-protocol.js';
import type { ApiResponse, Service } from './protocol.js';
import type { ServedRequest, EmulatedAccount } from './account.js';

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'GraniteServiceVersion20100801';

interface Dimension {
  Name?: string;
  Value?: string;
}
interface MetricDataQuery {
  Id?: string;
  Label?: string;
  ReturnData?: boolean;
  MetricStat?: {
    Metric?: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] };
    Period?: number;
    Stat?: string;
  };
}

const invalid = (message: string) => new ApiError('InvalidParameterValue', message);

/** One metric's value over the requests of one period, or undefined when it has no datapoint. */
function metricValue(metric: string, stat: string, requests: ServedRequest[]): number | undefined {
  if (requests.length === 0) return undefined;
  const rate = (pred: (s: number) => boolean) =>
    (100 * requests.filter((r) => pred(r.status)).length) / requests.length;
  switch (metric) {
    case 'Requests':
      // Each request is one sample of value 1, so Sum and SampleCount are the count and the average is 1.
      return stat === 'Sum' || stat === 'SampleCount' ? requests.length : 1;
    case '4xxErrorRate':
      return rate((s) => s >= 400 && s < 500);
    case '5xxErrorRate':
      return rate((s) => s >= 500);
    case 'TotalErrorRate':
      return rate((s) => s >= 400);
    default:
      return undefined;
  }
}

/** Which distribution a query asks about, when it is a CloudFront distribution metric this emulator has. */
function distributionOf(q: MetricDataQuery): string | undefined {
  const metric = q.MetricStat?.Metric;
  if (metric?.Namespace !== 'AWS/CloudFront') return undefined;
  const dims = metric.Dimensions ?? [];
  // A metric is identified by its full dimension set: without Region=Global it is another (empty) metric.
  if (dims.length !== 2 || !dims.some((d) => d.Name === 'Region' && d.Value === 'Global')) return undefined;
  return dims.find((d) => d.Name === 'DistributionId')?.Value;
}

/** The CloudWatch service over a shared account. */
export function cloudWatch(account: EmulatedAccount): Service {
  function getMetricData(input: Record<string, unknown>): ApiResponse {
    const queries = (input.MetricDataQueries ?? []) as MetricDataQuery[];
    const start = Number(input.StartTime) * 1000;
    const end = Number(input.EndTime) * 1000;
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start)
      throw invalid('The parameter EndTime must be greater than StartTime.');
    const descending = input.ScanBy !== 'TimestampAscending';
    const results = queries
      .filter((q) => q.ReturnData !== false)
      .map((q) => {
        if (!q.MetricStat) throw invalid(`Query ${q.Id}: only MetricStat queries are supported by the emulator.`);
        const period = q.MetricStat.Period ?? 0;
        if (period <= 0 || period % 60 !== 0)
          throw invalid(`The parameter MetricDataQueries.member.Period must be a multiple of 60 for query ${q.Id}.`);
        const id = distributionOf(q);
        const metric = q.MetricStat.Metric?.MetricName ?? '';
        const stat = q.MetricStat.Stat ?? 'Average';
        const periodMs = period * 1000;
        const buckets = new Map<number, ServedRequest[]>();
        for (const r of id ? account.served : []) {
          if (r.distributionId !== id || r.time < start || r.time >= end) continue;
          const slot = Math.floor(r.time / periodMs) * periodMs;
          const bucket = buckets.get(slot);
          if (bucket) bucket.push(r);
          else buckets.set(slot, [r]);
        }
        const points = [...buckets.entries()]
          .map(([t, rs]) => [t, metricValue(metric, stat, rs)] as const)
          .filter((p): p is readonly [number, number] => p[1] !== undefined)
          .sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0]));
        return {
          Id: q.Id,
          Label: q.Label ?? metric,
          Timestamps: points.map(([t]) => t / 1000),
          Values: points.map(([, v]) => v),
          StatusCode: 'Complete',
        };
      });
    return jsonResponse(CONTENT_TYPE, { MetricDataResults: results, Messages: [] });
  }

  return {
    routes: [jsonRoute(TARGET_PREFIX, 'GetMetricData', ['InvalidParameterValue'], getMetricData)],
    unmatched: (req) => unknownJsonOperation(req, TARGET_PREFIX, 'CloudWatch'),
    // InvalidParameterValue is one of CloudWatch's common errors (API reference, "Common Errors"), which the model
    // declares for no operation; the rest as for every JSON service.
    commonErrors: ['InvalidParameterValue', 'SerializationException', 'Throttling', 'InternalFailure'],
    renderError: (err) => jsonError(CONTENT_TYPE, err, { 'x-amzn-query-error': `${err.code};${err.type}` }),
  };
}
