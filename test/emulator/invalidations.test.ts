/** Invalidations through the real SDK client: the API's answers and rules, and what they remove from the cache. */
import {
  CreateInvalidationCommand,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  GetInvalidationCommand,
  ListInvalidationsCommand,
  UpdateDistributionCommand,
  paginateListInvalidations,
} from '@aws-sdk/client-cloudfront';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { BUCKET, createDistribution, failure, harness, siteBucket, siteConfig, type Harness } from './helpers.js';

let h: Harness;
afterEach(async () => h?.close());

function invalidate(
  distributionId: string,
  paths: string[],
  callerReference = `ref-${Math.random()}`,
  quantity?: number,
) {
  return h.cf.send(
    new CreateInvalidationCommand({
      DistributionId: distributionId,
      InvalidationBatch: {
        CallerReference: callerReference,
        Paths: { Quantity: quantity ?? paths.length, Items: paths },
      },
    }),
  );
}

/** A site with `/`, `/about.html` and `/assets/app.js` cached by one distribution. */
async function cachedSite(opts: Parameters<typeof harness>[0] = {}) {
  h = await harness(opts);
  const d = await createDistribution(h, siteConfig('p'));
  await siteBucket(h, [d.arn]);
  for (const key of ['v1/about.html', 'v1/assets/app.js'])
    await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
  for (const page of ['/', '/about.html', '/assets/app.js']) await h.emulator.viewer(d.domainName, page);
  return d;
}

const hits = async (domain: string, pages: string[]) => {
  const out: boolean[] = [];
  for (const p of pages) out.push((await h.emulator.viewer(domain, p)).xCache === 'Hit from cloudfront');
  return out;
};
const PAGES = ['/', '/about.html', '/assets/app.js'];

describe('CreateInvalidation, GetInvalidation and the distribution', () => {
  it('answers 201 with Location and an InProgress invalidation, Completed after invalidationMs', async () => {
    const d = await cachedSite({ invalidationMs: 30_000 });
    const created = await invalidate(d.id, ['/about.html'], 'release-7');
    const id = created.Invalidation!.Id!;
    expect(id).toMatch(/^I[A-Z0-9]{13}$/);
    expect(created.Location).toBe(
      `https://cloudfront.amazonaws.com/2020-05-31/distribution/${d.id}/invalidation/${id}`,
    );
    expect(created.Invalidation).toEqual({
      Id: id,
      Status: 'InProgress',
      CreateTime: new Date(Date.UTC(2026, 0, 1)),
      InvalidationBatch: { CallerReference: 'release-7', Paths: { Quantity: 1, Items: ['/about.html'] } },
    });
    const inProgress = async () =>
      (await h.cf.send(new GetDistributionCommand({ Id: d.id }))).Distribution?.InProgressInvalidationBatches;
    expect(await inProgress()).toBe(1);
    h.advance(29_999);
    expect((await h.cf.send(new GetInvalidationCommand({ DistributionId: d.id, Id: id }))).Invalidation?.Status).toBe(
      'InProgress',
    );
    h.advance(1);
    expect((await h.cf.send(new GetInvalidationCommand({ DistributionId: d.id, Id: id }))).Invalidation?.Status).toBe(
      'Completed',
    );
    expect(await inProgress()).toBe(0);
  });

  it('completes every invalidation on settle', async () => {
    const d = await cachedSite({ invalidationMs: 600_000 });
    const id = (await invalidate(d.id, ['/*'])).Invalidation!.Id!;
    h.emulator.settle();
    expect((await h.cf.send(new GetInvalidationCommand({ DistributionId: d.id, Id: id }))).Invalidation?.Status).toBe(
      'Completed',
    );
    expect(h.emulator.state().distributions[0]?.invalidations).toEqual([
      {
        id,
        status: 'Completed',
        createTime: '2026-01-01T00:00:00.000Z',
        callerReference: expect.any(String),
        paths: ['/*'],
      },
    ]);
  });

  it('answers NoSuchDistribution and NoSuchInvalidation for ids it does not have', async () => {
    const d = await cachedSite();
    expect(await failure(invalidate('E0NOSUCHDIST00', ['/*']))).toMatchObject({
      name: 'NoSuchDistribution',
      status: 404,
    });
    expect(
      await failure(h.cf.send(new GetInvalidationCommand({ DistributionId: d.id, Id: 'I0NOSUCHINVAL0' }))),
    ).toMatchObject({ name: 'NoSuchInvalidation', status: 404 });
    expect(await failure(h.cf.send(new ListInvalidationsCommand({ DistributionId: 'E0NOSUCHDIST00' })))).toMatchObject({
      name: 'NoSuchDistribution',
    });
  });

  it('can be faulted like any other operation', async () => {
    const d = await cachedSite();
    for (const operation of ['CreateInvalidation', 'GetInvalidation', 'ListInvalidations'])
      h.emulator.injectFault({ operation, error: 'Throttling' });
    expect(await failure(invalidate(d.id, ['/*']))).toMatchObject({ name: 'Throttling' });
    expect(await failure(h.cf.send(new ListInvalidationsCommand({ DistributionId: d.id })))).toMatchObject({
      name: 'Throttling',
    });
    expect(
      await failure(h.cf.send(new GetInvalidationCommand({ DistributionId: d.id, Id: 'I0NOSUCHINVAL0' }))),
    ).toMatchObject({ name: 'Throttling' });
  });
});

