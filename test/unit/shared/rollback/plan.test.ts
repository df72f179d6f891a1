import { describe, expect, it } from 'vitest';
import { planAbort, planDetach, planDisable, type AbortState } from '../../../../shared/rollback/plan.js';
import type { DistributionState } from '../../../../shared/domain/resources.js';
import { StateCheckError } from '../../../../shared/domain/errors.js';
import {
  POLICY_ID,
  PRIMARY_ID,
  distributionConfig,
  headerPolicyConfig,
  policyState,
  primaryState,
} from '../../fixtures.js';

const OTHER_POLICY = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const primary = primaryState;
const detachedPrimary = (o: Partial<DistributionState> = {}) =>
  primary({ config: distributionConfig({ ContinuousDeploymentPolicyId: '' }), ...o });
const policy = (enabled = true) => policyState({ config: headerPolicyConfig({ Enabled: enabled }) });
const state = (o: Partial<AbortState> = {}): AbortState => ({
  primary: primary(),
  policyId: POLICY_ID,
  policy: policy(),
  ...o,
});
const kinds = (s: AbortState, mode: 'disable' | 'detach' | 'teardown') => planAbort(s, mode).changes.map((c) => c.kind);

describe('planAbort', () => {
  describe('a policy the continuation token remembers', () => {
    const remembered = (o: Partial<AbortState>) => state({ policyFromContinuation: true, ...o });

    it('is deleted once detached, disabled and the primary Deployed: the token agrees with the live state', () => {
      expect(kinds(remembered({ primary: detachedPrimary(), policy: policy(false) }), 'teardown')).toEqual([
        'delete-policy',
      ]);
    });

    it('is refused while another policy is attached to the primary: that one is the real canary', () => {
      const attachedOther = primary({ config: distributionConfig({ ContinuousDeploymentPolicyId: OTHER_POLICY }) });
      expect(() => planAbort(remembered({ primary: attachedOther, policy: policy(false) }), 'teardown')).toThrow(
        StateCheckError,
      );
    });

    it('is refused when it is enabled and attached nowhere here: abort disables before it detaches', () => {
      expect(() => planAbort(remembered({ primary: detachedPrimary(), policy: policy(true) }), 'teardown')).toThrow(
        /which is enabled and not attached/,
      );
    });
  });

  describe('disable', () => {
    it('disables an enabled attached policy and nothing else', () => {
      expect(planAbort(state(), 'disable')).toEqual({
        changes: [
          {
            kind: 'disable-policy',
            policyId: POLICY_ID,
            reason: expect.stringContaining('all traffic to the primary'),
          },
        ],
        next: {
          kind: 'wait',
          phase: 'propagating',
          reason: `primary ${PRIMARY_ID} to be Deployed`,
          inProgress: [PRIMARY_ID],
        },
      });
    });

    it('plans nothing when the policy is already disabled, and says so', () => {
      expect(planAbort(state({ policy: policy(false) }), 'disable')).toEqual({
        changes: [],
        next: { kind: 'done' },
        nothingToDo: `policy ${POLICY_ID} is already disabled`,
      });
    });

    it('plans nothing when no policy is attached', () => {
      const plan = planAbort(state({ primary: detachedPrimary(), policyId: undefined, policy: undefined }), 'disable');
      expect(plan).toEqual({
        changes: [],
        next: { kind: 'done' },
        nothingToDo: `no continuous deployment policy is attached to primary ${PRIMARY_ID}`,
      });
    });

    it('does not disable a remembered policy that is no longer attached: it routes no traffic', () => {
      expect(kinds(state({ primary: detachedPrimary() }), 'disable')).toEqual([]);
    });
  });

  describe('detach', () => {
    it('disables before detaching, so a failed detach still leaves traffic on the primary', () => {
      expect(kinds(state(), 'detach')).toEqual(['disable-policy', 'detach-policy']);
    });

    it('only detaches a policy that is already disabled', () => {
      expect(kinds(state({ policy: policy(false) }), 'detach')).toEqual(['detach-policy']);
    });

    it('detaches even when the attached policy no longer exists', () => {
      expect(kinds(state({ policy: undefined }), 'detach')).toEqual(['detach-policy']);
    });

    it('plans nothing once detached', () => {
      expect(planAbort(state({ primary: detachedPrimary(), policy: policy(false) }), 'detach')).toMatchObject({
        changes: [],
        nothingToDo: expect.stringContaining('not attached'),
      });
    });
  });

  describe('teardown', () => {
    it('disables and detaches first, deferring the delete to a later invocation', () => {
      const plan = planAbort(state(), 'teardown');
      expect(plan.changes.map((c) => c.kind)).toEqual(['disable-policy', 'detach-policy']);
      expect(plan.next).toMatchObject({ kind: 'wait', phase: 'detached', inProgress: [PRIMARY_ID] });
    });

    it('keeps deferring the delete while the detached primary is InProgress', () => {
      expect(
        planAbort(state({ primary: detachedPrimary({ status: 'InProgress' }), policy: policy(false) }), 'teardown'),
      ).toEqual({
        changes: [],
        next: {
          kind: 'wait',
          phase: 'detached',
          reason: `primary ${PRIMARY_ID} to be Deployed without policy ${POLICY_ID} before deleting the policy`,
          inProgress: [PRIMARY_ID],
        },
      });
    });

    it('deletes the remembered policy once the primary is Deployed without it', () => {
      expect(planAbort(state({ primary: detachedPrimary(), policy: policy(false) }), 'teardown')).toEqual({
        changes: [{ kind: 'delete-policy', policyId: POLICY_ID, reason: expect.stringContaining('Deployed') }],
        next: { kind: 'done' },
      });
    });

    it('deletes the remembered policy even if another policy has been attached since, leaving that one alone', () => {
      const s = state({
        primary: primary({ config: distributionConfig({ ContinuousDeploymentPolicyId: OTHER_POLICY }) }),
        policy: policy(false),
      });
      expect(kinds(s, 'teardown')).toEqual(['delete-policy']);
    });

    it('plans nothing when the policy is already deleted', () => {
      expect(planAbort(state({ primary: detachedPrimary(), policy: undefined }), 'teardown')).toEqual({
        changes: [],
        next: { kind: 'done' },
        nothingToDo: `policy ${POLICY_ID} no longer exists`,
      });
    });
  });

  it('refuses a staging distribution named as the primary', () => {
    const s = state({ primary: primary({ config: distributionConfig({ Staging: true }) }) });
    expect(() => planAbort(s, 'disable')).toThrow(StateCheckError);
    expect(() => planAbort(s, 'disable')).toThrow(/is a staging distribution/);
  });
});

