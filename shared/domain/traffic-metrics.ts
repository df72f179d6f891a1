/**
 * A CloudFront distribution's traffic over a recent window, from CloudWatch: how many requests it served and what share
 * of them were 5xx. Pure: the window, the query builder and the reducer (unit-tested without mocks); `readTraffic` in
 * shared/aws/metrics.ts is the single GetMetricData call between them.
 */
import type { MetricDataQuery, MetricDataResult } from '@aws-sdk/client-cloudwatch';

/**
 * The longest window CloudWatch keeps at 1-minute resolution (15 days). Older data survives only as 5-minute
 * aggregates, which a 1-minute query would silently miss.
 */
export const MAX_WINDOW_MINUTES = 15 * 24 * 60;

const MINUTE_MS = 60_000;

/** What one distribution served in the window. */
export interface TrafficFigures {
  /** `Requests`, Sum over the window; 0 when CloudWatch has no datapoint. */
  requests: number;
  /**
   * 5xx responses as a percent of all requests in the window: each minute's `5xxErrorRate` weighted by that minute's
   * `Requests`, so a quiet minute with one error does not count as much as a busy healthy one. Undefined when the
   * distribution served no request in the window ("no data", not 0%).
   */
  errorRate5xx: number | undefined;
}

/** The window a query covers, in whole minutes ending at the start of the next minute (so it includes this one). */
export interface MetricsWindow {
  start: Date;
  end: Date;
  minutes: number;
}

/**
 * The window of `minutes` ending with the minute that holds `now`, starting no earlier than the minute that holds
 * `notBefore` (when given): traffic a distribution served before its last change was served by another config. It
 * covers at least one minute. A change that is in a later minute than `now` by this clock (CloudFront's clock ahead
 * of ours) gets that minute alone: the minute before it holds only the previous config's traffic.
 */
export function metricsWindow(minutes: number, now: number, notBefore?: number): MetricsWindow {
  const current = Math.ceil(now / MINUTE_MS) * MINUTE_MS;
  const earliest = notBefore === undefined ? -Infinity : Math.floor(notBefore / MINUTE_MS) * MINUTE_MS;
  const start = Math.max(Math.min(Math.max(current - minutes * MINUTE_MS, earliest), current - MINUTE_MS), earliest);
  const end = Math.max(current, start + MINUTE_MS);
  return { start: new Date(start), end: new Date(end), minutes: (end - start) / MINUTE_MS };
}

/** Query ids such as `d0_requests`: CloudWatch wants them to start with a lower-case letter. */
const queryId = (index: number, metric: 'requests' | 'e5') => `d${index}_${metric}`;

/**
 * Two queries per distribution, 1-minute period: `Requests` Sum and `5xxErrorRate` Average, in namespace
 * `AWS/CloudFront` with the dimensions CloudFront publishes them under (`DistributionId`, `Region=Global`; a metric
 * is identified by its full dimension set, so leaving out `Region` would find nothing).
 */
export function trafficQueries(distributionIds: readonly string[]): MetricDataQuery[] {
  return distributionIds.flatMap((id, index) => {
    const metric = (MetricName: string) => ({
      Namespace: 'AWS/CloudFront',
      MetricName,
      Dimensions: [
        { Name: 'DistributionId', Value: id },
        { Name: 'Region', Value: 'Global' },
      ],
    });
    return [
      {
        Id: queryId(index, 'requests'),
        MetricStat: { Metric: metric('Requests'), Period: 60, Stat: 'Sum' },
        ReturnData: true,
      },
      {
        Id: queryId(index, 'e5'),
        MetricStat: { Metric: metric('5xxErrorRate'), Period: 60, Stat: 'Average' },
        ReturnData: true,
      },
    ];
  });
}

/** Datapoints of one result keyed by timestamp (ms). */
function pointsOf(results: readonly MetricDataResult[], id: string): Map<number, number> {
  const points = new Map<number, number>();
  for (const r of results.filter((x) => x.Id === id)) {
    (r.Timestamps ?? []).forEach((t, i) => {
      const v = r.Values?.[i];
      const at = new Date(t).getTime();
      if (v !== undefined && Number.isFinite(v)) points.set(at, (points.get(at) ?? 0) + v);
    });
  }
  return points;
}

/**
 * Reduces the results of {@link trafficQueries} to one {@link TrafficFigures} per distribution, in the same order.
 * Missing datapoints mean no request in that minute.
 */
export function figuresFromResults(
  distributionIds: readonly string[],
  results: readonly MetricDataResult[],
): TrafficFigures[] {
  return distributionIds.map((_, index) => {
    const requests = pointsOf(results, queryId(index, 'requests'));
    const rates = pointsOf(results, queryId(index, 'e5'));
    let total = 0;
    let errors = 0;
    for (const [t, n] of requests) {
      total += n;
      errors += (n * (rates.get(t) ?? 0)) / 100;
    }
    return { requests: total, errorRate5xx: total > 0 ? (100 * errors) / total : undefined };
  });
}
