import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../shared/domain/errors.js';
import {
  type CacheState,
  type InvalidationRecord,
  DEFAULT_INVALIDATION_PATHS,
  decideCache,
  invalidationCallerReference,
} from '../../../../shared/domain/invalidation.js';
import { parseInvalidationPaths } from '../../../../shared/domain/params.js';
import { AFTER_LAST_CHANGE, PRIMARY_ID, namesField } from '../../fixtures.js';

/** Expects `raw` to be refused as a InputError naming InvalidationPaths, with `problem` in its message. */
function expectRefused(raw: unknown, problem: RegExp | string) {
  let error: unknown;
  try {
    parseInvalidationPaths(raw);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).field).toBe('InvalidationPaths');
  expect((error as Error).message).toContain(namesField('InvalidationPaths'));
  expect((error as Error).message).toMatch(problem);
}

describe('parseInvalidationPaths', () => {
  it.each([
    ['absent', undefined],
    ['null', null],
    ['an empty string (the pipeline template passes "" for unset parameters)', ''],
  ])('invalidates everything ("/*") when %s', (_, raw) => {
    expect(parseInvalidationPaths(raw)).toEqual(['/*']);
  });

  it('hands out a copy of the default, so a caller cannot change it for the next job', () => {
    const paths = parseInvalidationPaths(undefined);
    paths.push('/index.html');
    expect(DEFAULT_INVALIDATION_PATHS).toEqual(['/*']);
  });

  it('turns invalidation off with []', () => {
    expect(parseInvalidationPaths([])).toEqual([]);
    expect(parseInvalidationPaths('[]')).toEqual([]);
  });

  it('reads a JSON string holding an array, as cfcd flags and pipeline variables pass it', () => {
    expect(parseInvalidationPaths('["/index.html","/assets/*"]')).toEqual(['/index.html', '/assets/*']);
  });

  it('keeps the paths in the order given', () => {
    expect(parseInvalidationPaths(['/b', '/a', '/c*'])).toEqual(['/b', '/a', '/c*']);
  });

  it('accepts 15 wildcard paths and 3,000 file paths together (CloudFront counts them apart)', () => {
    const wildcards = Array.from({ length: 15 }, (_, i) => `/w${i}/*`);
    const files = Array.from({ length: 3000 }, (_, i) => `/f/${i}.html`);
    expect(parseInvalidationPaths([...wildcards, ...files])).toHaveLength(3015);
  });

  it.each([
    ['a string that is not JSON', '/*', /must be a JSON array of paths/],
    ['a JSON string that holds no array', '"/*"', /must be a JSON array of paths/],
    ['an object', { path: '/*' }, /must be a JSON array of paths/],
    ['a number', 1, /must be a JSON array of paths/],
    ['a non-string item', ['/*', 3], /item 1 must be a string, got 3/],
    ['a path without a leading "/"', ['img/*'], /item 0 "img\/\*" must start with "\/"/],
    ['a "*" in the middle', ['/img/*/x.png'], /"\*" is allowed only once, as the last character/],
    ['two "*"', ['/img/**'], /"\*" is allowed only once, as the last character/],
    ['a space', ['/my page.html'], /contains whitespace; URL-encode it/],
    ['a tab', ['/a\tb'], /contains whitespace/],
    ['a newline', ['/a\n'], /contains whitespace/],
    ['a duplicate', ['/index.html', '/*', '/index.html'], /item 2 "\/index.html" is listed twice/],
  ])('refuses %s as a InputError naming InvalidationPaths', (_, raw, problem) => {
    expectRefused(raw, problem);
  });

  it('refuses 16 wildcard paths: CloudFront accepts at most 15 in progress per distribution', () => {
    expectRefused(
      Array.from({ length: 16 }, (_, i) => `/w${i}/*`),
      /has 16 wildcard paths; CloudFront accepts at most 15/,
    );
  });

  it('refuses 3,001 file paths: CloudFront accepts at most 3,000 in progress per distribution', () => {
    expectRefused(
      Array.from({ length: 3001 }, (_, i) => `/f/${i}.html`),
      /has 3001 file paths; CloudFront accepts at most 3000/,
    );
  });

  it('names the field it was asked to read', () => {
    expect(() => parseInvalidationPaths(['x'], 'StagingInvalidationPaths')).toThrow(
      namesField('StagingInvalidationPaths'),
    );
  });

  it('shortens a long bad value in the message', () => {
    expectRefused(`not json ${'x'.repeat(500)}`, /\.\.\."?$/);
  });
});

describe('invalidationCallerReference', () => {
  it('is the same for the same ETag and paths, so two deliveries of one job make one invalidation', () => {
    expect(invalidationCallerReference({ etag: 'E1' }, ['/*'])).toBe(
      invalidationCallerReference({ etag: 'E1' }, ['/*']),
    );
  });

  it('differs for another ETag: another change of the distribution gets its own invalidation', () => {
    expect(invalidationCallerReference({ etag: 'E1' }, ['/*'])).not.toBe(
      invalidationCallerReference({ etag: 'E2' }, ['/*']),
    );
  });

  it('differs for other paths', () => {
    expect(invalidationCallerReference({ etag: 'E1' }, ['/*'])).not.toBe(
      invalidationCallerReference({ etag: 'E1' }, ['/index.html']),
    );
  });

  it('names the ETag it was made for and fits CloudFront', () => {
    const ref = invalidationCallerReference({ etag: 'E2QWRUHAPOMQZL' }, ['/*']);
    expect(ref).toMatch(/^cfcd-E2QWRUHAPOMQZL-[0-9a-f]{16}$/);
  });
});

describe('decideCache', () => {
  const primary = { id: PRIMARY_ID, etag: 'EP' };
  const ours = invalidationCallerReference(primary, ['/*']);
  const inv = (o: Partial<InvalidationRecord> & { id: string }): InvalidationRecord => ({
    status: 'Completed',
    createTime: AFTER_LAST_CHANGE,
    paths: ['/*'],
    callerReference: ours,
    ...o,
  });
  const cache = (...since: InvalidationRecord[]): CacheState => ({ distributionId: PRIMARY_ID, since });

  it('is off for [], whatever was invalidated', () => {
    expect(decideCache(primary, cache(), [], 'primary')).toEqual({ kind: 'off' });
    expect(decideCache(primary, cache(inv({ id: 'I1', status: 'InProgress' })), [], 'primary')).toEqual({
      kind: 'off',
    });
  });

  it('plans one invalidation of the paths with our CallerReference when none was made since the last change', () => {
    expect(decideCache(primary, cache(), ['/*'], 'primary')).toEqual({
      kind: 'invalidate',
      change: {
        kind: 'invalidate-cache',
        distributionId: PRIMARY_ID,
        paths: ['/*'],
        callerReference: ours,
        reason: expect.stringMatching(/^primary E1PRIMARY00001 is Deployed with a config \(ETag EP\)/),
      },
    });
  });

  it('waits for our invalidation while it is InProgress', () => {
    expect(decideCache(primary, cache(inv({ id: 'I1', status: 'InProgress' })), ['/*'], 'primary')).toEqual({
      kind: 'in-progress',
      invalidationId: 'I1',
    });
  });

  it('is completed once our invalidation is Completed', () => {
    expect(decideCache(primary, cache(inv({ id: 'I1' })), ['/*'], 'primary')).toEqual({
      kind: 'completed',
      invalidationId: 'I1',
    });
  });

  it('counts a Completed invalidation of ours over a newer one still InProgress', () => {
    const since = cache(inv({ id: 'INEWER', status: 'InProgress' }), inv({ id: 'IOLDER' }));
    expect(decideCache(primary, since, ['/*'], 'primary')).toEqual({ kind: 'completed', invalidationId: 'IOLDER' });
  });

  it('does not count an invalidation of other paths (/img/* when /* is wanted)', () => {
    const other = inv({
      id: 'IIMG',
      paths: ['/img/*'],
      callerReference: invalidationCallerReference(primary, ['/img/*']),
    });
    expect(decideCache(primary, cache(other), ['/*'], 'primary').kind).toBe('invalidate');
  });

  it('does not count an invalidation made by hand since the change: it may predate the Deployed config', () => {
    const byHand = inv({ id: 'IHAND', callerReference: 'cli-1733540000' });
    expect(decideCache(primary, cache(byHand), ['/*'], 'primary').kind).toBe('invalidate');
  });

  it("does not count our invalidation of the distribution's previous config (another ETag)", () => {
    const previous = inv({ id: 'IPREV', callerReference: invalidationCallerReference({ etag: 'EOLD' }, ['/*']) });
    expect(decideCache(primary, cache(previous), ['/*'], 'primary').kind).toBe('invalidate');
  });

  it('names what it invalidates in the reason', () => {
    const decision = decideCache({ id: 'E2STAGING00002', etag: 'ES' }, cache(), ['/*'], 'staging');
    expect(decision.kind === 'invalidate' && decision.change.reason).toMatch(/^staging E2STAGING00002 /);
  });
});
