import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cdWorld,
  createDistribution,
  grant,
  harness,
  setPolicyId,
  siteBucket,
  siteConfig,
  weightTraffic,
  type Harness,
} from './helpers.js';

let h: Harness;
afterEach(async () => h?.close());

describe('viewer data plane', () => {
  it('serves the default root object from the S3 origin path when the bucket grants the distribution', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    await siteBucket(h, [d.arn]);
    const res = await h.emulator.viewer(d.domainName, '/');
    expect(res).toMatchObject({ status: 200, body: '<h1>site v1</h1>', servedBy: d.id });
  });

  it('answers 403 without a grant for that distribution, or when it is disabled', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    const other = await createDistribution(h, siteConfig('other', { enabled: false }));
    await siteBucket(h, []);
    expect((await h.emulator.viewer(d.domainName, '/')).status).toBe(403);
    await grant(h, ['arn:aws:cloudfront::123456789012:distribution/ESOMEBODYELSE1']);
    expect((await h.emulator.viewer(d.domainName, '/')).status).toBe(403);
    await grant(h, [d.arn, other.arn]);
    expect((await h.emulator.viewer(d.domainName, '/')).status).toBe(200);
    expect((await h.emulator.viewer(other.domainName, '/')).status).toBe(403);
  });

  it('sends only requests carrying the header to staging', async () => {
    h = await harness();
    const { primary, staging, policyId } = await cdWorld(h);
    await siteBucket(h, [primary.arn, staging.arn]);
    await setPolicyId(h, primary.id, policyId);
    expect(await h.emulator.viewer(primary.domainName, '/')).toMatchObject({
      body: '<h1>site v1</h1>',
      servedBy: primary.id,
    });
    expect(
      await h.emulator.viewer(primary.domainName, '/', { headers: { 'aws-cf-cd-staging': 'true' } }),
    ).toMatchObject({ body: '<h1>site v2</h1>', servedBy: staging.id });
    expect(
      (await h.emulator.viewer(primary.domainName, '/', { headers: { 'aws-cf-cd-staging': 'yes' } })).servedBy,
    ).toBe(primary.id);
  });

  it('sends about the policy weight of new viewers to staging', async () => {
    h = await harness({ seed: 7 });
    const { primary, staging, policyId } = await cdWorld(h, weightTraffic(0.15));
    await siteBucket(h, [primary.arn, staging.arn]);
    await setPolicyId(h, primary.id, policyId);
    let toStaging = 0;
    for (let i = 0; i < 2000; i++)
      if ((await h.emulator.viewer(primary.domainName, '/')).servedBy === staging.id) toStaging++;
    expect(toStaging / 2000).toBeGreaterThanOrEqual(0.1);
    expect(toStaging / 2000).toBeLessThanOrEqual(0.2);
  });

  it('keeps a viewer on the same side through the sticky-session cookie', async () => {
    h = await harness({ seed: 3 });
    const { primary, staging, policyId } = await cdWorld(h, weightTraffic(0.15));
    await siteBucket(h, [primary.arn, staging.arn]);
    await setPolicyId(h, primary.id, policyId);
    const sides = new Set<string>();
    for (let viewer = 0; viewer < 60; viewer++) {
      const first = await h.emulator.viewer(primary.domainName, '/');
      expect(first.setCookie).toMatch(/^x-amz-continuous-deployment-state=/);
      const cookie = first.setCookie!.split(';')[0]!;
      sides.add(first.servedBy!);
      for (let again = 0; again < 5; again++) {
        expect((await h.emulator.viewer(primary.domainName, '/', { headers: { cookie } })).servedBy).toBe(
          first.servedBy,
        );
      }
    }
    // Sixty viewers at 15% reach both sides (seeded, so this is deterministic).
    expect(sides).toEqual(new Set([primary.id, staging.id]));
  });

  it('sends everyone to the primary once the policy is disabled by promotion or detached', async () => {
    h = await harness();
    const { primary, staging, policyId } = await cdWorld(h);
    await siteBucket(h, [primary.arn, staging.arn]);
    await setPolicyId(h, primary.id, policyId);
    await setPolicyId(h, primary.id, '');
    expect(
      (await h.emulator.viewer(primary.domainName, '/', { headers: { 'aws-cf-cd-staging': 'true' } })).servedBy,
    ).toBe(primary.id);
  });
});