describe('what an invalidation removes', () => {
  it.each([
    [['/*'], [false, false, false]],
    [['/about.html'], [true, false, true]],
    [['/assets/*'], [true, true, false]],
    [['/index.html'], [true, true, true]],
  ])('%j leaves hits %j on /, /about.html, /assets/app.js', async (paths, expected) => {
    const d = await cachedSite();
    await invalidate(d.id, paths);
    expect(await hits(d.domainName, PAGES)).toEqual(expected);
  });

  it('removes nothing when it starts and everything it names once Completed', async () => {
    const d = await cachedSite({ invalidationMs: 10_000 });
    await invalidate(d.id, ['/*']);
    expect(await hits(d.domainName, PAGES)).toEqual([true, true, true]);
    h.advance(10_000);
    expect(await hits(d.domainName, PAGES)).toEqual([false, false, false]);
    // Refilled after the invalidation: cached again.
    expect(await hits(d.domainName, PAGES)).toEqual([true, true, true]);
  });

  it('leaves an object refilled with the previous config during InProgress: invalidate after Deployed', async () => {
    const d = await cachedSite({ propagationMs: 60_000 });
    h.emulator.settle();
    const current = await h.cf.send(new GetDistributionConfigCommand({ Id: d.id }));
    const config = current.DistributionConfig!;
    config.Origins!.Items![0]!.OriginPath = '/v2';
    await h.cf.send(new UpdateDistributionCommand({ Id: d.id, IfMatch: current.ETag, DistributionConfig: config }));
    h.emulator.setPreviousConfigShare(1);
    await invalidate(d.id, ['/*']);
    // An edge that has not switched yet refills from v1 after the invalidation…
    expect(await h.emulator.viewer(d.domainName, '/')).toMatchObject({
      body: '<h1>site v1</h1>',
      xCache: 'Miss from cloudfront',
    });
    h.emulator.settle();
    // …and that object outlives both the invalidation and the propagation.
    expect(await h.emulator.viewer(d.domainName, '/')).toMatchObject({ body: '<h1>site v1</h1>', originPath: '/v1' });
    await invalidate(d.id, ['/*']);
    expect(await h.emulator.viewer(d.domainName, '/')).toMatchObject({ body: '<h1>site v2</h1>', originPath: '/v2' });
  });
});

