import { GetContinuousDeploymentPolicyCommand, GetDistributionCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, describe, expect, it } from 'vitest';
import { operations, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A harness with staging live: header requests reach v2. */
async function liveStaging(): Promise<{ h: Harness; policyId: string; stagingId: string }> {
  const harness = await startHarness({ propagationMs: 20 });
  const outputs = await harness.deployStaging();
  expect(await harness.job('enable-cd', harness.enableCdParams(outputs))).toMatchObject({ ok: true });
  expect(await harness.viewer({ 'aws-cf-cd-staging': 'true' })).toBe('v2');
  return { h: harness, policyId: outputs.ContinuousDeploymentPolicyId, stagingId: outputs.StagingDistributionId };
}

describe('end to end: abort', () => {
  it('disable from an EventBridge constant input puts every viewer back on the primary, and is idempotent', async () => {
    const live = await liveStaging();
    h = live.h;
    const first = await h.lambdas.abort!.invoke({ PrimaryDistributionId: h.site.primaryId, Mode: 'disable' });
    expect(first).toMatchObject({
      ok: true,
      result: { outcome: 'applied', changes: ['disable-policy'], policyId: live.policyId },
    });
    expect(await h.viewer({ 'aws-cf-cd-staging': 'true' })).toBe('v1');
    expect(await h.policyEnabled(live.policyId)).toBe(false);
    expect(await h.attachedPolicy()).toBe(live.policyId);

    const again = await h.lambdas.abort!.invoke({ PrimaryDistributionId: h.site.primaryId, Mode: 'disable' });
    expect(again).toMatchObject({ ok: true, result: { outcome: 'no-op', changes: [] } });
  });

  it('a later enable-CD run resumes the cycle after a disable', async () => {
    const live = await liveStaging();
    h = live.h;
    await h.lambdas.abort!.invoke({ PrimaryDistributionId: h.site.primaryId });
    expect(
      await h.job(
        'enable-cd',
        h.enableCdParams({ StagingDistributionId: live.stagingId, ContinuousDeploymentPolicyId: live.policyId }),
      ),
    ).toMatchObject({ ok: true });
    expect(await h.viewer({ 'aws-cf-cd-staging': 'true' })).toBe('v2');
  });

  it('detach as a pipeline job removes the policy from the primary and waits for it to deploy', async () => {
    const live = await liveStaging();
    h = live.h;
    const result = await h.job('abort', { PrimaryDistributionId: h.site.primaryId, Mode: 'detach' });
    expect(result).toMatchObject({
      ok: true,
      variables: { Mode: 'detach', ContinuousDeploymentPolicyId: live.policyId },
    });
    expect(await h.attachedPolicy()).toBe('');
    expect(await h.viewer({ 'aws-cf-cd-staging': 'true' })).toBe('v1');
    const primary = await h.clients.cloudFront.send(new GetDistributionCommand({ Id: h.site.primaryId }));
    expect(primary.Distribution?.Status).toBe('Deployed');
    expect(primary.Distribution?.DistributionConfig?.Aliases?.Items).toEqual(['www.example.com']);
  });

  it('teardown detaches, waits for the primary, then deletes the policy; the staging stays', async () => {
    const live = await liveStaging();
    h = live.h;
    const emulator = h.emulator;
    // The detach stays InProgress until the test settles it: a delete made before then is made while the primary
    // still deploys the detach.
    emulator.setPropagationMs(3_600_000);
    emulator.clearRequestLog();
    let finished = false;
    const job = h.job('abort', { PrimaryDistributionId: h.site.primaryId, Mode: 'teardown' }).finally(() => {
      finished = true;
    });
    const ops = () => operations(emulator);
    const readsAfterDetach = () => {
      const detach = emulator.requestLog().findIndex((r) => r.operation === 'UpdateDistribution' && r.status === 200);
      return detach < 0
        ? 0
        : ops()
            .slice(detach + 1)
            .filter((o) => o === 'GetDistribution').length;
    };
    // Two passes after the detach found the primary InProgress (or the job ended: it did not wait at all).
    while (!finished && readsAfterDetach() < 2) await new Promise((r) => setTimeout(r, 5));
    expect(ops().filter((o) => o === 'UpdateDistribution')).toHaveLength(1);
    expect(ops()).not.toContain('DeleteContinuousDeploymentPolicy');
    expect(finished).toBe(false);
    const primaryMeanwhile = await h.clients.cloudFront.send(new GetDistributionCommand({ Id: h.site.primaryId }));
    expect(primaryMeanwhile.Distribution?.Status).toBe('InProgress');

    emulator.settle();
    const settledAt = emulator.requestLog().length;
    const result = await job;
    expect(result).toMatchObject({ ok: true, variables: { Mode: 'teardown' } });
    const deletes = emulator
      .requestLog()
      .map((r, i) => ({ ...r, i }))
      .filter((r) => r.operation === 'DeleteContinuousDeploymentPolicy');
    expect(deletes).toEqual([expect.objectContaining({ status: 204 })]);
    expect(deletes[0]!.i).toBeGreaterThanOrEqual(settledAt);
    expect(await h.attachedPolicy()).toBe('');
    await expect(
      h.clients.cloudFront.send(new GetContinuousDeploymentPolicyCommand({ Id: live.policyId })),
    ).rejects.toMatchObject({ name: 'NoSuchContinuousDeploymentPolicy' });
    const staging = await h.clients.cloudFront.send(new GetDistributionCommand({ Id: live.stagingId }));
    expect(staging.Distribution?.DistributionConfig?.Staging).toBe(true);
  });

  it('refuses teardown from a plain event before touching AWS', async () => {
    h = await startHarness();
    h.emulator.clearRequestLog();
    const result = await h.lambdas.abort!.invoke({ PrimaryDistributionId: h.site.primaryId, Mode: 'teardown' });
    expect(result.ok).toBe(false);
    expect(result.error?.message).toMatch(/teardown/);
    expect(h.emulator.requestLog()).toEqual([]);
  });
});
