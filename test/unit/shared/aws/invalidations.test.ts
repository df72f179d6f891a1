import {
  CloudFrontClient,
  CreateInvalidationCommand,
  GetInvalidationCommand,
  ListInvalidationsCommand,
} from '@aws-sdk/client-cloudfront';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DistributionState } from '../../../../shared/domain/resources.js';
import { createInvalidation, readLatestInvalidation, startCacheRead } from '../../../../shared/aws/invalidations.js';
import { type InvalidateChange, invalidationCallerReference } from '../../../../shared/domain/invalidation.js';
import {
  BEFORE_LAST_CHANGE,
  LAST_MODIFIED,
  PRIMARY_ID,
  acceptInvalidations,
  awsError,
  invalidationListOutput,
  invalidationOutput,
  mockInvalidations,
  ourCallerReference,
  primaryState,
} from '../../fixtures.js';

const cf = mockClient(CloudFrontClient);
/** The whole cache read, its list request and its details, as an action makes it. */
const readCacheState = (d: DistributionState, paths: string[]) => startCacheRead(d.id).finish(d, paths);
const primary = primaryState({ lastModified: LAST_MODIFIED });
const minutesAfter = (m: number) => new Date(LAST_MODIFIED.getTime() + m * 60_000);

beforeEach(() => cf.reset());

