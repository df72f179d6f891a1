/**
 * CloudFront's edge cache, one per distribution: a primary and its staging never share one (developer guide,
 * "Primary and staging distributions don't share a cache"). What the cache key holds, how long an object stays, and
 * nothing else: no config change purges it, only its TTL or an invalidation (invalidations.ts) does.
 */
import { child, textAt, type XmlElement } from './xml.js';

/** The TTL bounds (seconds) and cache-key settings of a default cache behaviour. */
export interface CacheSettings {
  minTtl: number;
  defaultTtl: number;
  maxTtl: number;
  /** Whether the query string is part of the cache key. */
  queryStrings: boolean;
  /** Where the settings come from, for the state dump: a managed policy's name, `legacy`, or `unknown policy`. */
  source: string;
}

/**
 * The managed cache policies, by id, with their documented settings (developer guide, "Use managed cache
 * policies"). None of them but Amplify puts query strings in the key; the normalized Accept-Encoding header some
 * include is not modelled (the data plane does not compress).
 */
export const MANAGED_CACHE_POLICIES: Readonly<Record<string, CacheSettings>> = {
  '658327ea-f89d-4fab-a63d-7e88639e58f6': {
    source: 'CachingOptimized',
    minTtl: 1,
    defaultTtl: 86_400,
    maxTtl: 31_536_000,
    queryStrings: false,
  },
  'b2884449-e4de-46a7-ac36-70bc7f1ddd6d': {
    source: 'CachingOptimizedForUncompressedObjects',
    minTtl: 1,
    defaultTtl: 86_400,
    maxTtl: 31_536_000,
    queryStrings: false,
  },
  '4135ea2d-6df8-44a3-9df3-4b5a84be39ad': {
    source: 'CachingDisabled',
    minTtl: 0,
    defaultTtl: 0,
    maxTtl: 0,
    queryStrings: false,
  },
  '2e54312d-136d-493c-8eb9-b001f22f67d2': {
    source: 'Amplify',
    minTtl: 2,
    defaultTtl: 2,
    maxTtl: 600,
    queryStrings: true,
  },
};

/** CloudFront's defaults for a behaviour's legacy MinTTL / DefaultTTL / MaxTTL (API reference, CacheBehavior). */
const LEGACY_DEFAULTS = { minTtl: 0, defaultTtl: 86_400, maxTtl: 31_536_000 };

/** The cache settings of a distribution config's default cache behaviour (the only one the data plane serves). */
export function cacheSettings(config: XmlElement): CacheSettings {
  const behaviour = child(config, 'DefaultCacheBehavior');
  const policyId = textAt(behaviour, 'CachePolicyId');
  if (policyId) {
    const managed = MANAGED_CACHE_POLICIES[policyId];
    if (managed) return managed;
    // A custom cache policy: the emulator has no CreateCachePolicy, so its settings are unknown. Chosen: the
    // defaults a new cache policy gets (the same numbers as the legacy defaults), query strings left out of the key.
    return { ...LEGACY_DEFAULTS, queryStrings: false, source: `unknown policy ${policyId}` };
  }
  const ttl = (name: 'MinTTL' | 'DefaultTTL' | 'MaxTTL', fallback: number) => {
    const n = Number(textAt(behaviour, name) ?? Number.NaN);
    return Number.isFinite(n) && n >= 0 ? n : fallback;
  };
  return {
    minTtl: ttl('MinTTL', LEGACY_DEFAULTS.minTtl),
    defaultTtl: ttl('DefaultTTL', LEGACY_DEFAULTS.defaultTtl),
    maxTtl: ttl('MaxTTL', LEGACY_DEFAULTS.maxTtl),
    queryStrings: textAt(behaviour, 'ForwardedValues', 'QueryString') === 'true',
    source: 'legacy',
  };
}

/** The cache key: the viewer path, plus the query string when the behaviour's settings put it in the key. */
export function cacheKey(settings: CacheSettings, path: string, query: string): string {
  return settings.queryStrings && query !== '' ? `${path}?${query}` : path;
}

/** The caching headers an origin answered with. */
export interface OriginCacheHeaders {
  cacheControl?: string;
  expires?: string;
}

/**
 * How long (seconds) an object stays cached; 0: not cached. Developer guide, "Manage how long content stays in the
 * cache (expiration)", and API reference, CachePolicyConfig:
 * - `Cache-Control: s-maxage` (over `max-age`, the shared-cache directive winning), or `Expires` when neither is
 *   given, clamped to the minimum and maximum TTL;
 * - no such header: the default TTL;
 * - `no-cache`, `no-store` or `private`: not cached when the minimum TTL is 0; otherwise "CloudFront will cache
 *   content for at least the duration specified in the cache policy's minimum TTL" — so for the minimum TTL.
 */
export function objectTtl(settings: CacheSettings, headers: OriginCacheHeaders, now: number): number {
  const { minTtl, defaultTtl, maxTtl } = settings;
  const clamp = (s: number) => Math.min(Math.max(s, minTtl), maxTtl);
  const directives = new Map<string, string | undefined>();
  for (const part of (headers.cacheControl ?? '').split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (name) directives.set(name.toLowerCase(), value?.replace(/^"|"$/g, ''));
  }
  if (['no-cache', 'no-store', 'private'].some((d) => directives.has(d))) return minTtl;
  const seconds = (d: string) => {
    const n = Number(directives.get(d));
    return directives.has(d) && Number.isInteger(n) && n >= 0 ? n : undefined;
  };
  const fromDirectives = seconds('s-maxage') ?? seconds('max-age');
  if (fromDirectives !== undefined) return clamp(fromDirectives);
  if (headers.expires !== undefined) {
    // RFC 9111: an Expires that is not a valid date means "already expired".
    const at = Date.parse(headers.expires);
    return clamp(Number.isNaN(at) ? 0 : Math.floor((at - now) / 1000));
  }
  return defaultTtl;
}

/** One cached object: only 200 responses are cached. */
export interface CacheEntry {
  key: string;
  body: Buffer | string;
  contentType: string;
  headers: OriginCacheHeaders;
  /** The origin path it was fetched with: the release that answered. */
  originPath: string;
  storedAt: number;
  expiresAt: number;
  /** The account's edge write stamp when stored: invalidations.ts removes only entries older than the invalidation. */
  stamp: number;
}

/** One distribution's cache. */
export class EdgeCache {
  private readonly entries = new Map<string, CacheEntry>();

  /** The live entry under `key`; an expired one is dropped. */
  get(key: string, now: number): CacheEntry | undefined {
    const entry = this.entries.get(key);
    if (entry && now >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  put(entry: CacheEntry): void {
    this.entries.set(entry.key, entry);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** The live entries, expired ones dropped first. */
  live(now: number): CacheEntry[] {
    for (const [key, e] of this.entries) if (now >= e.expiresAt) this.entries.delete(key);
    return [...this.entries.values()];
  }
}
