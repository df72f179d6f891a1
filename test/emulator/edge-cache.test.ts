/** The edge cache: what a viewer gets back after a release changes a distribution's config. */
import {
  GetDistributionConfigCommand,
  UpdateDistributionCommand,
  UpdateDistributionWithStagingConfigCommand,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BUCKET,
  cdWorld,
  createDistribution,
  harness,
  setPolicyId,
  siteBucket,
  siteConfig,
  type Harness,
} from './helpers.js';

let h: Harness;
afterEach(async () => h?.close());

const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const DAY_MS = 86_400_000;

/** Rewrites a distribution's config through the API, as a release does. */
async function update(id: string, change: (c: DistributionConfig) => void) {
  const current = await h.cf.send(new GetDistributionConfigCommand({ Id: id }));
  const config = current.DistributionConfig!;
  change(config);
  await h.cf.send(new UpdateDistributionCommand({ Id: id, IfMatch: current.ETag, DistributionConfig: config }));
}

const setOriginPath = (path: string) => (c: DistributionConfig) => {
  c.Origins!.Items![0]!.OriginPath = path;
};

async function putPage(key: string, body: string, headers: { CacheControl?: string; Expires?: Date } = {}) {
  await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'text/html', ...headers }));
}

describe('edge cache hits and misses', () => {
  it('answers a repeated request from the cache, with x-cache, age and the origin path that filled it', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    await siteBucket(h, [d.arn]);
    expect(await h.emulator.viewer(d.domainName, '/')).toMatchObject({
      status: 200,
      body: '<h1>site v1</h1>',
      xCache: 'Miss from cloudfront',
      originPath: '/v1',
    });
    expect(await h.emulator.viewer(d.domainName, '/')).toMatchObject({ xCache: 'Hit from cloudfront', age: 0 });
    h.advance(5_000);
    expect(await h.emulator.viewer(d.domainName, '/')).toMatchObject({
      status: 200,
      body: '<h1>site v1</h1>',
      xCache: 'Hit from cloudfront',
      age: 5,
      originPath: '/v1',
      servedBy: d.id,
    });
    expect(h.emulator.state().distributions[0]?.cache).toEqual({
      entries: 1,
      keys: [{ key: '/', originPath: '/v1', ageSeconds: 5, ttlSeconds: 86_400 }],
    });
  });

  it('keys on the path under CachingOptimized, and on path and query under legacy QueryString true', async () => {
    h = await harness();
    const optimized = await createDistribution(h, siteConfig('p'));
    const legacyConfig = siteConfig('legacy');
    legacyConfig.DefaultCacheBehavior = {
      TargetOriginId: 'site',
      ViewerProtocolPolicy: 'allow-all',
      ForwardedValues: { QueryString: true, Cookies: { Forward: 'none' } },
      MinTTL: 0,
    };
    const legacy = await createDistribution(h, legacyConfig);
    await siteBucket(h, [optimized.arn, legacy.arn]);
    await h.emulator.viewer(optimized.domainName, '/?a=1');
    expect((await h.emulator.viewer(optimized.domainName, '/?a=2')).xCache).toBe('Hit from cloudfront');
    await h.emulator.viewer(legacy.domainName, '/?a=1');
    expect((await h.emulator.viewer(legacy.domainName, '/?a=2')).xCache).toBe('Miss from cloudfront');
    expect((await h.emulator.viewer(legacy.domainName, '/?a=1')).xCache).toBe('Hit from cloudfront');
  });

  it('caches only 200s: a 403 is fetched again every time', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    await siteBucket(h, [d.arn]);
    for (let i = 0; i < 2; i++)
      expect(await h.emulator.viewer(d.domainName, '/missing.html')).toMatchObject({
        status: 403,
        xCache: 'Miss from cloudfront',
      });
    expect(h.emulator.state().distributions[0]?.cache.entries).toBe(0);
  });

  it('empties every cache on DELETE /_emulator/cache', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    await siteBucket(h, [d.arn]);
    await h.emulator.viewer(d.domainName, '/');
    expect((await fetch(`${h.emulator.url}/_emulator/cache`, { method: 'DELETE' })).status).toBe(200);
    expect((await h.emulator.viewer(d.domainName, '/')).xCache).toBe('Miss from cloudfront');
  });
});

