import type { CacheBehavior, CustomErrorResponse, DistributionConfig, Origin } from '@aws-sdk/client-cloudfront';
import { describe, expect, it } from 'vitest';
import {
  type RankedChange,
  carriesSameConfig,
  diffConfigs,
  fullChangeList,
  promotableConfig,
  rankedChanges,
  sameValue,
  summarizeChanges,
  summarizeForReviewer,
} from '../../../../shared/domain/config-diff.js';
import { POLICY_ID, distributionConfig } from '../../fixtures.js';

const primary = (overrides: Partial<DistributionConfig> = {}) =>
  distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID, ...overrides });
const staging = (overrides: Partial<DistributionConfig> = {}, originPath = '/v1') =>
  distributionConfig(
    { CallerReference: 'staging-ref', Staging: true, Aliases: { Quantity: 0 }, ...overrides },
    originPath,
  );

const origin = (id: string, domain: string, path = ''): Origin => ({
  Id: id,
  DomainName: domain,
  OriginPath: path,
  CustomOriginConfig: { HTTPPort: 80, HTTPSPort: 443, OriginProtocolPolicy: 'https-only' },
});
const behavior = (pattern: string, target: string, overrides: Partial<CacheBehavior> = {}): CacheBehavior => ({
  PathPattern: pattern,
  TargetOriginId: target,
  ViewerProtocolPolicy: 'redirect-to-https',
  ...overrides,
});
const errorResponse = (code: number, page: string, responseCode = '200'): CustomErrorResponse => ({
  ErrorCode: code,
  ResponsePagePath: page,
  ResponseCode: responseCode,
  ErrorCachingMinTTL: 10,
});
const list = <T>(items: T[]) => ({ Quantity: items.length, Items: items });

