/** The single GetMetricData call between the pure query builder and reducer of shared/domain/traffic-metrics.ts. */
import { GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { type GateFigures, type GateParams, judgesErrorRate } from '../domain/gate.js';
import type { DistributionState } from '../domain/resources.js';
import {
  figuresFromResults,
  metricsWindow,
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

/** What staging (and, when an error rate is judged, the primary) served in the gate's window, and the window. */
export interface CanaryTraffic {
  figures: GateFigures;
  window: MetricsWindow;
}

/**
 * Reads staging's traffic (and the primary's, the baseline, when an error-rate threshold is set) in one
 * GetMetricData call. Only traffic served by the staging's current config proves anything: the window starts no
 * earlier than its last change (a reused staging distribution served the previous release before that).
 */
export async function readCanaryTraffic(
  gate: GateParams,
  primary: DistributionState,
  staging: DistributionState,
  now = Date.now(),
): Promise<CanaryTraffic> {
  const ids = judgesErrorRate(gate) ? [staging.id, primary.id] : [staging.id];
  const window = metricsWindow(gate.windowMinutes, now, staging.lastModified?.getTime());
  const [stagingFigures, primaryFigures] = await readTraffic(ids, window);
  if (!stagingFigures) throw new Error(`GetMetricData gave no figures for staging ${staging.id}`);
  return { figures: { windowMinutes: window.minutes, staging: stagingFigures, primary: primaryFigures }, window };
}