describe('how long an object stays cached', () => {
  it('keeps an object for the policy default (CachingOptimized: one day) when it sets no header', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    await siteBucket(h, [d.arn]);
    await h.emulator.viewer(d.domainName, '/');
    h.advance(DAY_MS - 1);
    expect((await h.emulator.viewer(d.domainName, '/')).xCache).toBe('Hit from cloudfront');
    h.advance(1);
    expect((await h.emulator.viewer(d.domainName, '/')).xCache).toBe('Miss from cloudfront');
  });

  it('takes the TTL from Cache-Control (s-maxage over max-age) or Expires, and passes Cache-Control on', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    await siteBucket(h, [d.arn]);
    await putPage('v1/short.html', 'short', { CacheControl: 'public, max-age=60' });
    await putPage('v1/shared.html', 'shared', { CacheControl: 'max-age=10, s-maxage=120' });
    await putPage('v1/expires.html', 'expires', { Expires: new Date(Date.UTC(2026, 0, 1, 0, 0, 30)) });
    const first = await h.emulator.viewer(d.domainName, '/short.html');
    expect(first.xCache).toBe('Miss from cloudfront');
    const raw = await fetch(`${h.emulator.url}/_viewer/${d.domainName}/short.html`);
    expect(raw.headers.get('cache-control')).toBe('public, max-age=60');
    for (const page of ['/shared.html', '/expires.html']) await h.emulator.viewer(d.domainName, page);
    const cached = async (page: string) =>
      (await h.emulator.viewer(d.domainName, page)).xCache === 'Hit from cloudfront';
    h.advance(29_000);
    expect([await cached('/short.html'), await cached('/shared.html'), await cached('/expires.html')]).toEqual([
      true,
      true,
      true,
    ]);
    h.advance(1_000);
    expect(await cached('/expires.html')).toBe(false);
    h.advance(30_000);
    expect(await cached('/short.html')).toBe(false);
    expect(await cached('/shared.html')).toBe(true);
    h.advance(60_000);
    expect(await cached('/shared.html')).toBe(false);
  });

  it('keeps a no-cache object for the minimum TTL (CachingOptimized: 1 s), never under CachingDisabled', async () => {
    h = await harness();
    const optimized = await createDistribution(h, siteConfig('p'));
    const disabledConfig = siteConfig('disabled');
    disabledConfig.DefaultCacheBehavior!.CachePolicyId = CACHING_DISABLED;
    const disabled = await createDistribution(h, disabledConfig);
    await siteBucket(h, [optimized.arn, disabled.arn]);
    await putPage('v1/live.html', 'live', { CacheControl: 'no-cache' });
    await h.emulator.viewer(optimized.domainName, '/live.html');
    h.advance(999);
    expect((await h.emulator.viewer(optimized.domainName, '/live.html')).xCache).toBe('Hit from cloudfront');
    h.advance(1);
    expect((await h.emulator.viewer(optimized.domainName, '/live.html')).xCache).toBe('Miss from cloudfront');
    for (const page of ['/', '/', '/live.html', '/live.html'])
      expect((await h.emulator.viewer(disabled.domainName, page)).xCache).toBe('Miss from cloudfront');
  });
});

describe('caches and config changes', () => {
  it('gives the primary and its staging separate caches', async () => {
    h = await harness();
    const { primary, staging, policyId } = await cdWorld(h);
    await siteBucket(h, [primary.arn, staging.arn]);
    await setPolicyId(h, primary.id, policyId);
    const toStaging = { headers: { 'aws-cf-cd-staging': 'true' } };
    await h.emulator.viewer(primary.domainName, '/');
    expect(await h.emulator.viewer(primary.domainName, '/', toStaging)).toMatchObject({
      body: '<h1>site v2</h1>',
      xCache: 'Miss from cloudfront',
      servedBy: staging.id,
    });
    expect(await h.emulator.viewer(primary.domainName, '/', toStaging)).toMatchObject({
      body: '<h1>site v2</h1>',
      xCache: 'Hit from cloudfront',
    });
    expect(await h.emulator.viewer(primary.domainName, '/')).toMatchObject({
      body: '<h1>site v1</h1>',
      xCache: 'Hit from cloudfront',
      servedBy: primary.id,
    });
  });

  it('keeps serving cached objects after a new origin path, until their TTL ends', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    await siteBucket(h, [d.arn]);
    await h.emulator.viewer(d.domainName, '/');
    await update(d.id, setOriginPath('/v2'));
    expect(await h.emulator.viewer(d.domainName, '/')).toMatchObject({ body: '<h1>site v1</h1>', originPath: '/v1' });
    // A page not cached yet comes from the new folder: one distribution, two releases.
    await putPage('v2/about.html', 'about v2');
    expect(await h.emulator.viewer(d.domainName, '/about.html')).toMatchObject({ body: 'about v2', originPath: '/v2' });
    h.advance(DAY_MS);
    expect(await h.emulator.viewer(d.domainName, '/')).toMatchObject({ body: '<h1>site v2</h1>', originPath: '/v2' });
  });

  it('keeps serving the primary its cached objects after a promotion', async () => {
    h = await harness();
    const { primary, staging, policyId } = await cdWorld(h);
    await siteBucket(h, [primary.arn, staging.arn]);
    const attached = await setPolicyId(h, primary.id, policyId);
    await h.emulator.viewer(primary.domainName, '/');
    const stagingEtag = (await h.cf.send(new GetDistributionConfigCommand({ Id: staging.id }))).ETag;
    await h.cf.send(
      new UpdateDistributionWithStagingConfigCommand({
        Id: primary.id,
        StagingDistributionId: staging.id,
        IfMatch: `${attached.ETag}, ${stagingEtag}`,
      }),
    );
    expect(await h.emulator.viewer(primary.domainName, '/')).toMatchObject({
      body: '<h1>site v1</h1>',
      xCache: 'Hit from cloudfront',
      servedBy: primary.id,
    });
  });
});

