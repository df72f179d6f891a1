import type { MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import {
  MAX_WINDOW_MINUTES,
  figuresFromResults,
  metricsWindow,
  trafficQueries,
} from '../../../../shared/domain/traffic-metrics.js';

const t = (minute: number) => new Date(Date.UTC(2026, 10, 1, 12, minute));
const result = (Id: string, points: [number, number][]): MetricDataResult => ({
  Id,
  StatusCode: 'Complete',
  Timestamps: points.map(([m]) => t(m)),
  Values: points.map(([, v]) => v),
});

describe('trafficQueries', () => {
  it('asks for Requests Sum and 5xxErrorRate Average per distribution, 1-minute period, with both CloudFront dimensions', () => {
    const queries = trafficQueries(['E2STAGING00002', 'E1PRIMARY00001']);
    expect(
      queries.map((q) => [q.Id, q.MetricStat?.Metric?.MetricName, q.MetricStat?.Stat, q.MetricStat?.Period]),
    ).toEqual([
      ['d0_requests', 'Requests', 'Sum', 60],
      ['d0_e5', '5xxErrorRate', 'Average', 60],
      ['d1_requests', 'Requests', 'Sum', 60],
      ['d1_e5', '5xxErrorRate', 'Average', 60],
    ]);
    expect(queries[2]?.MetricStat?.Metric).toEqual({
      Namespace: 'AWS/CloudFront',
      MetricName: 'Requests',
      Dimensions: [
        { Name: 'DistributionId', Value: 'E1PRIMARY00001' },
        { Name: 'Region', Value: 'Global' },
      ],
    });
  });

  it('stays under the 100,800 datapoints of one GetMetricData call at the longest window, for both distributions', () => {
    expect(trafficQueries(['a', 'b']).length * MAX_WINDOW_MINUTES).toBeLessThanOrEqual(100_800);
  });
});

describe('metricsWindow', () => {
  it('covers whole minutes and includes the current one', () => {
    const w = metricsWindow(15, Date.UTC(2026, 10, 1, 12, 30, 20));
    expect(w.end).toEqual(new Date(Date.UTC(2026, 10, 1, 12, 31)));
    expect(w.start).toEqual(new Date(Date.UTC(2026, 10, 1, 12, 16)));
  });

  it("starts no earlier than the minute of the distribution's last change, so an older config's traffic does not count", () => {
    const now = Date.UTC(2026, 10, 1, 12, 30, 20);
    const w = metricsWindow(15, now, Date.UTC(2026, 10, 1, 12, 24, 45));
    expect(w.start).toEqual(new Date(Date.UTC(2026, 10, 1, 12, 24)));
    expect(w.minutes).toBe(7);
    expect(metricsWindow(15, now, Date.UTC(2026, 10, 1, 11, 0)).minutes).toBe(15);
  });

  it('covers at least the current minute, for a change in the current minute too', () => {
    const now = Date.UTC(2026, 10, 1, 12, 30, 20);
    const w = metricsWindow(15, now, Date.UTC(2026, 10, 1, 12, 30, 5));
    expect(w).toEqual({
      start: new Date(Date.UTC(2026, 10, 1, 12, 30)),
      end: new Date(Date.UTC(2026, 10, 1, 12, 31)),
      minutes: 1,
    });
  });

  // Chaos finding E: with the Lambda's clock behind CloudFront's, staging's last change lay after `now`, and the
  // window fell back to the minute before it — the previous (broken, rolled back) release's traffic, judged as the
  // new release's: the watch disabled a healthy canary under review.
  it("never reaches before a change that is ahead of this clock: the change's own minute alone", () => {
    const now = Date.UTC(2026, 10, 1, 12, 30, 59, 900);
    const change = Date.UTC(2026, 10, 1, 12, 31, 0, 400);
    expect(metricsWindow(15, now, change)).toEqual({
      start: new Date(Date.UTC(2026, 10, 1, 12, 31)),
      end: new Date(Date.UTC(2026, 10, 1, 12, 32)),
      minutes: 1,
    });
    expect(metricsWindow(15, now, now + 3_600_000).start).toEqual(new Date(Date.UTC(2026, 10, 1, 13, 30)));
  });
});

describe('figuresFromResults', () => {
  it("sums requests and weights each minute's 5xx rate by that minute's requests", () => {
    const [staging] = figuresFromResults(
      ['S'],
      [
        result('d0_requests', [
          [0, 90],
          [1, 10],
        ]),
        result('d0_e5', [
          [0, 0],
          [1, 50],
        ]),
      ],
    );
    expect(staging).toEqual({ requests: 100, errorRate5xx: 5 });
  });

  it('reads no datapoints as no requests and no error-rate data (not 0%)', () => {
    expect(figuresFromResults(['S', 'P'], [result('d0_requests', []), result('d0_e5', [])])).toEqual([
      { requests: 0, errorRate5xx: undefined },
      { requests: 0, errorRate5xx: undefined },
    ]);
  });

  it('counts a minute with requests but no error-rate datapoint as error-free, in any timestamp order', () => {
    const [staging] = figuresFromResults(
      ['S'],
      [
        result('d0_requests', [
          [2, 30],
          [1, 10],
        ]),
        result('d0_e5', [[1, 100]]),
      ],
    );
    expect(staging).toEqual({ requests: 40, errorRate5xx: 25 });
  });

  it('merges the pages of one query', () => {
    const [staging] = figuresFromResults(['S'], [result('d0_requests', [[0, 3]]), result('d0_requests', [[1, 4]])]);
    expect(staging?.requests).toBe(7);
  });
});