describe('readCacheState', () => {
  it("keeps only the invalidations made at or after the distribution's last change, with their paths", async () => {
    mockInvalidations(cf, PRIMARY_ID, [
      { id: 'INEW', status: 'InProgress', createTime: minutesAfter(5), paths: ['/index.html'], callerReference: 'r1' },
      { id: 'IATCHANGE', createTime: LAST_MODIFIED, callerReference: 'r2' },
      { id: 'IOLD', createTime: BEFORE_LAST_CHANGE, callerReference: 'r3' },
    ]);
    expect(await readCacheState(primary, ['/*'])).toEqual({
      distributionId: PRIMARY_ID,
      since: [
        {
          id: 'INEW',
          status: 'InProgress',
          createTime: minutesAfter(5),
          paths: ['/index.html'],
          callerReference: 'r1',
        },
        { id: 'IATCHANGE', status: 'Completed', createTime: LAST_MODIFIED, paths: ['/*'], callerReference: 'r2' },
      ],
    });
    expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 1);
    expect(cf).toHaveReceivedCommandWith(ListInvalidationsCommand, { DistributionId: PRIMARY_ID });
    // None of the recent ones is ours, so the newest made before the change is looked at too, and left out: not ours.
    expect(cf).toHaveReceivedCommandTimes(GetInvalidationCommand, 3);
  });

  it('finds ours for the current config although the last change came after it (a policy update moved the time)', async () => {
    mockInvalidations(cf, PRIMARY_ID, [
      { id: 'IOURS', createTime: BEFORE_LAST_CHANGE, callerReference: ourCallerReference(primary.etag) },
      { id: 'IOLDER', createTime: minutesAfter(-60), callerReference: 'r0' },
    ]);
    const cache = await readCacheState(primary, ['/*']);
    expect(cache.since.map((i) => i.id)).toEqual(['IOURS']);
  });

  it('looks at no more than three invalidations made before the last change', async () => {
    mockInvalidations(
      cf,
      PRIMARY_ID,
      Array.from({ length: 6 }, (_, i) => ({
        id: `IOLD${i}`,
        createTime: minutesAfter(-10 - i),
        callerReference: `r${i}`,
      })),
    );
    expect((await readCacheState(primary, ['/*'])).since).toEqual([]);
    expect(cf).toHaveReceivedCommandTimes(GetInvalidationCommand, 3);
  });

  it('stops at ours among the recent ones, without looking before the last change', async () => {
    mockInvalidations(cf, PRIMARY_ID, [
      { id: 'IOURS', createTime: minutesAfter(5), callerReference: ourCallerReference(primary.etag) },
      { id: 'IOLD', createTime: BEFORE_LAST_CHANGE, callerReference: 'r3' },
    ]);
    expect((await readCacheState(primary, ['/*'])).since.map((i) => i.id)).toEqual(['IOURS']);
    expect(cf).not.toHaveReceivedCommandWith(GetInvalidationCommand, { DistributionId: PRIMARY_ID, Id: 'IOLD' });
  });

  it('reads one page and no invalidation for a distribution never invalidated', async () => {
    mockInvalidations(cf, PRIMARY_ID, []);
    expect(await readCacheState(primary, ['/*'])).toEqual({ distributionId: PRIMARY_ID, since: [] });
    expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 1);
    expect(cf).not.toHaveReceivedCommand(GetInvalidationCommand);
  });

  it('reads the next page while every invalidation on this one is newer than the change', async () => {
    cf.on(ListInvalidationsCommand, { DistributionId: PRIMARY_ID })
      .resolvesOnce(invalidationListOutput([{ id: 'I3', createTime: minutesAfter(3) }], 'M2'))
      .resolvesOnce(
        invalidationListOutput(
          [
            { id: 'I2', createTime: minutesAfter(2) },
            { id: 'I1', createTime: BEFORE_LAST_CHANGE },
          ],
          'M3',
        ),
      );
    cf.on(GetInvalidationCommand).callsFake(({ Id }: { Id: string }) => invalidationOutput({ id: Id }));
    const cache = await readCacheState(primary, ['/*']);
    expect(cache.since.map((i) => i.id)).toEqual(['I3', 'I2']);
    const markers = cf.commandCalls(ListInvalidationsCommand).map((c) => c.args[0].input.Marker);
    // Once an item is older than the change every later one is too: no third page.
    expect(markers).toEqual([undefined, 'M2']);
  });

  /** Five pages of three invalidations since the last change, newest first; `ours` is the id made with our reference. */
  function fifteenSinceTheChange(ours?: string) {
    const page = (p: number) =>
      invalidationListOutput(
        Array.from({ length: 3 }, (_, i) => ({ id: `P${p}I${i}`, createTime: minutesAfter(100 - p * 3 - i) })),
        `M${p + 1}`,
      );
    cf.on(ListInvalidationsCommand).callsFake(({ Marker }: { Marker?: string }) =>
      page(Marker ? Number(Marker.slice(1)) : 0),
    );
    cf.on(GetInvalidationCommand).callsFake(({ Id }: { Id: string }) =>
      invalidationOutput({ id: Id, ...(Id === ours ? { callerReference: ourCallerReference(primary.etag) } : {}) }),
    );
  }

  it('stops after five pages, and reads every invalidation since the change while ours is not among them', async () => {
    fifteenSinceTheChange();
    const cache = await readCacheState(primary, ['/*']);
    expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 5);
    expect(cf).toHaveReceivedCommandTimes(GetInvalidationCommand, 15);
    expect(cache.since.map((i) => i.id)).toHaveLength(15);
  });

  it('reads in batches of ten and stops at the batch holding ours, however many others were made since', async () => {
    fifteenSinceTheChange('P0I1');
    expect((await readCacheState(primary, ['/*'])).since.map((i) => i.id)).toHaveLength(10);
    expect(cf).toHaveReceivedCommandTimes(GetInvalidationCommand, 10);

    cf.reset();
    fifteenSinceTheChange('P3I2');
    const cache = await readCacheState(primary, ['/*']);
    expect(cf).toHaveReceivedCommandTimes(GetInvalidationCommand, 15);
    expect(cache.since.find((i) => i.callerReference === ourCallerReference(primary.etag))?.id).toBe('P3I2');
  });

  it('does not stop at one of ours for other paths: only the exact CallerReference ends the search', async () => {
    mockInvalidations(cf, PRIMARY_ID, [
      {
        id: 'IOTHERPATHS',
        createTime: minutesAfter(30),
        callerReference: invalidationCallerReference(primary, ['/a']),
      },
      ...Array.from({ length: 10 }, (_, i) => ({ id: `IFOREIGN${i}`, createTime: minutesAfter(20 - i) })),
      { id: 'IOURS', createTime: minutesAfter(5), callerReference: ourCallerReference(primary.etag) },
    ]);
    const cache = await readCacheState(primary, ['/*']);
    expect(cache.since.map((i) => i.id)).toContain('IOURS');
    expect(cf).toHaveReceivedCommandTimes(GetInvalidationCommand, 12);
  });

  it('skips a remembered id CloudFront does not know (a token is a bookmark, not an authority)', async () => {
    mockInvalidations(cf, PRIMARY_ID, []);
    cf.on(GetInvalidationCommand, { DistributionId: PRIMARY_ID, Id: 'IBOGUS' }).rejects(
      awsError('NoSuchInvalidation', 404),
    );
    const cache = await startCacheRead(PRIMARY_ID).finish(primary, ['/*'], 'IBOGUS');
    expect(cache.since).toEqual([]);
  });

  it('keeps every invalidation when CloudFront gave no LastModifiedTime', async () => {
    mockInvalidations(cf, PRIMARY_ID, [{ id: 'IOLD', createTime: BEFORE_LAST_CHANGE }]);
    const cache = await readCacheState(primaryState({ lastModified: undefined }), ['/*']);
    expect(cache.since.map((i) => i.id)).toEqual(['IOLD']);
  });

  it('names the operation and the distribution when ListInvalidations is denied', async () => {
    cf.on(ListInvalidationsCommand).rejects(awsError('AccessDenied', 403));
    await expect(readCacheState(primary, ['/*'])).rejects.toThrow(
      /ListInvalidations on distribution E1PRIMARY00001 failed: AccessDenied \(HTTP 403\)/,
    );
  });
});