describe('CloudWatch metrics of served requests', () => {
  it('counts requests and error rates per distribution per period', async () => {
    h = await harness({ seed: 11 });
    const d = await createDistribution(h, siteConfig('p'));
    await siteBucket(h, [d.arn]);
    const start = new Date(Date.UTC(2026, 0, 1));
    for (let i = 0; i < 10; i++) await h.emulator.viewer(d.domainName, '/');
    await h.emulator.viewer(d.domainName, '/missing.html');
    h.advance(60_000);
    h.emulator.setErrorRate(d.id, 1);
    for (let i = 0; i < 4; i++) await h.emulator.viewer(d.domainName, '/');

    const metric = (MetricName: string, Stat: string) => ({
      MetricStat: {
        Metric: {
          Namespace: 'AWS/CloudFront',
          MetricName,
          Dimensions: [
            { Name: 'DistributionId', Value: d.id },
            { Name: 'Region', Value: 'Global' },
          ],
        },
        Period: 60,
        Stat,
      },
    });
    const out = await h.cloudWatch.send(
      new GetMetricDataCommand({
        StartTime: start,
        EndTime: new Date(start.getTime() + 180_000),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          { Id: 'requests', ...metric('Requests', 'Sum') },
          { Id: 'e4', ...metric('4xxErrorRate', 'Average') },
          { Id: 'e5', ...metric('5xxErrorRate', 'Average') },
          { Id: 'total', ...metric('TotalErrorRate', 'Average') },
        ],
      }),
    );
    const byId = Object.fromEntries((out.MetricDataResults ?? []).map((r) => [r.Id, r]));
    expect(byId.requests).toMatchObject({
      StatusCode: 'Complete',
      Timestamps: [start, new Date(start.getTime() + 60_000)],
      Values: [11, 4],
    });
    expect(byId.e4?.Values?.[0]).toBeCloseTo(100 / 11);
    expect(byId.e5?.Values).toEqual([0, 100]);
    expect(byId.total?.Values?.[1]).toBe(100);

    // Twenty minutes pass for the traffic so far: its datapoints move with it, out of the window they were in.
    h.emulator.ageTraffic(20 * 60_000);
    const aged = await h.cloudWatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(start.getTime() - 20 * 60_000),
        EndTime: new Date(start.getTime() + 180_000),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [{ Id: 'requests', ...metric('Requests', 'Sum') }],
      }),
    );
    expect(aged.MetricDataResults?.[0]).toMatchObject({
      Timestamps: [new Date(start.getTime() - 20 * 60_000), new Date(start.getTime() - 19 * 60_000)],
      Values: [11, 4],
    });
    expect(() => h.emulator.ageTraffic(-1)).toThrow(RangeError);
  });
});