describe('promotableConfig and carriesSameConfig', () => {
  it('leave out exactly the fields a promotion does not copy', () => {
    const { CallerReference, Aliases, ContinuousDeploymentPolicyId, Staging, ...rest } = primary({ Staging: false });
    expect(promotableConfig(primary({ Staging: false }))).toEqual(rest);
    expect([CallerReference, Aliases, ContinuousDeploymentPolicyId, Staging]).not.toContain(undefined);
  });

  it('see a promoted primary as carrying the staging config despite its own aliases, policy id and caller reference', () => {
    expect(carriesSameConfig(primary(), staging())).toBe(true);
  });

  it('see any promotable difference', () => {
    expect(carriesSameConfig(primary(), staging({}, '/v2'))).toBe(false);
    expect(carriesSameConfig(primary(), staging({ Enabled: false }))).toBe(false);
  });

  it('treat a missing list, an empty list and an undefined field as the same "none"', () => {
    expect(sameValue({ Quantity: 0 }, { Quantity: 0, Items: [] })).toBe(true);
    expect(sameValue({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameValue({ Items: ['a'] }, { Items: [] })).toBe(false);
    expect(sameValue(['a', 'b'], ['b', 'a'])).toBe(false);
  });
});

describe('diffConfigs', () => {
  it('is empty when the primary already carries the staging config', () => {
    expect(diffConfigs(primary(), staging())).toEqual([]);
  });

  it('names a changed origin path and domain', () => {
    const p = primary({ Origins: list([origin('web', 'old.example.com', '/v1')]) });
    const s = staging({ Origins: list([origin('web', 'new.example.com', '/v2')]) });
    expect(diffConfigs(p, s)).toEqual([
      'origin web: domain "old.example.com" → "new.example.com"',
      'origin web: origin path "/v1" → "/v2"',
    ]);
  });

  it('names added and removed origins with their domain and path', () => {
    const p = primary({ Origins: list([origin('a', 'a.example.com'), origin('b', 'b.example.com', '/b')]) });
    const s = staging({ Origins: list([origin('a', 'a.example.com'), origin('c', 'c.example.com', '/c')]) });
    expect(diffConfigs(p, s)).toEqual(['origin b removed (b.example.com/b)', 'origin c added (c.example.com/c)']);
  });

  it('lists other changed origin settings by name', () => {
    const p = primary({ Origins: list([origin('a', 'a.example.com')]) });
    const s = staging({
      Origins: list([
        {
          ...origin('a', 'a.example.com'),
          ConnectionAttempts: 1,
          OriginShield: { Enabled: true, OriginShieldRegion: 'us-east-1' },
        },
      ]),
    });
    expect(diffConfigs(p, s)).toEqual(['origin a: other settings changed (ConnectionAttempts, OriginShield)']);
  });

  it('names the default cache behavior target origin and policies', () => {
    const s = staging({
      DefaultCacheBehavior: {
        TargetOriginId: 'other',
        ViewerProtocolPolicy: 'https-only',
        CachePolicyId: 'new-cache',
        ResponseHeadersPolicyId: 'rhp',
      },
    });
    expect(diffConfigs(primary(), s)).toEqual([
      'default cache behavior: target origin "s3-origin" → "other"',
      'default cache behavior: cache policy "658327ea-f89d-4fab-a63d-7e88639e58f6" → "new-cache"',
      'default cache behavior: response headers policy (none) → "rhp"',
      'default cache behavior: other settings changed (ViewerProtocolPolicy)',
    ]);
  });

  it('compares cache behaviors by path pattern', () => {
    const p = primary({ CacheBehaviors: list([behavior('/api/*', 'api'), behavior('/old/*', 's3-origin')]) });
    const s = staging({
      CacheBehaviors: list([
        behavior('/api/*', 'api-v2', { OriginRequestPolicyId: 'orp' }),
        behavior('/img/*', 's3-origin'),
      ]),
    });
    expect(diffConfigs(p, s)).toEqual([
      'cache behavior /old/* removed (target origin s3-origin)',
      'cache behavior /api/*: target origin "api" → "api-v2"',
      'cache behavior /api/*: origin request policy (none) → "orp"',
      'cache behavior /img/* added (target origin s3-origin)',
    ]);
  });

  it('reports a reordering of cache behaviors, which changes which one matches first', () => {
    const p = primary({ CacheBehaviors: list([behavior('/a/*', 's3-origin'), behavior('/*.jpg', 's3-origin')]) });
    const s = staging({ CacheBehaviors: list([behavior('/*.jpg', 's3-origin'), behavior('/a/*', 's3-origin')]) });
    expect(diffConfigs(p, s)).toEqual(['cache behavior order changed: /a/*, /*.jpg → /*.jpg, /a/*']);
  });

  it('compares custom error responses by error code', () => {
    const p = primary({
      CustomErrorResponses: list([errorResponse(404, '/404.html'), errorResponse(500, '/500.html')]),
    });
    const s = staging({
      CustomErrorResponses: list([errorResponse(404, '/index.html'), errorResponse(403, '/index.html')]),
    });
    expect(diffConfigs(p, s)).toEqual([
      'custom error response 500 removed (page /500.html as 200)',
      'custom error response 404: page "/404.html" → "/index.html"',
      'custom error response 403 added (page /index.html as 200)',
    ]);
  });

  it('names the default root object, comment and price class', () => {
    const s = staging({ DefaultRootObject: '', Comment: 'site v2', PriceClass: 'PriceClass_100' });
    expect(diffConfigs(primary(), s)).toEqual([
      'default root object "index.html" → (none)',
      'comment "site" → "site v2"',
      'price class (none) → "PriceClass_100"',
    ]);
  });

  it('falls back to "other field X changed" for any other top-level field', () => {
    const s = staging({
      Enabled: false,
      Logging: { Enabled: true, IncludeCookies: false, Bucket: 'logs.s3.amazonaws.com', Prefix: 'cf/' },
      WebACLId: 'arn:aws:wafv2:acl',
    });
    expect(diffConfigs(primary(), s)).toEqual([
      'other field Enabled changed',
      'other field Logging changed',
      'other field WebACLId changed',
    ]);
  });

  it('never mentions the fields a promotion does not copy', () => {
    const s = staging({
      Aliases: { Quantity: 1, Items: ['staging.example.com'] },
      CallerReference: 'x',
      ContinuousDeploymentPolicyId: '',
    });
    expect(diffConfigs(primary(), s)).toEqual([]);
  });

  it('is never empty when the configs differ, even in a way no readable line describes', () => {
    const p = primary({ Origins: { Quantity: 1, Items: primary().Origins?.Items } });
    const s = staging({ Origins: { Quantity: 2, Items: primary().Origins?.Items } });
    expect(carriesSameConfig(p, s)).toBe(false);
    expect(diffConfigs(p, s)).toEqual(['other field Origins changed']);
  });
});

describe('summarizeChanges', () => {
  it('joins the lines when they fit', () => {
    expect(summarizeChanges(['a', 'b'], 100)).toBe('a; b');
  });

  it('says "none" for no change', () => {
    expect(summarizeChanges([], 100)).toBe('none');
  });

  it('cuts at a whole line and says how many were left out', () => {
    const lines = Array.from(
      { length: 50 },
      (_, i) => `cache behavior /section-${i}/* added (target origin s3-origin)`,
    );
    const summary = summarizeChanges(lines, 400);
    expect(JSON.stringify(summary).length).toBeLessThanOrEqual(400);
    expect(summary.startsWith(`${lines[0]}; ${lines[1]}; `)).toBe(true);
    const kept = summary.split('; ').length - 1;
    expect(summary.endsWith(`; (+${50 - kept} more, see the promote log)`)).toBe(true);
  });

  it('counts characters as they travel in the token, escapes included', () => {
    const summary = summarizeChanges(['comment "a" → "b"', 'x'.repeat(30)], 40);
    expect(JSON.stringify(summary).length).toBeLessThanOrEqual(40);
  });

  it('falls back to a count when not even one line fits', () => {
    expect(summarizeChanges(['x'.repeat(100), 'y'.repeat(100)], 50)).toBe('(2 changes, see the promote log)');
  });
});

describe('rankedChanges', () => {
  it('lists what changes where requests go first, the origins no behavior targets next, the comment last', () => {
    const p = primary({ CacheBehaviors: list([behavior('/api/*', 's3-origin')]) });
    const s = staging(
      {
        Comment: 'padding',
        Origins: list([
          ...primary().Origins!.Items!,
          origin('decoy', 'decoy.example.com'),
          origin('api', 'api.example.com', '/v9'),
        ]),
        CacheBehaviors: list([behavior('/api/*', 'api', { CachePolicyId: 'other' })]),
        CustomErrorResponses: list([errorResponse(404, '/404.html')]),
      },
      '/v1',
    );
    expect(rankedChanges(p, s)).toEqual([
      { risk: 'routing', line: 'cache behavior /api/*: target origin "s3-origin" → "api" (api is api.example.com/v9)' },
      { risk: 'routing', line: 'origin api added (api.example.com/v9)' },
      { risk: 'origin', line: 'origin decoy added (decoy.example.com)' },
      {
        risk: 'behavior',
        line: 'cache behavior /api/*: cache policy (none) → "other"',
      },
      { risk: 'behavior', line: 'custom error response 404 added (page /404.html as 200)' },
      { risk: 'cosmetic', line: 'comment "site" → "padding"' },
    ]);
  });

  it('ranks a behavior added, removed or reordered, and origin groups, as changing where requests go', () => {
    const p = primary({ CacheBehaviors: list([behavior('/a/*', 's3-origin'), behavior('/b/*', 's3-origin')]) });
    const s = staging({
      CacheBehaviors: list([behavior('/b/*', 's3-origin'), behavior('/a/*', 's3-origin'), behavior('/c/*', 'g')]),
      OriginGroups: { Quantity: 1, Items: [] },
    });
    expect(rankedChanges(p, s).map((c) => c.risk)).toEqual(['routing', 'routing', 'routing']);
  });

  it('has the lines of diffConfigs, no more, no fewer', () => {
    const p = primary({ CacheBehaviors: list([behavior('/old/*', 's3-origin')]) });
    const s = staging({ PriceClass: 'PriceClass_All', CacheBehaviors: list([behavior('/new/*', 's3-origin')]) }, '/v2');
    expect(
      rankedChanges(p, s)
        .map((c) => c.line.replace(/ \(s3-origin is .*\)$/, ''))
        .sort(),
    ).toEqual(diffConfigs(p, s).sort());
  });
});

describe('summarizeForReviewer', () => {
  const where = 'output variable PromoteChangesAll';
  const decoys: RankedChange[] = Array.from({ length: 12 }, (_, i) => ({
    risk: 'origin',
    line: `origin decoy-${i} added (site-assets-bucket.s3.us-east-1.amazonaws.com/decoy-${i})`,
  }));

  it('joins every line when they fit, with nothing added', () => {
    expect(summarizeForReviewer(decoys.slice(0, 2), 400, where)).toBe(`${decoys[0]!.line}; ${decoys[1]!.line}`);
    expect(summarizeForReviewer([], 400, where)).toBe('none');
  });

  it('keeps whole lines, most risky first, and ends with the count and where the full list is', () => {
    const danger = {
      risk: 'routing',
      line: 'default cache behavior: target origin "a" → "b" (b is evil.example)',
    } as const;
    const summary = summarizeForReviewer([danger, ...decoys], 400, where);
    expect(summary.length).toBeLessThanOrEqual(400);
    expect(summary.startsWith(`${danger.line}; ${decoys[0]!.line}; `)).toBe(true);
    expect(summary).toMatch(/; \(13 changes in all, \d shown; the full list: output variable PromoteChangesAll\)$/);
    const shown = summary.split('; ').length - 2;
    expect(summary).toContain(`${shown} shown`);
  });

  it('says how many of the changes it could not show change where requests go', () => {
    const routing: RankedChange[] = decoys.map((d) => ({ ...d, risk: 'routing' }));
    const summary = summarizeForReviewer(routing, 400, where);
    const shown = Number(/, (\d+) shown/.exec(summary)?.[1]);
    expect(summary).toContain(
      `12 changes in all, ${shown} shown, ${12 - shown} of those not shown change where requests go`,
    );
  });

  it('falls back to the count and the place when not even one line fits', () => {
    expect(summarizeForReviewer([{ risk: 'routing', line: 'x'.repeat(500) }, decoys[0]!], 200, where)).toBe(
      '(2 changes, 1 of those not shown change where requests go; the full list: output variable PromoteChangesAll)',
    );
  });
});

describe('fullChangeList', () => {
  it('lists every change, most risky first', () => {
    const changes: RankedChange[] = [
      { risk: 'routing', line: 'a → b' },
      { risk: 'cosmetic', line: 'comment' },
    ];
    expect(fullChangeList(changes, 1000, 'see cfcd status')).toBe('a → b; comment');
    expect(fullChangeList([], 1000, 'see cfcd status')).toBe('none');
  });

  it('stays within its bytes, JSON-encoded (an arrow is 3 bytes), saying how many it left out', () => {
    const changes: RankedChange[] = Array.from({ length: 100 }, (_, i) => ({ risk: 'behavior', line: `${i} → x` }));
    const text = fullChangeList(changes, 300, 'see cfcd status');
    expect(Buffer.byteLength(JSON.stringify(text))).toBeLessThanOrEqual(300);
    expect(text).toMatch(/; \(\+\d+ more: see cfcd status\)$/);
  });
});