describe('readLatestInvalidation', () => {
  it('reads the newest invalidation whatever its age, with its paths', async () => {
    mockInvalidations(cf, PRIMARY_ID, [{ id: 'IOLD', createTime: BEFORE_LAST_CHANGE, paths: ['/a'] }]);
    expect(await readLatestInvalidation(PRIMARY_ID)).toMatchObject({ id: 'IOLD', paths: ['/a'] });
    expect(cf).toHaveReceivedCommandWith(ListInvalidationsCommand, { DistributionId: PRIMARY_ID, MaxItems: 1 });
  });

  it('is undefined for a distribution never invalidated, with no GetInvalidation', async () => {
    mockInvalidations(cf, PRIMARY_ID, []);
    expect(await readLatestInvalidation(PRIMARY_ID)).toBeUndefined();
    expect(cf).not.toHaveReceivedCommand(GetInvalidationCommand);
  });
});

describe('createInvalidation', () => {
  const change: InvalidateChange = {
    kind: 'invalidate-cache',
    distributionId: PRIMARY_ID,
    paths: ['/*', '/index.html'],
    callerReference: 'cfcd-EP-0123456789abcdef',
    reason: 'test',
  };

  it('sends the paths with their count and our CallerReference, and returns the invalidation made', async () => {
    acceptInvalidations(cf);
    const created = await createInvalidation(change);
    expect(cf).toHaveReceivedCommandExactlyOnceWith(CreateInvalidationCommand, {
      DistributionId: PRIMARY_ID,
      InvalidationBatch: {
        CallerReference: 'cfcd-EP-0123456789abcdef',
        Paths: { Quantity: 2, Items: ['/*', '/index.html'] },
      },
    });
    expect(created).toEqual({
      kind: 'created',
      invalidation: expect.objectContaining({
        status: 'InProgress',
        paths: ['/*', '/index.html'],
        callerReference: 'cfcd-EP-0123456789abcdef',
      }),
    });
  });

  it('defers, without failing, when CloudFront answers TooManyInvalidationsInProgress', async () => {
    cf.on(CreateInvalidationCommand).rejects(awsError('TooManyInvalidationsInProgress', 400));
    expect(await createInvalidation(change)).toEqual({
      kind: 'deferred',
      reason: expect.stringContaining(
        'refused the invalidation of distribution E1PRIMARY00001 with TooManyInvalidationsInProgress',
      ),
    });
  });

  it('fails on any other error, naming the operation, the distribution and the AWS error', async () => {
    cf.on(CreateInvalidationCommand).rejects(awsError('AccessDenied', 403));
    await expect(createInvalidation(change)).rejects.toThrow(
      /CreateInvalidation on distribution E1PRIMARY00001 failed: AccessDenied \(HTTP 403\)/,
    );
  });

  it('fails on an answer with no invalidation id', async () => {
    cf.on(CreateInvalidationCommand).resolves({ Invalidation: undefined });
    await expect(createInvalidation(change)).rejects.toThrow(/returned no id, status or create time/);
  });
});
