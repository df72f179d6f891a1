/**
 * The promotion gate end to end: the built promote bundle reads GetMetricData from the emulator, which answers from
 * the viewer requests its data plane served. Header routing makes the staging traffic exact: only requests carrying
 * the header reach staging.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codePipelineEvent, type JobResult } from '../../local/pipeline/local-codepipeline.js';
import { PHASE } from '../../functions/promote/phases.js';
import { encodeContinuation, decodeContinuation } from '../../shared/job/continuation.js';
import { HEADER_TEMPLATE, operations, startHarness, type Harness } from './harness.js';

const HEADER = { 'aws-cf-cd-staging': 'true' };

let h: Harness;
let stagingId: string;
let policyId: string;

beforeEach(async () => {
  h = await startHarness();
  const outputs = await h.deployStaging(HEADER_TEMPLATE);
  stagingId = outputs.StagingDistributionId;
  policyId = outputs.ContinuousDeploymentPolicyId;
  const enabled = await h.job('enable-cd', h.enableCdParams(outputs));
  expect(enabled.ok).toBe(true);
  h.emulator.clearRequestLog();
});
afterEach(async () => {
  await h.close();
});

const gateParams = (gate: Record<string, unknown>) => ({
  PrimaryDistributionId: h.site.primaryId,
  StagingDistributionId: stagingId,
  ...gate,
});

/** One promote invocation, as CodePipeline makes it; returns the single report. */
async function promoteOnce(userParameters: Record<string, unknown>, continuationToken?: string): Promise<JobResult> {
  const jobId = randomUUID();
  await h.lambdas.promote!.invoke(
    codePipelineEvent(jobId, 'promote', JSON.stringify(userParameters), continuationToken),
  );
  const reports = h.emulator.jobResults(jobId);
  expect(reports).toHaveLength(1);
  return reports[0]!;
}

async function viewers(n: number, headers?: Record<string, string>): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) seen.push(await h.viewer(headers));
  return seen;
}