describe('a failing release', () => {
  const cwQuery = (id: string, MetricName: string, Stat: string) => ({
    Id: `${MetricName.replace(/\W/g, '')}_${id}`.toLowerCase(),
    MetricStat: {
      Metric: {
        Namespace: 'AWS/CloudFront',
        MetricName,
        Dimensions: [
          { Name: 'DistributionId', Value: id },
          { Name: 'Region', Value: 'Global' },
        ],
      },
      Period: 60,
      Stat,
    },
  });

  it('answers 5xx to the viewers routed to the staging that serves it, and CloudWatch shows it', async () => {
    h = await harness();
    const { primary, staging, policyId } = await cdWorld(h);
    await siteBucket(h, [primary.arn, staging.arn]);
    await setPolicyId(h, primary.id, policyId);
    const start = new Date(Date.UTC(2026, 0, 1));
    const res = await fetch(`${h.emulator.url}/_emulator/failures`, {
      method: 'POST',
      body: JSON.stringify({ originPath: '/v2', share5xx: 1 }),
    });
    expect(res.status).toBe(200);
    const toStaging = { headers: { 'aws-cf-cd-staging': 'true' } };
    for (let i = 0; i < 4; i++) {
      expect(await h.emulator.viewer(primary.domainName, '/', toStaging)).toMatchObject({
        status: 500,
        servedBy: staging.id,
      });
      expect(await h.emulator.viewer(primary.domainName, '/')).toMatchObject({ status: 200, servedBy: primary.id });
    }
    expect(h.emulator.state().releaseFailures).toEqual({ '/v2': { share5xx: 1, status: 500 } });

    const out = await h.cloudWatch.send(
      new GetMetricDataCommand({
        StartTime: start,
        EndTime: new Date(start.getTime() + 60_000),
        MetricDataQueries: [
          cwQuery(staging.id, 'Requests', 'Sum'),
          cwQuery(staging.id, '5xxErrorRate', 'Average'),
          cwQuery(primary.id, '5xxErrorRate', 'Average'),
        ],
      }),
    );
    expect(out.MetricDataResults?.map((r) => r.Values)).toEqual([[4], [100], [0]]);

    await fetch(`${h.emulator.url}/_emulator/failures`, { method: 'DELETE' });
    expect((await h.emulator.viewer(primary.domainName, '/', toStaging)).status).toBe(200);
  });

  it('fails about its share of requests, seeded, with the status asked for, wherever the release is served', async () => {
    h = await harness({ seed: 5 });
    const d = await createDistribution(h, siteConfig('p', { originPath: '/v2' }));
    await siteBucket(h, [d.arn]);
    h.emulator.setReleaseFailure('v2/', 0.25, 503);
    let failed = 0;
    for (let i = 0; i < 400; i++) {
      const r = await h.emulator.viewer(d.domainName, '/');
      if (r.status !== 200) {
        expect(r.status).toBe(503);
        failed++;
      }
    }
    expect(failed / 400).toBeGreaterThan(0.15);
    expect(failed / 400).toBeLessThan(0.35);
    h.emulator.setReleaseFailure('/v2', 0);
    expect(h.emulator.state().releaseFailures).toEqual({});
    expect((await h.emulator.viewer(d.domainName, '/')).status).toBe(200);
  });

  it('with paths, fails only the requests whose path starts with one of them: a release that fails at full traffic', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p', { originPath: '/v2' }));
    await siteBucket(h, [d.arn]);
    h.emulator.setReleaseFailure('/v2', 1, 502, ['/deep/']);
    expect((await h.emulator.viewer(d.domainName, '/')).status).toBe(200);
    expect((await h.emulator.viewer(d.domainName, '/deep/page.html')).status).toBe(502);
    expect((await h.emulator.viewer(d.domainName, '/deeper.html')).status).not.toBe(502);
    expect(h.emulator.state().releaseFailures).toEqual({ '/v2': { share5xx: 1, status: 502, paths: ['/deep/'] } });

    // The control endpoint takes the prefixes separated by commas.
    const res = await fetch(`${h.emulator.url}/_emulator/failures`, {
      method: 'POST',
      body: JSON.stringify({ originPath: '/v2', share5xx: 1, paths: '/api/,/checkout' }),
    });
    expect(res.status).toBe(200);
    expect((await h.emulator.viewer(d.domainName, '/checkout/pay')).status).toBe(500);
    expect((await h.emulator.viewer(d.domainName, '/api/x')).status).toBe(500);
    expect((await h.emulator.viewer(d.domainName, '/deep/page.html')).status).not.toBe(500);
    expect(() => h.emulator.setReleaseFailure('/v2', 1, 500, ['deep'])).toThrow(RangeError);
    expect(() => h.emulator.setReleaseFailure('/v2', 1, 500, [])).toThrow(RangeError);
  });

  it.each([
    [{ originPath: '/v2', share5xx: 0.5, paths: 'api' }, 'paths'],
    [{ share5xx: 0.5 }, 'originPath'],
    [{ originPath: 'v2', share5xx: 0.5 }, 'originPath'],
    [{ originPath: '/v2' }, 'share5xx'],
    [{ originPath: '/v2', share5xx: 1.5 }, 'share5xx'],
    [{ originPath: '/v2', share5xx: 0.5, status: 404 }, 'status'],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    h = await harness();
    const res = await fetch(`${h.emulator.url}/_emulator/failures`, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain(field);
    expect(h.emulator.state().releaseFailures).toEqual({});
  });
});
