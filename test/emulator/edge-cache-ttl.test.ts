/** The TTL rules, pure: developer guide, "Manage how long content stays in the cache (expiration)". */
import { describe, expect, it } from 'vitest';
import { cacheSettings, objectTtl, type CacheSettings } from '../../local/emulator/edge-cache.js';
import { parseXml } from '../../local/emulator/xml.js';

describe("an object's TTL", () => {
  const settings = (behaviour: string) =>
    cacheSettings(
      parseXml(`<DistributionConfig><DefaultCacheBehavior>${behaviour}</DefaultCacheBehavior></DistributionConfig>`),
    );
  const optimized = settings('<CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId>');
  const legacy = settings('<MinTTL>0</MinTTL>');
  const now = Date.UTC(2026, 0, 1);

  it.each<[string, CacheSettings, { cacheControl?: string; expires?: string }, number]>([
    ['no header: the default TTL', optimized, {}, 86_400],
    ['max-age above the maximum TTL: the maximum', optimized, { cacheControl: 'max-age=99999999999' }, 31_536_000],
    ['max-age=0: the minimum TTL', optimized, { cacheControl: 'max-age=0' }, 1],
    ['s-maxage over max-age', optimized, { cacheControl: 'max-age=5, s-maxage=50' }, 50],
    [
      'Cache-Control over Expires',
      optimized,
      { cacheControl: 'max-age=7', expires: 'Thu, 01 Jan 2026 01:00:00 GMT' },
      7,
    ],
    ['Expires an hour ahead', optimized, { expires: 'Thu, 01 Jan 2026 01:00:00 GMT' }, 3_600],
    ['an invalid Expires: already expired, so the minimum', optimized, { expires: 'soon' }, 1],
    ['private with minimum TTL 1: the minimum', optimized, { cacheControl: 'private' }, 1],
    ['no-store with minimum TTL 0: not cached', legacy, { cacheControl: 'no-store' }, 0],
    ['legacy defaults: a day', legacy, {}, 86_400],
    [
      'an unknown cache policy: the defaults of a new one',
      settings('<CachePolicyId>00000000-aaaa-4bbb-8ccc-000000000000</CachePolicyId>'),
      {},
      86_400,
    ],
  ])('%s', (_, policy, headers, ttl) => {
    expect(objectTtl(policy, headers, now)).toBe(ttl);
  });
});
