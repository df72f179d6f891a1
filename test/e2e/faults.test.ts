import { namesField } from '../unit/fixtures.js';
import { afterEach, describe, expect, it } from 'vitest';
import { codePipelineEvent } from '../../local/pipeline/local-codepipeline.js';
import { SITE_BUCKET } from '../../local/pipeline/site.js';
import { operations, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('end to end: concurrent writers, throttling and bad input', () => {
  it('enable-CD survives a concurrent writer during attach: re-reads, waits out its propagation, attaches once', async () => {
    h = await startHarness({ propagationMs: 40 });
    const outputs = await h.deployStaging();
    h.emulator.settle();
    h.emulator.injectFault({ operation: 'UpdateDistribution', error: 'PreconditionFailed' });
    const result = await h.job('enable-cd', h.enableCdParams(outputs));
    expect(result).toMatchObject({ ok: true });
    expect(h.logs.some((l) => l.event === 'stale-etag')).toBe(true);
    // The other writer left the primary InProgress: the retry held the attach for a later invocation.
    expect(h.logs.some((l) => l.event === 'write-skipped' && String(l.reason).includes('InProgress'))).toBe(true);
    expect(operations(h.emulator).filter((op) => op === 'UpdateDistribution')).toHaveLength(2);
    expect(await h.attachedPolicy()).toBe(outputs.ContinuousDeploymentPolicyId);
    expect(await h.viewer({ 'aws-cf-cd-staging': 'true' })).toBe('v2');
  });

  it('promote survives a concurrent writer: re-reads both ETags and promotes exactly once', async () => {
    h = await startHarness();
    const outputs = await h.deployStaging();
    expect(await h.job('enable-cd', h.enableCdParams(outputs))).toMatchObject({ ok: true });
    h.emulator.clearRequestLog();
    h.emulator.injectFault({ operation: 'UpdateDistributionWithStagingConfig', error: 'PreconditionFailed' });
    const result = await h.job('promote', {
      PrimaryDistributionId: h.site.primaryId,
      StagingDistributionId: outputs.StagingDistributionId,
    });
    expect(result).toMatchObject({
      ok: true,
      variables: { PromotedFrom: outputs.StagingDistributionId, PolicyEnabled: 'false' },
    });
    const promotes = h.emulator.requestLog().filter((r) => r.operation === 'UpdateDistributionWithStagingConfig');
    expect(promotes.map((r) => r.status)).toEqual([412, 200]);
    expect(operations(h.emulator).filter((op) => op === 'CreateInvalidation')).toHaveLength(1);
    expect(await h.viewer()).toBe('v2');
  });

  it('promote after a lost response does not promote twice', async () => {
    h = await startHarness();
    const outputs = await h.deployStaging();
    expect(await h.job('enable-cd', h.enableCdParams(outputs))).toMatchObject({ ok: true });
    h.emulator.clearRequestLog();
    // The write is applied, then the caller is told 412 — as if its response were lost and another writer moved on.
    h.emulator.injectFault({
      operation: 'UpdateDistributionWithStagingConfig',
      error: 'PreconditionFailed',
      beforeWrite: false,
    });
    const result = await h.job('promote', {
      PrimaryDistributionId: h.site.primaryId,
      StagingDistributionId: outputs.StagingDistributionId,
    });
    expect(result).toMatchObject({ ok: true });
    expect(operations(h.emulator).filter((op) => op === 'UpdateDistributionWithStagingConfig')).toHaveLength(1);
    expect(operations(h.emulator).filter((op) => op === 'CreateInvalidation')).toHaveLength(1);
    expect(await h.viewer()).toBe('v2');
  });

  it('CloudFront throttling is retried by the SDK and the job still succeeds', async () => {
    h = await startHarness();
    const outputs = await h.deployStaging();
    h.emulator.settle();
    h.emulator.injectFault({ operation: 'GetDistribution', error: 'Throttling', times: 2 });
    expect(await h.job('enable-cd', h.enableCdParams(outputs))).toMatchObject({ ok: true });
    expect(h.emulator.requestLog().filter((r) => r.operation === 'GetDistribution' && r.status === 400)).toHaveLength(
      2,
    );
  });

  it.each([
    ['not JSON', 'UserParameters', () => '{'],
    [
      'a malformed staging id',
      'StagingDistributionId',
      (good: object) => JSON.stringify({ ...good, StagingDistributionId: 'staging' }),
    ],
    [
      'a misspelled key',
      'StaticResourceBucket',
      (good: object) => JSON.stringify({ ...good, StaticResourceBucket: SITE_BUCKET }),
    ],
  ])('reports %s as InputError, with no AWS call but the report', async (_, field, userParameters) => {
    h = await startHarness();
    const outputs = await h.deployStaging();
    h.emulator.clearRequestLog();
    await h.lambdas['enable-cd']!.invoke(
      codePipelineEvent('bad-job', 'enable-cd', userParameters(h.enableCdParams(outputs))),
    );
    expect(h.emulator.jobResults('bad-job')).toEqual([
      { kind: 'failure', type: 'ConfigurationError', message: expect.stringContaining(namesField(field)) },
    ]);
    expect(operations(h.emulator)).toEqual(['PutJobFailureResult']);
  });
});