describe('while a change is InProgress', () => {
  it('fetches with the previous config when previousConfigShare is 1, and with the new one when it is 0', async () => {
    h = await harness({ propagationMs: 60_000 });
    const d = await createDistribution(h, siteConfig('p'));
    await siteBucket(h, [d.arn]);
    h.emulator.settle();
    await update(d.id, setOriginPath('/v2'));
    h.emulator.setPreviousConfigShare(1);
    expect(await h.emulator.viewer(d.domainName, '/')).toMatchObject({ body: '<h1>site v1</h1>', originPath: '/v1' });
    h.emulator.clearCache();
    h.emulator.setPreviousConfigShare(0);
    expect(await h.emulator.viewer(d.domainName, '/')).toMatchObject({ body: '<h1>site v2</h1>', originPath: '/v2' });
  });

  it('keeps the config last Deployed through a second write while InProgress', async () => {
    h = await harness({ propagationMs: 60_000 });
    const d = await createDistribution(h, siteConfig('p'));
    await siteBucket(h, [d.arn]);
    h.emulator.settle();
    await update(d.id, setOriginPath('/v2'));
    await update(d.id, setOriginPath('/v3'));
    h.emulator.setPreviousConfigShare(1);
    expect((await h.emulator.viewer(d.domainName, '/')).originPath).toBe('/v1');
  });

  it('fetches about the linear share with the previous config halfway through, and none once Deployed', async () => {
    h = await harness({ propagationMs: 10_000 });
    const config = siteConfig('p');
    config.DefaultCacheBehavior!.CachePolicyId = CACHING_DISABLED;
    const d = await createDistribution(h, config);
    await siteBucket(h, [d.arn]);
    h.emulator.settle();
    await update(d.id, setOriginPath('/v2'));
    h.advance(5_000);
    let previous = 0;
    for (let i = 0; i < 400; i++) if ((await h.emulator.viewer(d.domainName, '/')).originPath === '/v1') previous++;
    expect(previous / 400).toBeGreaterThan(0.4);
    expect(previous / 400).toBeLessThan(0.6);
    h.advance(5_000);
    for (let i = 0; i < 20; i++) expect((await h.emulator.viewer(d.domainName, '/')).originPath).toBe('/v2');
  });

  it('changes nothing with propagation 0', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    await siteBucket(h, [d.arn]);
    h.emulator.setPreviousConfigShare(1);
    await update(d.id, setOriginPath('/v2'));
    expect((await h.emulator.viewer(d.domainName, '/')).originPath).toBe('/v2');
  });
});

describe('failures and the cache', () => {
  it('fails a hit as the release that filled it fails, and caches no failure', async () => {
    h = await harness();
    const d = await createDistribution(h, siteConfig('p'));
    await siteBucket(h, [d.arn]);
    await h.emulator.viewer(d.domainName, '/');
    await update(d.id, setOriginPath('/v2'));
    h.emulator.setReleaseFailure('/v1', 1, 502);
    expect(await h.emulator.viewer(d.domainName, '/')).toMatchObject({
      status: 502,
      xCache: 'Hit from cloudfront',
      originPath: '/v1',
    });
    h.emulator.setReleaseFailure('/v1', 0);
    h.emulator.setReleaseFailure('/v2', 1);
    expect(await h.emulator.viewer(d.domainName, '/about.html')).toMatchObject({ status: 500, originPath: '/v2' });
    h.emulator.setReleaseFailure('/v2', 0);
    expect(await h.emulator.viewer(d.domainName, '/')).toMatchObject({ status: 200, xCache: 'Hit from cloudfront' });
    expect(h.emulator.state().distributions[0]?.cache.keys.map((k) => k.key)).toEqual(['/']);
    expect(h.emulator.state().servedRequests).toBe(4);
  });
});