describe('promotion gate (built bundle against the emulator)', () => {
  // The staging distribution was created moments ago, so the window actually used starts at its creation: 1 minute
  // (2 when the test straddles a minute boundary), whatever MetricsWindowMinutes says.
  it('promotes once staging served MinStagingRequests healthy requests, and reports the figures', async () => {
    await viewers(12, HEADER);
    await viewers(8);
    const result = await h.job(
      'promote',
      gateParams({ MinStagingRequests: 10, MaxStaging5xxErrorRate: 1, MaxErrorRateIncrease: 0.5 }),
    );
    expect(result).toEqual({
      ok: true,
      variables: expect.objectContaining({
        StagingRequests: '12',
        Staging5xxErrorRate: '0',
        Primary5xxErrorRate: '0',
        MetricsWindowMinutes: expect.stringMatching(/^[12]$/),
        PromotedFrom: stagingId,
      }),
    });
    expect(operations(h.emulator).filter((op) => op === 'GetMetricData')).toHaveLength(1);
    expect(await h.viewer()).toBe('v2');
  });

  it('waits in phase gathering-traffic while staging has too little traffic, then promotes once viewers with the header arrive', async () => {
    const params = gateParams({ MinStagingRequests: 10 });
    await viewers(3, HEADER);
    const first = await promoteOnce(params);
    expect(
      first.kind === 'success' && first.continuationToken && decodeContinuation(first.continuationToken).phase,
    ).toBe(PHASE.gatheringTraffic);
    expect(operations(h.emulator)).not.toContain('UpdateDistributionWithStagingConfig');
    expect(await h.viewer()).toBe('v1');

    await viewers(7, HEADER);
    const second = await promoteOnce(params, first.kind === 'success' ? first.continuationToken : undefined);
    expect(operations(h.emulator)).toContain('UpdateDistributionWithStagingConfig');
    const promoted = second.kind === 'success' ? second.continuationToken : undefined;
    expect(promoted && decodeContinuation(promoted).phase).toBe(PHASE.promoted);

    // Deployed with the promoted config: the primary's edge caches are invalidated, and that is waited for too.
    h.emulator.setInvalidationMs(3_600_000);
    const deployed = await promoteOnce(params, promoted);
    const invalidating = deployed.kind === 'success' ? deployed.continuationToken : undefined;
    expect(invalidating && decodeContinuation(invalidating).phase).toBe(PHASE.invalidating);
    expect(operations(h.emulator).filter((op) => op === 'CreateInvalidation')).toHaveLength(1);

    expect(await promoteOnce(params, invalidating)).toMatchObject({
      kind: 'success',
      continuationToken: expect.any(String),
    });
    h.emulator.settle();
    const done = await promoteOnce(params, invalidating);
    expect(done).toEqual({
      kind: 'success',
      outputVariables: expect.objectContaining({
        StagingRequests: '10',
        MetricsWindowMinutes: expect.stringMatching(/^[12]$/),
        InvalidationId: expect.stringMatching(/^I\w+$/),
      }),
    });
    expect(operations(h.emulator).filter((op) => op === 'UpdateDistributionWithStagingConfig')).toHaveLength(1);
    expect(await h.viewer()).toBe('v2');
  });

  it('fails once MaxWaitMinutes has passed without enough staging traffic, with the figures and the likely causes', async () => {
    await viewers(5);
    const token = encodeContinuation({ phase: PHASE.gatheringTraffic, startedAt: Date.now() - 2 * 60_000 });
    const result = await promoteOnce(
      gateParams({ MinStagingRequests: 10, MaxStaging5xxErrorRate: 1, MaxWaitMinutes: 1 }),
      token,
    );
    expect(result.kind).toBe('failure');
    const message = result.kind === 'failure' ? result.message : '';
    expect(message).toContain('MaxWaitMinutes=1');
    expect(message).toContain(`staging ${stagingId} served 0 request(s), 5xx error rate no data`);
    expect(message).toContain(`primary ${h.site.primaryId} served 5 request(s), 5xx error rate 0%`);
    expect(message).toContain('header aws-cf-cd-staging: true');
    expect(message).toContain('peak load');
    expect(operations(h.emulator)).not.toContain('UpdateDistributionWithStagingConfig');
  });

  it('refuses at once, without promoting, when staging answers 5xx above MaxStaging5xxErrorRate', async () => {
    h.emulator.setErrorRate(stagingId, 0.5);
    const seen = await viewers(40, HEADER);
    await viewers(20);
    const failed = seen.filter((v) => v === 'HTTP 503').length;
    expect(failed).toBeGreaterThan(0);

    const result = await h.job('promote', gateParams({ MinStagingRequests: 20, MaxStaging5xxErrorRate: 5 }));
    expect(result.ok).toBe(false);
    const message = result.ok ? '' : result.message;
    expect(message).toMatch(/^JobFailed: /);
    expect(message).toContain(
      `staging's 5xx error rate ${Math.round((100_000 * failed) / 40) / 1000}% is above MaxStaging5xxErrorRate 5%`,
    );
    expect(message).toContain(`primary ${h.site.primaryId} served 20 request(s), 5xx error rate 0%`);
    expect(message).toContain('run the abort action');
    expect(operations(h.emulator)).not.toContain('UpdateDistributionWithStagingConfig');
    expect(await h.viewer()).toBe('v1');
    expect(await h.policyEnabled(policyId)).toBe(true);
  });

  it('makes no CloudWatch request when no gate parameter is set', async () => {
    const result = await h.job('promote', gateParams({ MetricsWindowMinutes: 30 }));
    expect(result.ok).toBe(true);
    expect(operations(h.emulator)).not.toContain('GetMetricData');
    expect(result.ok && result.variables).not.toHaveProperty('StagingRequests');
  });
});
