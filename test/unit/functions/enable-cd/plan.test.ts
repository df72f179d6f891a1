import { describe, expect, it } from 'vitest';
import { CLI_WORDS } from '../../../../cli/action-flags.js';
import { StateCheckError } from '../../../../shared/domain/errors.js';
import type { CacheState } from '../../../../shared/domain/invalidation.js';
import { planEnableCd, type EnableCdState } from '../../../../functions/enable-cd/plan.js';
import { withHeaderRouting } from '../../../../shared/domain/ramp-header.js';
import { PROMOTE_CHANGES_MAX_CHARS, reviewerVariables } from '../../../../shared/domain/reviewer.js';
import {
  AFTER_LAST_CHANGE,
  BUCKET,
  POLICY_ID,
  PRIMARY_DOMAIN,
  PRIMARY_ID,
  STAGING_DOMAIN,
  STAGING_ID,
  arnOf,
  distributionConfig,
  headerPolicyConfig,
  ourCallerReference,
  policyState,
  primaryState,
  stagingState,
  weightPolicyConfig,
} from '../../fixtures.js';

const primary = primaryState;
const staging = stagingState;
const policy = policyState;
const grantedJson = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
      Condition: { StringEquals: { 'AWS:SourceArn': [arnOf(PRIMARY_ID), arnOf(STAGING_ID)] } },
    },
  ],
});
/** The staging's caches, invalidated since its last change: a Completed `/*` invalidation. */
const DONE_ID = 'I2STAGINGDONE';
const invalidatedSince = (): CacheState => ({
  distributionId: STAGING_ID,
  since: [
    {
      id: DONE_ID,
      status: 'Completed',
      createTime: AFTER_LAST_CHANGE,
      paths: ['/*'],
      callerReference: ourCallerReference('ES'),
    },
  ],
});
const state = (o: Partial<EnableCdState> = {}): EnableCdState => ({
  primary: primary(),
  staging: staging(),
  policy: policy(),
  bucketPolicy: { bucket: BUCKET, json: grantedJson },
  stagingCache: invalidatedSince(),
  ...o,
});
const params = { primaryId: PRIMARY_ID, policyId: POLICY_ID, invalidationPaths: ['/*'] };
const kinds = (s: EnableCdState) => planEnableCd(s, params).changes.map((c) => c.kind);

