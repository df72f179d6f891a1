/** The single GetMetricData call between the pure query builder and reducer of shared/domain/traffic-metrics.ts. */
import { GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import {
  figuresFromResults,
  trafficQueries,
  type MetricsWindow,
  type TrafficFigures,
} from '../domain/traffic-metrics.js';
import { awsCall } from './call.js';
import { cloudWatch } from './clients/cloudwatch.js';

/**
 * Reads what each distribution served in the window: one GetMetricData call (two queries per distribution). At the
 * longest window (15 days of 1-minute points) four queries stay under the 100,800 datapoints one call returns; a
 * `NextToken` is followed all the same, so a figure is never computed from half the data.
 */
export async function readTraffic(
  distributionIds: readonly string[],
  window: MetricsWindow,
): Promise<TrafficFigures[]> {
  const queries = trafficQueries(distributionIds);
  const results: MetricDataResult[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const out = await awsCall('GetMetricData', `AWS/CloudFront metrics of ${distributionIds.join(', ')}`, () =>
      cloudWatch().send(
        new GetMetricDataCommand({
          StartTime: window.start,
          EndTime: window.end,
          MetricDataQueries: queries,
          ScanBy: 'TimestampAscending',
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    results.push(...(out.MetricDataResults ?? []));
    nextToken = out.NextToken;
  } while (nextToken);
  return figuresFromResults(distributionIds, results);
}
