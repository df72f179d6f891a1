/**
 * `cfcd cleanup`'s removal of a policy: the plan (detach, wait for the primaries to be Deployed without it, only then
 * delete) and the delete's error handling, which it shares with abort's teardown. Each assertion fails if the wait
 * is skipped or a delete error is swallowed.
 */
import {
  CloudFrontClient,
  DeleteContinuousDeploymentPolicyCommand,
  GetContinuousDeploymentPolicyCommand,
  GetDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { StateCheckError, kindOf } from '../../../../shared/domain/errors.js';
import { planRemoval } from '../../../../shared/rollback/plan.js';
import { removalSteps } from '../../../../shared/rollback/steps.js';
import { createLogger } from '../../../../shared/log.js';
import {
  POLICY_ID,
  PRIMARY_ID,
  awsError,
  distributionConfig,
  policyOutput,
  policyState,
  primaryOutput,
  primaryState,
} from '../../fixtures.js';

const detached = (status = 'Deployed') =>
  primaryState({ status, config: distributionConfig({ ContinuousDeploymentPolicyId: '' }) });

describe('planRemoval', () => {
  it('detaches from every primary that names the policy, then waits for them: no delete in the same pass', () => {
    const plan = planRemoval({ policy: policyState(), primaries: [primaryState()] });
    expect(plan.changes).toEqual([expect.objectContaining({ kind: 'detach-policy', primaryId: PRIMARY_ID })]);
    expect(plan.next).toMatchObject({ kind: 'wait', phase: 'detached', inProgress: [PRIMARY_ID] });
  });

  it('waits, deleting nothing, while a detached primary is still InProgress', () => {
    const plan = planRemoval({ policy: policyState(), primaries: [detached('InProgress')] });
    expect(plan.changes).toEqual([]);
    expect(plan.next).toMatchObject({ kind: 'wait', phase: 'detached', inProgress: [PRIMARY_ID] });
  });

  it('deletes once every primary is Deployed without it, or when it was attached to none', () => {
    for (const primaries of [[detached()], []]) {
      const plan = planRemoval({ policy: policyState(), primaries });
      expect(plan.changes).toEqual([expect.objectContaining({ kind: 'delete-policy', policyId: POLICY_ID })]);
      expect(plan.next).toEqual({ kind: 'done' });
    }
  });

  it('has nothing to do for a policy already gone', () => {
    expect(planRemoval({ policy: undefined, primaries: [detached()] })).toMatchObject({
      changes: [],
      next: { kind: 'done' },
      nothingToDo: 'the policy no longer exists',
    });
  });
});

describe("the removal's delete", () => {
  const cf = mockClient(CloudFrontClient);
  const log = createLogger({ test: 'removal' }, 'ERROR');
  const steps = removalSteps({ policyId: POLICY_ID, primaries: [PRIMARY_ID] }, log);
  const remove = async () => {
    const state = await steps.read();
    const [change] = planRemoval(state).changes;
    if (change?.kind !== 'delete-policy') throw new Error(`expected a delete, planned ${change?.kind}`);
    return steps.write(change, state);
  };

  beforeEach(() => {
    cf.reset();
    cf.on(GetDistributionCommand).resolves(primaryOutput(''));
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput());
  });

  it('deletes with the ETag it read', async () => {
    cf.on(DeleteContinuousDeploymentPolicyCommand).resolves({});
    await expect(remove()).resolves.toBe(true);
    expect(cf).toHaveReceivedCommandWith(DeleteContinuousDeploymentPolicyCommand, { Id: POLICY_ID });
  });

  it('finds a policy another writer deleted already: nothing written, no failure', async () => {
    cf.on(DeleteContinuousDeploymentPolicyCommand).rejects(awsError('NoSuchContinuousDeploymentPolicy', 404));
    await expect(remove()).resolves.toBe(false);
  });

  it('refuses, naming where to look and how to finish, when CloudFront says the policy is still in use', async () => {
    cf.on(DeleteContinuousDeploymentPolicyCommand).rejects(awsError('ContinuousDeploymentPolicyInUse', 409));
    const failure = await remove().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StateCheckError);
    expect((failure as Error).message).toMatch(
      new RegExp(
        `${POLICY_ID} cannot be deleted.*ContinuousDeploymentPolicyInUse.*run cfcd cleanup --delete ${POLICY_ID} again`,
      ),
    );
  });

  it('lets any other failure through as a failure', async () => {
    cf.on(DeleteContinuousDeploymentPolicyCommand).rejects(awsError('AccessDenied', 403));
    const failure = await remove().catch((e: unknown) => e);
    expect(kindOf(failure)).toBe('failed');
    expect(String(failure)).toContain('AccessDenied');
  });
});