describe('re-planning after a stale ETag', () => {
  it('planDisable skips a policy another writer already disabled', () => {
    expect(planDisable(primary(), policy(false))).toBeUndefined();
    expect(planDisable(primary(), undefined)).toBeUndefined();
  });

  it('planDetach skips a primary another writer already detached', () => {
    expect(planDetach(detachedPrimary(), POLICY_ID)).toBeUndefined();
    expect(planDetach(primary(), POLICY_ID)?.kind).toBe('detach-policy');
  });
});

describe('planAbort: the release guard', () => {
  const reviewed = { pipelineName: 'p', executionId: 'exec-a', stagingId: 'E2STAGING00002', stagingEtag: 'ETAG-A' };

  it('plans the rollback while the staging carries the reviewed config', () => {
    const s = state({ release: { executionId: 'exec-a', reviewed, stagingEtagNow: 'ETAG-A' } });
    expect(kinds(s, 'detach')).toEqual(['disable-policy', 'detach-policy']);
  });

  it.each([
    ['a newer release redeployed the staging', 'ETAG-B', /now carries ETag ETAG-B, not ETag ETAG-A/],
    ['the staging was deleted', undefined, /no longer exists/],
  ])('plans nothing when %s, and marks the plan', (_, now, reason) => {
    const plan = planAbort(state({ release: { executionId: 'exec-a', reviewed, stagingEtagNow: now } }), 'teardown');
    expect(plan).toMatchObject({ changes: [], newerRelease: true, next: { kind: 'done' } });
    expect(plan.nothingToDo).toMatch(reason);
  });

  it('plans nothing for an execution that never reported a release', () => {
    const plan = planAbort(
      state({ release: { executionId: 'exec-a', reviewed: undefined, stagingEtagNow: undefined } }),
      'disable',
    );
    expect(plan.changes).toEqual([]);
    expect(plan.nothingToDo).toContain('never put a canary up for review');
  });
});

// Chaos finding D: a watch tick judged one release's canary unhealthy; its disable met stale ETags, re-read, and by
// then the next release had redeployed staging and enabled the policy: the re-plan disabled a canary nobody judged.
describe("planAbort: the watch's verdict", () => {
  const judged = { stagingId: 'E2STAGING00002', stagingEtag: 'ETAG-A' };

  it('disables while the staging carries the config judged unhealthy', () => {
    expect(kinds(state({ judged: { ...judged, stagingEtagNow: 'ETAG-A' } }), 'disable')).toEqual(['disable-policy']);
  });

  it.each([
    ['a newer release redeployed the staging', 'ETAG-B', /now carries ETag ETAG-B, not ETag ETAG-A that was judged/],
    ['the staging was deleted', undefined, /no longer exists/],
  ])('plans nothing when %s: the canary live now is the next tick’s to judge', (_, now, reason) => {
    const plan = planAbort(state({ judged: { ...judged, stagingEtagNow: now } }), 'disable');
    expect(plan).toMatchObject({ changes: [], newerRelease: true, next: { kind: 'done' } });
    expect(plan.nothingToDo).toMatch(reason);
  });
});
