import { describe, expect, it } from 'vitest';
import {
  decide,
  planFinish,
  planFinishing,
  planPromotion,
  policyEnabled,
  promotableApartFromPolicy,
  planHeaderRestore,
  type PromoteState,
  withHeaderRestore,
  withHeaderRoutingDisabled,
  withPrune,
} from '../../../../functions/promote/plan.js';
import type { DistributionState } from '../../../../shared/domain/resources.js';
import { StateCheckError } from '../../../../shared/domain/errors.js';
import { type CacheState, invalidationCallerReference } from '../../../../shared/domain/invalidation.js';
import {
  AFTER_LAST_CHANGE,
  POLICY_ID,
  PRIMARY_ID,
  STAGING_ID,
  distributionConfig,
  headerPolicyConfig,
  policyState,
  primaryState,
  stagingState,
  weightPolicyConfig,
} from '../../fixtures.js';

const primary = primaryState;
const staging = stagingState;
const policy = policyState;
const state = (o: Partial<PromoteState> = {}): PromoteState => ({
  primary: primary(),
  staging: staging(),
  policy: policy(),
  ...o,
});

/** The primary after a promotion: the staging's config, its own aliases and policy id. */
const promotedPrimary = (o: Partial<DistributionState> = {}) =>
  primary({ config: distributionConfig({ ContinuousDeploymentPolicyId: POLICY_ID }, '/v2'), ...o });
const disabledPolicy = () => policy({ config: headerPolicyConfig({ Enabled: false }) });
const otherRouting = () =>
  policy({
    config: headerPolicyConfig({ StagingDistributionDnsNames: { Quantity: 1, Items: ['dother.cloudfront.net'] } }),
  });