describe('planEnableCd', () => {
  it('plans nothing when everything is in place', () => {
    expect(planEnableCd(state(), params)).toEqual({
      changes: [],
      next: { kind: 'done' },
      cache: { kind: 'completed', invalidationId: DONE_ID },
    });
  });

  it('plans grant, re-enable and attach in that order on a fresh setup', () => {
    const s = state({
      primary: primary({ config: distributionConfig() }),
      policy: policy({ config: headerPolicyConfig({ Enabled: false }) }),
      bucketPolicy: { bucket: BUCKET, json: undefined },
    });
    expect(kinds(s)).toEqual(['grant-bucket-read', 'enable-policy', 'attach-policy']);
  });

  it('re-enables the policy a promotion disabled, and only that', () => {
    const plan = planEnableCd(state({ policy: policy({ config: headerPolicyConfig({ Enabled: false }) }) }), params);
    expect(plan.changes).toEqual([
      {
        kind: 'enable-policy',
        policyId: POLICY_ID,
        reason: expect.stringContaining('the last promotion, abort or canary rollback disabled it'),
      },
    ]);
  });

  it('replaces a different attached policy, naming the one it replaces', () => {
    const plan = planEnableCd(
      state({
        primary: primary({
          config: distributionConfig({ ContinuousDeploymentPolicyId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' }),
        }),
      }),
      params,
    );
    expect(plan.changes).toEqual([
      expect.objectContaining({ kind: 'attach-policy', replaces: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' }),
    ]);
  });

  it('skips the grant when no bucket is named', () => {
    const { bucketPolicy: _, ...withoutBucket } = state({ primary: primary({ config: distributionConfig() }) });
    expect(kinds(withoutBucket)).toEqual(['attach-policy']);
  });

  it('grants at once but defers CloudFront changes while staging is InProgress', () => {
    const plan = planEnableCd(
      state({
        staging: staging({ status: 'InProgress' }),
        primary: primary({ config: distributionConfig() }),
        bucketPolicy: { bucket: BUCKET, json: undefined },
      }),
      params,
    );
    expect(plan.changes.map((c) => c.kind)).toEqual(['grant-bucket-read']);
    expect(plan.next).toMatchObject({ kind: 'wait', phase: 'waiting-to-apply', inProgress: [STAGING_ID] });
  });

  it.each([
    [
      'an HTTP/3 primary',
      state({ primary: primary({ config: distributionConfig({ HttpVersion: 'http2and3' }) }) }),
      /HTTP\/3/,
    ],
    [
      'an HTTP/3 staging',
      state({ staging: staging({ config: distributionConfig({ Staging: true, HttpVersion: 'http3' }) }) }),
      /HTTP\/3/,
    ],
    [
      'a staging that is not a staging distribution',
      state({ staging: staging({ config: distributionConfig() }) }),
      /is not a staging distribution/,
    ],
    [
      'a primary that is a staging distribution',
      state({ primary: primary({ config: distributionConfig({ Staging: true }) }) }),
      /is a staging distribution/,
    ],
    [
      'a policy that does not route to this staging',
      state({
        policy: policy({
          config: headerPolicyConfig({
            StagingDistributionDnsNames: { Quantity: 1, Items: ['dother.cloudfront.net'] },
          }),
        }),
      }),
      /not to staging E2STAGING00002/,
    ],
  ])('refuses %s', (_, s, message) => {
    expect(() => planEnableCd(s, params)).toThrow(StateCheckError);
    expect(() => planEnableCd(s, params)).toThrow(message);
  });
});

describe('reviewerVariables', () => {
  it('tells a reviewer the header and the curl command for header routing', () => {
    expect(reviewerVariables(state())).toEqual({
      TrafficType: 'SingleHeader',
      PrimaryDomainName: PRIMARY_DOMAIN,
      StagingDomainName: STAGING_DOMAIN,
      StagingDistributionId: STAGING_ID,
      StagingETag: 'ES',
      ContinuousDeploymentPolicyId: POLICY_ID,
      PromoteChanges: 'origin s3-origin: origin path "/v1" → "/v2"',
      PromoteChangesAll: 'origin s3-origin: origin path "/v1" → "/v2"',
      StagingHeader: 'aws-cf-cd-staging: true',
      HowToReachStaging: `curl -H 'aws-cf-cd-staging: true' https://${PRIMARY_DOMAIN}/ (requests without the header get production)`,
    });
  });

  it('tells a reviewer the weight and stickiness for weighted routing', () => {
    const vars = reviewerVariables(state({ policy: policy({ config: weightPolicyConfig() }) }));
    expect(vars).toMatchObject({ TrafficType: 'SingleWeight', StagingWeight: '0.1' });
    expect(vars.HowToReachStaging).toContain('about 10% of viewers');
    expect(vars.HowToReachStaging).toContain('x-amz-continuous-deployment-state');
  });
});

describe('the change summary the approval shows (PromoteChanges)', () => {
  /** A staging padded with 12 decoy origins no behavior targets, and one change that sends every viewer elsewhere. */
  const padded = () => {
    const config = distributionConfig(
      { CallerReference: 'staging-ref', Staging: true, Aliases: { Quantity: 0 } },
      '/v2',
    );
    const decoys = Array.from({ length: 12 }, (_, i) => ({
      Id: `decoy-${String(i + 1).padStart(2, '0')}`,
      DomainName: `${BUCKET}.s3.us-east-1.amazonaws.com`,
      OriginPath: `/decoy-${i + 1}`,
    }));
    const items = [
      ...(config.Origins?.Items ?? []),
      ...decoys,
      { Id: 'zz-takeover', DomainName: 'cdn.evil.example', OriginPath: '' },
    ];
    return staging({
      config: {
        ...config,
        Origins: { Quantity: items.length, Items: items },
        DefaultCacheBehavior: { ...config.DefaultCacheBehavior!, TargetOriginId: 'zz-takeover' },
      },
    });
  };

  it('shows the change of where requests go first, even behind 12 decoy origins, and points to the full list', () => {
    const vars = reviewerVariables(state({ staging: padded() }));
    const summary = vars.PromoteChanges!;
    expect(summary.length).toBeLessThanOrEqual(PROMOTE_CHANGES_MAX_CHARS);
    expect(
      summary.startsWith(
        'default cache behavior: target origin "s3-origin" → "zz-takeover" (zz-takeover is cdn.evil.example)',
      ),
    ).toBe(true);
    expect(summary).toContain('origin zz-takeover added (cdn.evil.example)');
    expect(summary).toMatch(
      /\(15 changes in all, \d+ shown; the full list: enable-cd's output variable PromoteChangesAll/,
    );
    // The full list has every change: the 12 decoys, the new origin, the target, and the /v2 path.
    const all = vars.PromoteChangesAll!.split('; ');
    expect(all).toHaveLength(15);
    expect(all.filter((line) => /^origin decoy-\d\d added/.test(line))).toHaveLength(12);
  });
});

describe('the release root before routing viewers to staging', () => {
  const notRouting = {
    primary: primary({ config: distributionConfig() }),
    bucketPolicy: { bucket: BUCKET, json: grantedJson },
  };

  it('refuses, with nothing written, to route viewers to a release that was never uploaded', () => {
    const s = state({ ...notRouting, releaseRoot: { bucket: BUCKET, key: 'v2/index.html', exists: false } });
    expect(() => planEnableCd(s, params)).toThrow(StateCheckError);
    expect(() => planEnableCd(s, params)).toThrow(
      `staging ${STAGING_ID} would serve s3://${BUCKET}/v2/index.html, which does not exist`,
    );
  });

  it('attaches once the release root is there', () => {
    const s = state({ ...notRouting, releaseRoot: { bucket: BUCKET, key: 'v2/index.html', exists: true } });
    expect(kinds(s)).toEqual(['attach-policy']);
  });
});

describe('a staging that serves what production serves (found by the chaos run: seed 3, cycle 40)', () => {
  it('is not routed to: a late enable-CD after the promotion must not switch the disabled policy back on', () => {
    // After a promotion the primary carries the staging's config and CloudFront disabled the policy. A retried
    // release then ran enable-CD again: it re-enabled the policy, leaving a canary live with nothing to review.
    const promoted = primary({ config: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, '/v2') });
    const plan = planEnableCd(
      state({ primary: promoted, policy: policy({ config: headerPolicyConfig({ Enabled: false }) }) }),
      params,
    );
    expect(plan).toEqual({ changes: [], next: { kind: 'done' } });
  });
});

describe('a canary rolled back while enable-CD waits (found by the chaos run: the watch and enable-CD took turns)', () => {
  it('refuses to re-enable a policy someone disabled after this job had routed viewers to staging', () => {
    const s = state({ policy: policy({ config: headerPolicyConfig({ Enabled: false }) }) });
    expect(() => planEnableCd(s, params, true)).toThrow(StateCheckError);
    expect(() => planEnableCd(s, params, true)).toThrow(/was disabled while enable-CD waited for propagation/);
    // Without that memory a disabled policy is the promotion's drift, re-enabled as always.
    expect(kinds(s)).toEqual(['enable-policy']);
  });
});

describe("the staging's edge caches before viewers are routed to it", () => {
  const notRouting = {
    primary: primary({ config: distributionConfig() }),
    policy: policy({ config: headerPolicyConfig({ Enabled: false }) }),
  };
  const neverInvalidated = (): CacheState => ({ distributionId: STAGING_ID, since: [] });
  const ourInProgress = (): CacheState => ({
    distributionId: STAGING_ID,
    since: [
      {
        id: 'I2STAGINGNEW',
        status: 'InProgress',
        createTime: AFTER_LAST_CHANGE,
        paths: ['/*'],
        callerReference: ourCallerReference('ES'),
      },
    ],
  });
  const awaitingInvalidation = (what: string) => ({
    kind: 'wait',
    phase: 'invalidating',
    reason: `the edge-cache invalidation of staging ${STAGING_ID} (${what}) to be Completed`,
    inProgress: [],
  });

  it('invalidates a Deployed staging never invalidated since its last change, holding the routing until it is Completed', () => {
    const plan = planEnableCd(
      state({ ...notRouting, bucketPolicy: { bucket: BUCKET, json: undefined }, stagingCache: neverInvalidated() }),
      params,
    );
    expect(plan.changes).toEqual([
      expect.objectContaining({ kind: 'grant-bucket-read' }),
      {
        kind: 'invalidate-cache',
        distributionId: STAGING_ID,
        paths: ['/*'],
        callerReference: ourCallerReference('ES'),
        reason: expect.stringContaining(`staging ${STAGING_ID} is Deployed`),
      },
    ]);
    expect(plan.held).toBe(`routing viewers to staging ${STAGING_ID} waits for its cache invalidation (being created)`);
    expect(plan.next).toEqual(awaitingInvalidation('being created'));
    expect(plan.cache?.kind).toBe('invalidate');
  });

  it('waits, with no change, while its invalidation is InProgress', () => {
    expect(planEnableCd(state({ ...notRouting, stagingCache: ourInProgress() }), params)).toEqual({
      changes: [],
      held: `routing viewers to staging ${STAGING_ID} waits for its cache invalidation (I2STAGINGNEW)`,
      next: awaitingInvalidation('I2STAGINGNEW'),
      cache: { kind: 'in-progress', invalidationId: 'I2STAGINGNEW' },
    });
  });

  it('re-enables and attaches once the invalidation is Completed', () => {
    const plan = planEnableCd(state(notRouting), params);
    expect(plan.changes.map((c) => c.kind)).toEqual(['enable-policy', 'attach-policy']);
    expect(plan.next).toMatchObject({ kind: 'wait', phase: 'propagating' });
    expect(plan.cache).toEqual({ kind: 'completed', invalidationId: DONE_ID });
  });

  it('invalidates a new staging release even when viewers are already routed to staging, holding nothing', () => {
    const plan = planEnableCd(state({ stagingCache: neverInvalidated() }), params);
    expect(plan.changes.map((c) => c.kind)).toEqual(['invalidate-cache']);
    expect(plan.held).toBeUndefined();
    expect(plan.next).toMatchObject({ kind: 'wait', phase: 'invalidating' });
  });

  it('does not invalidate a staging still InProgress: it waits for it, its invalidations unread', () => {
    const { stagingCache: _, ...unread } = state({ ...notRouting, staging: staging({ status: 'InProgress' }) });
    const plan = planEnableCd(unread, params);
    expect(plan.changes).toEqual([]);
    expect(plan.cache).toBeUndefined();
    expect(plan.next).toMatchObject({ kind: 'wait', phase: 'waiting-to-apply', inProgress: [STAGING_ID] });
  });

  it('looks at no cache for a staging that serves what the primary serves (nothing to review)', () => {
    const same = primary({ config: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, '/v2') });
    const { stagingCache: _, ...unread } = state({ primary: same });
    expect(planEnableCd(unread, params)).toEqual({ changes: [], next: { kind: 'done' } });
  });

  it('routes viewers without an invalidation when InvalidationPaths is [], saying so', () => {
    const { stagingCache: _, ...unread } = state(notRouting);
    const plan = planEnableCd(unread, { ...params, invalidationPaths: [] });
    expect(plan.changes.map((c) => c.kind)).toEqual(['enable-policy', 'attach-policy']);
    expect(plan.cache).toEqual({ kind: 'off' });
  });

  it('refuses to decide on a Deployed staging whose invalidations were not read', () => {
    const { stagingCache: _, ...unread } = state(notRouting);
    expect(() => planEnableCd(unread, params)).toThrow(`the invalidations of staging ${STAGING_ID} were not read`);
  });
});

describe('the origins a staging may route viewers to (AllowedOriginDomains)', () => {
  const PRIMARY_ORIGIN = `${BUCKET}.s3.us-east-1.amazonaws.com`;
  /** The staging with `origins` added to its own, as a commit's staging template could. */
  const stagingWith = (...origins: { Id: string; DomainName: string }[]) => {
    const config = distributionConfig(
      { CallerReference: 'staging-ref', Staging: true, Aliases: { Quantity: 0 } },
      '/v2',
    );
    const items = [...(config.Origins?.Items ?? []), ...origins.map((o) => ({ ...o, OriginPath: '' }))];
    return staging({ config: { ...config, Origins: { Quantity: items.length, Items: items } } });
  };
  /** Before routing: the policy disabled, so the plan would enable and attach. */
  const notRouted = (s: ReturnType<typeof staging>) =>
    state({ staging: s, policy: policy({ config: headerPolicyConfig({ Enabled: false }) }) });
  const evil = { Id: 'payments', DomainName: 'collector.evil.example' };

  it("refuses, before any write, a staging origin outside the default (the primary's origins), naming it and the parameter", () => {
    const s = notRouted(stagingWith(evil));
    expect(() => planEnableCd(s, params)).toThrow(StateCheckError);
    expect(() => planEnableCd(s, params)).toThrow(
      `staging ${STAGING_ID} has origins whose domain is not in AllowedOriginDomains, which is not set, ` +
        `so only the primary's own origins are allowed (${PRIMARY_ORIGIN}): "collector.evil.example" (origin payments)`,
    );
  });

  it("says how to allow the origin in its reader's words: the pipeline's parameter, or cfcd's flag", () => {
    const s = notRouted(stagingWith(evil));
    const error = (() => {
      try {
        planEnableCd(s, params);
      } catch (err) {
        return err as StateCheckError;
      }
      throw new Error('expected a refusal');
    })();
    expect(error.message).toContain(
      'add its domain name to AllowedOriginDomains (the pipeline stack parameter) and run the pipeline again',
    );
    expect(error.say(CLI_WORDS)).toContain('add its domain name to --allowed-origin-domains and run the command again');
    expect(error.say(CLI_WORDS)).not.toMatch(/pipeline/);
  });

  it('refuses an origin no behavior targets too, and names every unknown origin', () => {
    const s = notRouted(stagingWith(evil, { Id: 'decoy', DomainName: 'decoy.evil.example' }));
    expect(() => planEnableCd(s, params)).toThrow(
      '"collector.evil.example" (origin payments), "decoy.evil.example" (origin decoy)',
    );
  });

  it("routes viewers to a staging whose origins are the primary's, with AllowedOriginDomains not set", () => {
    expect(planEnableCd(notRouted(stagingWith()), params).changes.map((c) => c.kind)).toEqual(['enable-policy']);
  });

  it('allows what an explicit list names, exactly or by a one-label wildcard, and nothing else', () => {
    const s = notRouted(stagingWith(evil));
    const allowing = (allowedOriginDomains: string[]) => ({ ...params, allowedOriginDomains });
    expect(planEnableCd(s, allowing([PRIMARY_ORIGIN, 'collector.evil.example'])).changes).toHaveLength(1);
    expect(planEnableCd(s, allowing([PRIMARY_ORIGIN, '*.evil.example'])).changes).toHaveLength(1);
    // An explicit list replaces the default: the primary's own origin must be named too.
    expect(() => planEnableCd(s, allowing(['collector.evil.example']))).toThrow(
      `AllowedOriginDomains ["collector.evil.example"]: "${PRIMARY_ORIGIN}" (origin s3-origin)`,
    );
  });
});

describe('features that exclude continuous deployment, refused before any write (issue 29)', () => {
  it('refuses a multi-tenant primary and names what to do', () => {
    const s = state({ primary: primary({ config: distributionConfig({ ConnectionMode: 'tenant-only' }) }) });
    expect(() => planEnableCd(s, params)).toThrow(StateCheckError);
    expect(() => planEnableCd(s, params)).toThrow(/ConnectionMode: .*use a standard distribution/);
  });
});

describe('a ramp owns the weights (RampHeader; issue 25: the next release re-exposed at the last ramp weight)', () => {
  const RAMP = { ...params, rampHeader: { header: 'aws-cf-cd-staging', value: 'true' } };
  /** What a promotion leaves after a ramp to 15 %: the policy disabled, its weight kept. */
  const leftByRamp = (o: Parameters<typeof weightPolicyConfig>[0] = {}) =>
    policy({ config: weightPolicyConfig({ Enabled: false, ...o }) });
  const fifteen = { TrafficConfig: { Type: 'SingleWeight' as const, SingleWeightConfig: { Weight: 0.15 } } };

  it('re-enables a disabled weighted policy on the header instead of the weight the last ramp left', () => {
    const plan = planEnableCd(state({ policy: leftByRamp(fifteen) }), RAMP);
    expect(plan.changes).toEqual([
      {
        kind: 'route-by-header',
        policyId: POLICY_ID,
        header: 'aws-cf-cd-staging',
        value: 'true',
        replacesWeight: 0.15,
        reason: expect.stringContaining('disabled with a weight of 15%'),
      },
    ]);
    expect(plan.next).toMatchObject({ kind: 'wait', phase: 'propagating' });
  });

  it('without RampHeader re-enables the weight as it is (a staging template that routes by weight)', () => {
    expect(kinds(state({ policy: leftByRamp(fifteen) }))).toEqual(['enable-policy']);
  });

  it('puts an enabled weighted policy that is not attached yet on the header before attaching it', () => {
    const plan = planEnableCd(
      state({ primary: primary({ config: distributionConfig() }), policy: policy({ config: weightPolicyConfig() }) }),
      RAMP,
    );
    expect(plan.changes.map((c) => c.kind)).toEqual(['route-by-header', 'attach-policy']);
    expect(plan.changes[0]?.reason).toContain('enabled but not attached to the primary with a weight of 10%');
  });

  it('leaves a live weighted policy alone: the ramp is moving it (a repeated delivery must not pull it back)', () => {
    expect(planEnableCd(state({ policy: policy({ config: weightPolicyConfig() }) }), RAMP).changes).toEqual([]);
  });

  it('only enables a disabled header policy, keeping its own header', () => {
    const s = state({ policy: policy({ config: headerPolicyConfig({ Enabled: false }) }) });
    expect(planEnableCd(s, { ...RAMP, rampHeader: { header: 'aws-cf-cd-other', value: '1' } }).changes).toEqual([
      expect.objectContaining({ kind: 'enable-policy' }),
    ]);
  });

  it('holds the header routing, like any re-enable, while a distribution is InProgress or the cache is not invalidated', () => {
    const inProgress = state({ policy: leftByRamp(), staging: staging({ status: 'InProgress' }) });
    expect(planEnableCd(inProgress, RAMP)).toMatchObject({ changes: [], next: { phase: 'waiting-to-apply' } });
    const uncached = state({ policy: leftByRamp(), stagingCache: { distributionId: STAGING_ID, since: [] } });
    expect(planEnableCd(uncached, RAMP).changes.map((c) => c.kind)).toEqual(['invalidate-cache']);
  });

  it('does not switch a rolled-back canary back on, on the header either', () => {
    expect(() => planEnableCd(state({ policy: leftByRamp() }), RAMP, true)).toThrow(/was disabled while enable-CD/);
  });

  it('routes nobody to a staging that serves what production serves, weight or header', () => {
    const promoted = primary({ config: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, '/v2') });
    expect(planEnableCd(state({ primary: promoted, policy: leftByRamp() }), RAMP).changes).toEqual([]);
  });

  it('writes header routing, enabled, keeping every other field as read', () => {
    const config = weightPolicyConfig({ Enabled: false });
    expect(withHeaderRouting(config, RAMP.rampHeader)).toEqual({
      StagingDistributionDnsNames: config.StagingDistributionDnsNames,
      Enabled: true,
      TrafficConfig: { Type: 'SingleHeader', SingleHeaderConfig: { Header: 'aws-cf-cd-staging', Value: 'true' } },
    });
  });
});