describe('invalidation rules', () => {
  it.each([
    [['index.html'], 'InvalidArgument'],
    [['/images/*.jpg'], 'InvalidArgument'],
    [[], 'InvalidArgument'],
  ])('refuses %j with %s', async (paths, code) => {
    const d = await cachedSite();
    expect(await failure(invalidate(d.id, paths))).toMatchObject({ name: code, status: 400 });
    expect(h.emulator.state().distributions[0]?.invalidations).toEqual([]);
  });

  it('refuses a Quantity that is not the number of paths', async () => {
    const d = await cachedSite();
    expect(await failure(invalidate(d.id, ['/a', '/b'], 'q', 3))).toMatchObject({ name: 'InconsistentQuantities' });
  });

  it('refuses a batch no distribution could run (16 wildcard paths) with BatchTooLarge', async () => {
    const d = await cachedSite();
    const paths = Array.from({ length: 16 }, (_, i) => `/w${i}/*`);
    expect(await failure(invalidate(d.id, paths))).toMatchObject({ name: 'BatchTooLarge', status: 413 });
  });

  it('refuses over 15 wildcard or 3,000 file paths in progress, and accepts again once they complete', async () => {
    const d = await cachedSite({ invalidationMs: 60_000 });
    await invalidate(
      d.id,
      Array.from({ length: 10 }, (_, i) => `/a${i}/*`),
    );
    expect(
      await failure(
        invalidate(
          d.id,
          Array.from({ length: 6 }, (_, i) => `/b${i}/*`),
        ),
      ),
    ).toMatchObject({
      name: 'TooManyInvalidationsInProgress',
      status: 400,
    });
    await invalidate(
      d.id,
      Array.from({ length: 3000 }, (_, i) => `/f${i}.html`),
    );
    expect(await failure(invalidate(d.id, ['/one-more.html']))).toMatchObject({
      name: 'TooManyInvalidationsInProgress',
    });
    // The wildcard and file limits are independent.
    await invalidate(
      d.id,
      Array.from({ length: 5 }, (_, i) => `/c${i}/*`),
    );
    h.advance(60_000);
    await invalidate(d.id, ['/one-more.html']);
  });

  it('returns the earlier invalidation for a repeated CallerReference and paths; other paths: refused', async () => {
    const d = await cachedSite({ invalidationMs: 1000 });
    const first = await invalidate(d.id, ['/a', '/b'], 'release-7');
    const again = await invalidate(d.id, ['/b', '/a'], 'release-7');
    expect(again.Invalidation?.Id).toBe(first.Invalidation?.Id);
    expect(h.emulator.state().distributions[0]?.invalidations).toHaveLength(1);
    expect(await failure(invalidate(d.id, ['/c'], 'release-7'))).toMatchObject({
      name: 'InvalidationBatchAlreadyExists',
      status: 409,
    });
  });

  it('answers MissingBody for a request without one', async () => {
    const d = await cachedSite();
    const res = await fetch(`${h.emulator.url}/2020-05-31/distribution/${d.id}/invalidation`, { method: 'POST' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>MissingBody</Code>');
  });
});

describe('ListInvalidations', () => {
  it('lists newest first, page by page, and the SDK paginator walks it', async () => {
    const d = await cachedSite({ invalidationMs: 1000 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      if (i > 0) h.advance(1000);
      ids.push((await invalidate(d.id, [`/p${i}`])).Invalidation!.Id!);
    }
    const first = await h.cf.send(new ListInvalidationsCommand({ DistributionId: d.id, MaxItems: 2 }));
    expect(first.InvalidationList).toMatchObject({
      Marker: '',
      NextMarker: ids[3],
      MaxItems: 2,
      IsTruncated: true,
      Quantity: 2,
      Items: [
        { Id: ids[4], Status: 'InProgress', CreateTime: new Date(Date.UTC(2026, 0, 1, 0, 0, 4)) },
        { Id: ids[3], Status: 'Completed', CreateTime: new Date(Date.UTC(2026, 0, 1, 0, 0, 3)) },
      ],
    });
    const walked: string[] = [];
    for await (const page of paginateListInvalidations({ client: h.cf, pageSize: 2 }, { DistributionId: d.id }))
      walked.push(...(page.InvalidationList?.Items ?? []).map((i) => i.Id!));
    expect(walked).toEqual([...ids].reverse());
    expect(
      await failure(h.cf.send(new ListInvalidationsCommand({ DistributionId: d.id, Marker: 'I0NOSUCHINVAL0' }))),
    ).toMatchObject({ name: 'InvalidArgument' });
  });
});