describe('decide', () => {
  it('promotes a Deployed, routed staging with both ETags, primary first, and lists what changes', () => {
    const reason = `staging ${STAGING_ID} differs from primary ${PRIMARY_ID} in 1 way(s); policy ${POLICY_ID} routes to it`;
    expect(decide(state())).toEqual({
      kind: 'promote',
      reason,
      changes: [
        {
          kind: 'promote-staging-config',
          primaryId: PRIMARY_ID,
          stagingId: STAGING_ID,
          ifMatch: 'EP, ES',
          diff: ['origin s3-origin: origin path "/v1" → "/v2"'],
          reason,
        },
      ],
      next: {
        kind: 'wait',
        phase: 'promoted',
        reason: `primary ${PRIMARY_ID} to be Deployed with the promoted config`,
        inProgress: [PRIMARY_ID],
      },
      facts: {
        changes: 'origin s3-origin: origin path "/v1" → "/v2"',
        policyEnabled: 'false',
        note: expect.stringContaining(`Promotion disabled continuous deployment policy ${POLICY_ID}`),
      },
    });
  });

  it.each([
    ['staging', { staging: staging({ status: 'InProgress' }) }, [STAGING_ID]],
    ['primary', { primary: primary({ status: 'InProgress' }) }, [PRIMARY_ID]],
    [
      'both',
      { primary: primary({ status: 'InProgress' }), staging: staging({ status: 'InProgress' }) },
      [PRIMARY_ID, STAGING_ID],
    ],
  ])('waits while the %s is InProgress', (_, o, inProgress) => {
    expect(decide(state(o))).toMatchObject({
      kind: 'wait',
      changes: [],
      next: { phase: 'waiting-to-promote', inProgress },
    });
  });

  it('has nothing to promote when the primary already carries the staging config, Deployed or not', () => {
    expect(decide(state({ primary: promotedPrimary(), policy: disabledPolicy() }))).toMatchObject({
      kind: 'already-promoted',
      changes: [],
      next: { kind: 'done' },
    });
    expect(
      decide(state({ primary: promotedPrimary({ status: 'InProgress' }), policy: disabledPolicy() })),
    ).toMatchObject({ kind: 'already-promoted', changes: [], next: { kind: 'wait', phase: 'promoted' } });
  });

  it('checks idempotence before the policy: a promotion already done succeeds even with the policy detached or re-pointed since', () => {
    expect(
      decide(
        state({
          primary: promotedPrimary({ config: distributionConfig({ ContinuousDeploymentPolicyId: '' }, '/v2') }),
          policy: undefined,
        }),
      ).kind,
    ).toBe('already-promoted');
    expect(decide(state({ primary: promotedPrimary(), policy: otherRouting() })).kind).toBe('already-promoted');
  });

  it('checks idempotence before waiting: a promoted primary still InProgress is a promotion to watch, not one to redo', () => {
    expect(
      decide(state({ primary: promotedPrimary({ status: 'InProgress' }), staging: staging({ status: 'InProgress' }) }))
        .kind,
    ).toBe('already-promoted');
  });

  it('checks the distribution kinds before idempotence, so wrong ids are never reported as success', () => {
    const notStaging = staging({ config: distributionConfig({ CallerReference: 'x' }) });
    expect(() => decide(state({ staging: notStaging }))).toThrow(
      /StagingDistributionId E2STAGING00002 is not a staging distribution/,
    );
  });

  it('checks the policy before waiting, so a misconfiguration fails at once instead of after the wait', () => {
    expect(() =>
      decide(
        state({
          policy: undefined,
          primary: primary({ status: 'InProgress', config: distributionConfig({ ContinuousDeploymentPolicyId: '' }) }),
        }),
      ),
    ).toThrow(StateCheckError);
  });

  it.each([
    [
      'no policy attached',
      state({
        primary: primary({ config: distributionConfig({ ContinuousDeploymentPolicyId: '' }) }),
        policy: undefined,
      }),
      /has no continuous deployment policy attached.*Run the enable-CD action with \{"PrimaryDistributionId":"E1PRIMARY00001","StagingDistributionId":"E2STAGING00002",/,
    ],
    [
      'a policy that routes elsewhere',
      state({ policy: otherRouting() }),
      /routes to \[dother\.cloudfront\.net\], not to staging E2STAGING00002.*Run the enable-CD action/,
    ],
    [
      'a staging that is not a staging distribution',
      state({ staging: staging({ config: distributionConfig({ Staging: false }, '/v2') }) }),
      /is not a staging distribution \(Staging=false\)/,
    ],
    [
      'a primary that is a staging distribution',
      state({
        primary: primary({ config: distributionConfig({ Staging: true, ContinuousDeploymentPolicyId: POLICY_ID }) }),
      }),
      /PrimaryDistributionId E1PRIMARY00001 is a staging distribution/,
    ],
  ])('refuses %s with a StateCheckError saying what to do', (_, s, message) => {
    expect(() => decide(s)).toThrow(StateCheckError);
    expect(() => decide(s)).toThrow(message);
  });

  it('warns, but promotes, when the policy is disabled', () => {
    expect(decide(state({ policy: disabledPolicy() }))).toMatchObject({
      kind: 'promote',
      warning: expect.stringContaining(`policy ${POLICY_ID} is disabled`),
    });
  });
});

describe('policyEnabled', () => {
  it('is true only for an attached, enabled policy', () => {
    expect(policyEnabled(state())).toBe(true);
    expect(policyEnabled(state({ policy: disabledPolicy() }))).toBe(false);
    expect(policyEnabled(state({ policy: undefined }))).toBe(false);
  });
});

describe('promotableApartFromPolicy', () => {
  // It decides whether the gate's metrics read starts early; it must agree with decide wherever the policy allows
  // a promotion, or the early read would be skipped (slower) or wasted (an extra read) without any test noticing.
  const primaries = [
    primary(),
    primary({ status: 'InProgress' }),
    promotedPrimary(),
    primary({ config: distributionConfig({ Staging: true }) }),
  ];
  const stagings = [
    staging(),
    staging({ status: 'InProgress' }),
    staging({ config: distributionConfig({ CallerReference: 'staging-ref' }, '/v2') }),
  ];
  const cases = primaries.flatMap((p) => stagings.map((st) => ({ primary: p, staging: st })));

  it.each(cases.map((c, i) => [i, c] as const))('agrees with decide under a routing policy (case %i)', (_, c) => {
    let promotes: boolean;
    try {
      promotes = decide({ ...c, policy: policy() }).kind === 'promote';
    } catch {
      promotes = false;
    }
    expect(promotableApartFromPolicy(c.primary, c.staging)).toBe(promotes);
  });
});

describe('decide: the staging as reviewed (ExpectedStagingETag)', () => {
  it('promotes when the staging still carries the reviewed ETag', () => {
    expect(decide(state({ expectedStagingEtag: 'ES' })).kind).toBe('promote');
  });

  it('refuses a staging changed since the review, naming both ETags and what to do', () => {
    const refuse = () => decide(state({ expectedStagingEtag: 'EREVIEWED' }));
    expect(refuse).toThrow(StateCheckError);
    expect(refuse).toThrow(
      `staging ${STAGING_ID} has ETag ES, but the config the reviewer approved had ETag EREVIEWED (ExpectedStagingETag)`,
    );
    expect(refuse).toThrow(
      /newer pipeline execution's Deploy stage, or by hand\. Nothing was promoted\. Approve the newer execution/,
    );
  });

  it('checks before the already-promoted shortcut, which a repeat of a real promotion still reaches', () => {
    expect(() => decide(state({ primary: promotedPrimary(), expectedStagingEtag: 'EREVIEWED' }))).toThrow(
      /changed after it was reviewed/,
    );
    expect(decide(state({ primary: promotedPrimary(), expectedStagingEtag: 'ES' })).kind).toBe('already-promoted');
  });
});

describe('decide: the policy named in the parameters (ContinuousDeploymentPolicyId)', () => {
  it('promotes when the named policy is the one attached', () => {
    expect(decide(state({ expectedPolicyId: POLICY_ID })).kind).toBe('promote');
  });

  it('refuses a primary with another policy or none attached, naming both', () => {
    const other = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    expect(() =>
      decide(
        state({
          primary: primary({ config: distributionConfig({ ContinuousDeploymentPolicyId: other }) }),
          policy: undefined,
          expectedPolicyId: POLICY_ID,
        }),
      ),
    ).toThrow(`primary ${PRIMARY_ID} has policy ${other} attached, not ContinuousDeploymentPolicyId ${POLICY_ID}`);
    expect(() =>
      decide(
        state({
          primary: primary({ config: distributionConfig({ ContinuousDeploymentPolicyId: '' }) }),
          policy: undefined,
          expectedPolicyId: POLICY_ID,
        }),
      ),
    ).toThrow(/has no continuous deployment policy attached, not ContinuousDeploymentPolicyId/);
  });

  it('still sees a promotion that happened, even after the named policy was detached and deleted', () => {
    const detached = promotedPrimary({ config: distributionConfig({ ContinuousDeploymentPolicyId: '' }, '/v2') });
    expect(decide(state({ primary: detached, policy: undefined, expectedPolicyId: POLICY_ID })).kind).toBe(
      'already-promoted',
    );
  });
});

describe('planFinish: after the promotion, before viewers get the promoted release', () => {
  const deployed = promotedPrimary({ etag: 'EPROMOTED' });
  const ours = invalidationCallerReference(deployed, ['/*']);
  const cache = (...since: { id: string; status: string }[]): CacheState => ({
    distributionId: PRIMARY_ID,
    since: since.map((i) => ({ ...i, createTime: AFTER_LAST_CHANGE, paths: ['/*'], callerReference: ours })),
  });
  const awaitingInvalidation = (what: string) => ({
    kind: 'wait',
    phase: 'invalidating',
    reason: `the edge-cache invalidation of primary ${PRIMARY_ID} (${what}) to be Completed`,
    inProgress: [],
  });

  it('waits in "promoted" for an InProgress primary, with no cache decision (its invalidations are not read)', () => {
    expect(planFinish(promotedPrimary({ status: 'InProgress' }), undefined, ['/*'])).toEqual({
      changes: [],
      next: {
        kind: 'wait',
        phase: 'promoted',
        reason: `primary ${PRIMARY_ID} to be Deployed with the promoted config`,
        inProgress: [PRIMARY_ID],
      },
    });
  });

  it('never invalidates an InProgress primary, even when its invalidations were read', () => {
    const plan = planFinish(promotedPrimary({ status: 'InProgress' }), cache(), ['/*']);
    expect(plan.changes).toEqual([]);
    expect(plan.next).toMatchObject({ kind: 'wait', phase: 'promoted' });
  });

  it('invalidates a Deployed primary never invalidated since, once, and waits in "invalidating"', () => {
    expect(planFinish(deployed, cache(), ['/*'])).toEqual({
      changes: [
        {
          kind: 'invalidate-cache',
          distributionId: PRIMARY_ID,
          paths: ['/*'],
          callerReference: ours,
          reason: expect.stringContaining(`primary ${PRIMARY_ID} is Deployed`),
        },
      ],
      next: awaitingInvalidation('/*'),
      cache: { kind: 'invalidate', change: expect.objectContaining({ kind: 'invalidate-cache' }) },
    });
  });

  it('invalidates the paths given, and names them while it waits', () => {
    const plan = planFinish(deployed, cache(), ['/index.html', '/assets/*']);
    expect(plan.changes).toEqual([
      expect.objectContaining({ paths: ['/index.html', '/assets/*'], distributionId: PRIMARY_ID }),
    ]);
    expect(plan.next).toEqual(awaitingInvalidation('/index.html /assets/*'));
  });

  it('waits, with no change, while its invalidation is InProgress', () => {
    expect(planFinish(deployed, cache({ id: 'I1', status: 'InProgress' }), ['/*'])).toEqual({
      changes: [],
      next: awaitingInvalidation('I1'),
      cache: { kind: 'in-progress', invalidationId: 'I1' },
    });
  });

  it('is done once its invalidation is Completed', () => {
    expect(planFinish(deployed, cache({ id: 'I1', status: 'Completed' }), ['/*'])).toEqual({
      changes: [],
      next: { kind: 'done' },
      cache: { kind: 'completed', invalidationId: 'I1' },
    });
  });

  it('is done at once with InvalidationPaths []', () => {
    expect(planFinish(deployed, { distributionId: PRIMARY_ID, since: [] }, [])).toEqual({
      changes: [],
      next: { kind: 'done' },
      cache: { kind: 'off' },
    });
  });
});

describe('planPromotion: a primary that already carries the staging config finishes the promotion in the same pass', () => {
  const done = { distributionId: PRIMARY_ID, since: [] };

  it('plans the invalidation of a Deployed, already-promoted primary, keeping the facts of the decision', () => {
    const s = state({ primary: promotedPrimary() });
    const plan = planPromotion(s, decide(s) as Exclude<ReturnType<typeof decide>, { kind: 'refuse' }>, done, ['/*']);
    expect(plan).toMatchObject({
      kind: 'already-promoted',
      changes: [{ kind: 'invalidate-cache', distributionId: PRIMARY_ID, paths: ['/*'] }],
      next: { kind: 'wait', phase: 'invalidating' },
      facts: { changes: 'none: the primary already carried the staging config' },
    });
  });

  it('leaves any other decision as it is', () => {
    const s = state();
    const decision = decide(s) as Exclude<ReturnType<typeof decide>, { kind: 'refuse' }>;
    expect(planPromotion(s, decision, undefined, ['/*'])).toBe(decision);
  });
});

describe('planFinishing: a token is a bookmark, the live primary decides', () => {
  const done = { distributionId: PRIMARY_ID, since: [] };

  it('finishes while the primary still has the ETag the promotion left, even with the staging gone', () => {
    const plan = planFinishing({ primary: promotedPrimary(), staging: undefined, cache: done }, STAGING_ID, 'EP', []);
    expect(plan).toMatchObject({ kind: 'finishing', changes: [], next: { kind: 'done' }, cache: { kind: 'off' } });
    expect(plan.reason).toContain('still has the ETag the promotion left');
  });

  it('finishes when another writer changed the primary but it still carries the staging config', () => {
    const plan = planFinishing(
      { primary: promotedPrimary({ etag: 'E-LATER' }), staging: staging(), cache: done },
      STAGING_ID,
      'EP',
      [],
    );
    expect(plan.reason).toContain(`still carries the config of staging ${STAGING_ID}`);
  });

  it('refuses, invalidating nothing, when the primary no longer carries the config and has another ETag', () => {
    expect(() =>
      planFinishing({ primary: primary({ etag: 'E-LATER' }), staging: staging(), cache: done }, STAGING_ID, 'EP', [
        '/*',
      ]),
    ).toThrow(
      new RegExp(
        `primary ${PRIMARY_ID} no longer carries the config of staging ${STAGING_ID} .*Nothing was invalidated`,
      ),
    );
  });

  it('refuses a token whose ETag matches a primary that still has its policy enabled: no promotion happened', () => {
    // Anyone who can read the primary can copy its ETag into a token; a promotion would have disabled the policy.
    expect(() =>
      planFinishing({ primary: primary(), staging: staging(), cache: done, policy: policy() }, STAGING_ID, 'EP', []),
    ).toThrow(/attached and enabled, which a promotion disables/);
    expect(
      planFinishing(
        { primary: primary(), staging: staging(), cache: done, policy: disabledPolicy() },
        STAGING_ID,
        'EP',
        [],
      ).reason,
    ).toContain('still has the ETag the promotion left');
  });

  it('does not count a staging other than the reviewed one as proof of the promotion', () => {
    const other = staging({ etag: 'ES-LATER', config: promotedPrimary().config });
    const reviewed = staging({ etag: 'ES', config: { ...promotedPrimary().config, Staging: true } });
    expect(() =>
      planFinishing(
        { primary: promotedPrimary({ etag: 'E-LATER' }), staging: other, cache: done },
        STAGING_ID,
        'EP',
        ['/*'],
        'ES',
      ),
    ).toThrow(/as reviewed \(ETag ES\)/);
    expect(
      planFinishing(
        { primary: promotedPrimary({ etag: 'E-LATER' }), staging: reviewed, cache: done },
        STAGING_ID,
        'EP',
        [],
        'ES',
      ).reason,
    ).toContain('still carries the config');
  });

  it('waits for a primary still InProgress before reading or invalidating its cache', () => {
    const plan = planFinishing(
      { primary: promotedPrimary({ status: 'InProgress' }), staging: staging(), cache: undefined },
      STAGING_ID,
      'EP',
      ['/*'],
    );
    expect(plan).toMatchObject({ changes: [], next: { kind: 'wait', phase: 'promoted' } });
  });
});

describe('withPrune: the prune of old release folders comes last, once the promotion is complete', () => {
  const ids = { primaryId: PRIMARY_ID, stagingId: STAGING_ID };
  const target = { bucket: 'my-site-bucket', keep: 3 };
  const completed = { distributionId: PRIMARY_ID, since: [] };
  const finishing = (cache = completed, primaryState = promotedPrimary()) =>
    planFinishing({ primary: primaryState, staging: undefined, cache }, STAGING_ID, primaryState.etag, []);

  it('adds the prune to a finishing plan that is done, naming the bucket, the count and both distributions', () => {
    const plan = withPrune(finishing(), target, ids);
    expect(plan.next).toEqual({ kind: 'done' });
    expect(plan.changes).toEqual([
      {
        kind: 'prune-releases',
        bucket: 'my-site-bucket',
        keep: 3,
        primaryId: PRIMARY_ID,
        stagingId: STAGING_ID,
        protect: [],
        reason: expect.stringMatching(
          new RegExp(`s3://my-site-bucket/releases/ older than the newest 3, except those primary ${PRIMARY_ID}`),
        ),
      },
    ]);
  });

  it("protects the revert record's release: the bake's way back keeps its folder whatever its age", () => {
    const commit = 'a'.repeat(40);
    const [change] = withPrune(finishing(), target, ids, [commit]).changes;
    expect(change).toMatchObject({ kind: 'prune-releases', protect: [commit] });
    expect(change?.reason).toContain(`and the revert target (${commit})`);
  });

  it("with RevertRecordBucket, says the newest record's release is kept too, and carries the bucket to the write", () => {
    const [change] = withPrune(finishing(), target, ids, [], 'artifacts').changes;
    expect(change).toMatchObject({ kind: 'prune-releases', protect: [], recordBucket: 'artifacts' });
    expect(change?.reason).toContain('and the release of the newest revert record in s3://artifacts/cfcd-revert/');
    expect(withPrune(finishing(), target, ids).changes[0]).not.toHaveProperty('recordBucket');
  });

  it('adds it to an already-promoted primary found Deployed with its cache done (a repeated final invocation)', () => {
    const s = state({ primary: promotedPrimary() });
    const decision = decide(s) as Exclude<ReturnType<typeof decide>, { kind: 'refuse' }>;
    const plan = withPrune(planPromotion(s, decision, completed, []), target, ids);
    expect(plan).toMatchObject({ kind: 'already-promoted', next: { kind: 'done' } });
    expect(plan.changes.map((c) => c.kind)).toEqual(['prune-releases']);
  });

  it('never prunes while the primary propagates or its invalidation is still to make or to complete', () => {
    const inProgress = promotedPrimary({ status: 'InProgress' });
    const waits = [
      planFinishing({ primary: inProgress, staging: undefined, cache: undefined }, STAGING_ID, inProgress.etag, []),
      planFinishing({ primary: promotedPrimary(), staging: undefined, cache: completed }, STAGING_ID, 'EP', ['/*']),
    ];
    for (const plan of waits) {
      expect(plan.next.kind).toBe('wait');
      expect(withPrune(plan, target, ids).changes.some((c) => c.kind === 'prune-releases')).toBe(false);
    }
  });

  it('never prunes before the promotion (a decision to promote or to wait)', () => {
    const s = state();
    const decision = decide(s) as Exclude<ReturnType<typeof decide>, { kind: 'refuse' }>;
    expect(decision.kind).toBe('promote');
    expect(withPrune(planPromotion(s, decision, undefined, []), target, ids)).toBe(decision);
  });

  it('adds nothing without ReleaseBucket', () => {
    const plan = finishing();
    expect(withPrune(plan, undefined, ids)).toBe(plan);
  });
});

// Issue 25/26: a ramp's weights end with its release. A promotion disables the policy but keeps the ramp's weight;
// with RampHeader, promote puts it back on header routing (still disabled) once the promotion is complete, so that the
// next release's enable-CD — told no RampHeader once the ramp is off — finds header routing, never a weight.
describe('withHeaderRestore: a ramped promotion leaves the policy disabled on header routing', () => {
  const header = { header: 'aws-cf-cd-staging', value: 'true' };
  const completed = { distributionId: PRIMARY_ID, since: [] };
  const atWeight = (o: { Enabled?: boolean; Weight?: number } = {}) =>
    policy({
      etag: 'ETAG-W',
      config: weightPolicyConfig({
        Enabled: o.Enabled ?? false,
        TrafficConfig: { Type: 'SingleWeight', SingleWeightConfig: { Weight: o.Weight ?? 0.15 } },
      }),
    });
  const finishing = (cache: CacheState | undefined = completed, primaryState = promotedPrimary()) =>
    planFinishing({ primary: primaryState, staging: undefined, cache }, STAGING_ID, primaryState.etag, []);

  it('plans the restore first, before the prune, once the promotion is complete, naming the weight it replaces', () => {
    const pruned = withPrune(finishing(), { bucket: 'b', keep: 3 }, { primaryId: PRIMARY_ID, stagingId: STAGING_ID });
    const plan = withHeaderRestore(pruned, header, atWeight());
    expect(plan.next).toEqual({ kind: 'done' });
    expect(plan.changes.map((c) => c.kind)).toEqual(['restore-header-routing', 'prune-releases']);
    expect(plan.changes[0]).toEqual({
      kind: 'restore-header-routing',
      policyId: POLICY_ID,
      header,
      replacesWeight: 0.15,
      reason: expect.stringContaining("disabled at the ramp's weight of 15%: put it back on header routing"),
    });
  });

  it('writes header routing and keeps the policy disabled, everything else as read', () => {
    const read = atWeight();
    expect(withHeaderRoutingDisabled(read.config, header)).toEqual({
      ...read.config,
      Enabled: false,
      TrafficConfig: { Type: 'SingleHeader', SingleHeaderConfig: { Header: 'aws-cf-cd-staging', Value: 'true' } },
    });
  });

  it('plans it on an already-promoted primary found done (a re-run after the promotion)', () => {
    const s = state({ primary: promotedPrimary(), policy: atWeight({ Weight: 0.05 }) });
    const decision = decide(s) as Exclude<ReturnType<typeof decide>, { kind: 'refuse' }>;
    const plan = withHeaderRestore(planPromotion(s, decision, completed, []), header, s.policy);
    expect(plan).toMatchObject({ kind: 'already-promoted', next: { kind: 'done' } });
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'restore-header-routing', replacesWeight: 0.05 })]);
  });

  it('plans nothing for a policy already on header routing: a repeated final delivery is idempotent', () => {
    expect(withHeaderRestore(finishing(), header, disabledPolicy()).changes).toEqual([]);
  });

  it('never touches an enabled policy (nothing promoted it off, or another writer switched it on)', () => {
    expect(planHeaderRestore(atWeight({ Enabled: true }), header)).toBeUndefined();
  });

  it('plans nothing without RampHeader, without a policy, or for another policy than the one named', () => {
    expect(withHeaderRestore(finishing(), undefined, atWeight()).changes).toEqual([]);
    expect(withHeaderRestore(finishing(), header, undefined).changes).toEqual([]);
    expect(withHeaderRestore(finishing(), header, atWeight(), 'OTHER-POLICY').changes).toEqual([]);
    expect(withHeaderRestore(finishing(), header, atWeight(), POLICY_ID).changes).toHaveLength(1);
  });

  it('never restores before the promotion is complete: promoting, propagating or invalidating', () => {
    const s = state({ policy: atWeight({ Enabled: true }) });
    const decision = decide(s) as Exclude<ReturnType<typeof decide>, { kind: 'refuse' }>;
    expect(withHeaderRestore(planPromotion(s, decision, undefined, []), header, atWeight()).changes).toEqual(
      decision.changes,
    );
    const inProgress = promotedPrimary({ status: 'InProgress' });
    const waits = [
      planFinishing({ primary: inProgress, staging: undefined, cache: undefined }, STAGING_ID, inProgress.etag, []),
      planFinishing({ primary: promotedPrimary(), staging: undefined, cache: completed }, STAGING_ID, 'EP', ['/*']),
    ];
    for (const plan of waits) {
      expect(plan.next.kind).toBe('wait');
      expect(withHeaderRestore(plan, header, atWeight()).changes.map((c) => c.kind)).not.toContain(
        'restore-header-routing',
      );
    }
  });
});
