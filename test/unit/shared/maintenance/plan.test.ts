import { describe, expect, it } from 'vitest';
import { StateCheckError } from '../../../../shared/domain/errors.js';
import { planResume, planSuspend } from '../../../../shared/maintenance/plan.js';
import {
  POLICY_ID,
  PRIMARY_ID,
  distributionConfig,
  headerPolicyConfig,
  policyState,
  primaryState,
} from '../../fixtures.js';

const disabled = policyState({ config: headerPolicyConfig({ Enabled: false }) });
const detached = primaryState({ config: distributionConfig() });

describe('planSuspend', () => {
  it('detaches a disabled policy, then waits for the primary to be Deployed', () => {
    const plan = planSuspend({ primary: primaryState(), policy: disabled }, undefined);
    expect(plan.changes).toEqual([
      { kind: 'detach-policy', policyId: POLICY_ID, reason: expect.stringContaining('it stays, detached') },
    ]);
    expect(plan.next).toMatchObject({ kind: 'wait', phase: 'detached', inProgress: [PRIMARY_ID] });
  });

  it('refuses while the policy is enabled (a canary under review), naming abort and promote', () => {
    const plan = () => planSuspend({ primary: primaryState(), policy: policyState() }, undefined);
    expect(plan).toThrow(StateCheckError);
    expect(plan).toThrow(/canary under review/);
    expect(plan).toThrow(`cfcd abort --primary ${PRIMARY_ID}`);
    expect(plan).toThrow(/cfcd promote/);
  });

  it('is a no-op on a primary with no policy: already suspended', () => {
    expect(planSuspend({ primary: detached, policy: undefined }, undefined)).toEqual({
      changes: [],
      next: { kind: 'done' },
      nothingToDo: `no policy is attached to primary ${PRIMARY_ID}: nothing to detach (already suspended, or never set up)`,
    });
  });

  it('after the detach, waits while the primary is InProgress and is done once Deployed', () => {
    const inProgress = primaryState({ config: distributionConfig(), status: 'InProgress' });
    expect(planSuspend({ primary: inProgress, policy: undefined }, 'detached').next).toMatchObject({ kind: 'wait' });
    expect(planSuspend({ primary: detached, policy: undefined }, 'detached')).toEqual({
      changes: [],
      next: { kind: 'done' },
    });
  });
});

describe('planResume', () => {
  it('re-attaches the policy as it was (still disabled), then waits for Deployed', () => {
    const plan = planResume({ primary: detached, policy: disabled }, undefined, POLICY_ID);
    expect(plan.changes).toEqual([
      { kind: 'attach-policy', policyId: POLICY_ID, reason: expect.stringContaining('as it was: disabled') },
    ]);
    expect(plan.next).toMatchObject({ kind: 'wait', phase: 'attached' });
  });

  it('is a no-op when the policy is already attached', () => {
    const plan = planResume({ primary: primaryState(), policy: disabled }, undefined, POLICY_ID);
    expect(plan.changes).toEqual([]);
    expect(plan.nothingToDo).toMatch(/already attached/);
  });

  it.each([
    ['a policy enabled while detached', { primary: detached, policy: policyState() }, /would route viewers/],
    ['a deleted policy', { primary: detached, policy: undefined }, /does not exist/],
    [
      'another policy attached',
      {
        primary: primaryState({ config: distributionConfig({ ContinuousDeploymentPolicyId: 'other' }) }),
        policy: disabled,
      },
      /another policy attached \(other\)/,
    ],
    [
      'an HTTP/3 primary',
      { primary: primaryState({ config: distributionConfig({ HttpVersion: 'http2and3' }) }), policy: disabled },
      /HTTP\/3/,
    ],
    [
      'a multi-tenant primary',
      { primary: primaryState({ config: distributionConfig({ ConnectionMode: 'tenant-only' }) }), policy: disabled },
      /multi-tenant/,
    ],
  ])('refuses %s, writing nothing', (_, state, message) => {
    const plan = () => planResume(state, undefined, POLICY_ID);
    expect(plan).toThrow(StateCheckError);
    expect(plan).toThrow(message);
  });
});
