/**
 * The release facts each function emits as EMF metrics (shared/metrics-emf.ts), read back from the lines written:
 * abort's revert as a job and as an event, the watch's verdicts and the policy's state, and failed jobs.
 */
import { GetContinuousDeploymentPolicyCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler as abortHandler } from '../../../functions/abort/handler.js';
import { handler as enableCdHandler } from '../../../functions/enable-cd/handler.js';
import { handler as watchHandler } from '../../../functions/watch/handler.js';
import { policyMetrics, tickMetrics } from '../../../functions/watch/tick.js';
import { NAMESPACE_VARIABLE, setMetricsSink } from '../../../shared/metrics-emf.js';
import {
  PRIMARY_ID,
  captureLogs,
  headerPolicyConfig,
  jobEvent,
  policyOutput,
  policyState,
  weightPolicyConfig,
} from '../fixtures.js';
import { cf, codepipeline, onlyReport, policyLive } from './abort/mocks.js';

const metrics: Record<string, unknown>[] = [];
let restoreMetrics: (line: string) => void;
let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  policyLive();
  logs = captureLogs();
  restoreMetrics = setMetricsSink((line) => metrics.push(JSON.parse(line)));
  process.env[NAMESPACE_VARIABLE] = 'CloudFrontCD';
});
afterEach(() => {
  logs.restore();
  setMetricsSink(restoreMetrics);
  delete process.env[NAMESPACE_VARIABLE];
  metrics.length = 0;
});

/** The metric values of every line written, without the EMF metadata. */
const values = () => metrics.map(({ _aws, ...rest }) => rest);

describe('abort', () => {
  it('counts a revert once, when the job reports: the policy disabled and the steps it took', async () => {
    await abortHandler(jobEvent({ PrimaryDistributionId: PRIMARY_ID, Mode: 'disable' }));
    expect(values()).toEqual([]);
    const token = onlyReport().continuationToken;
    codepipeline.resetHistory();
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
    await abortHandler(jobEvent({ PrimaryDistributionId: PRIMARY_ID, Mode: 'disable' }, token));
    expect(values()).toEqual([{ PrimaryDistributionId: PRIMARY_ID, Action: 'abort', Steps: 1, Rollbacks: 1 }]);
  });

  it('counts no rollback when the policy was already disabled (a repeated event)', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
    await abortHandler({ PrimaryDistributionId: PRIMARY_ID, Mode: 'disable' });
    expect(values()).toEqual([{ PrimaryDistributionId: PRIMARY_ID, Action: 'abort', Steps: 0, Rollbacks: 0 }]);
  });

  it('counts a revert from an EventBridge event, and a failed event as a failure', async () => {
    await abortHandler({ PrimaryDistributionId: PRIMARY_ID, Mode: 'disable' });
    await expect(abortHandler({ PrimaryDistributionId: PRIMARY_ID, Mode: 'teardown' })).rejects.toThrow();
    expect(values()).toEqual([
      { PrimaryDistributionId: PRIMARY_ID, Action: 'abort', Steps: 1, Rollbacks: 1 },
      { Action: 'abort', Failures: 1 },
    ]);
  });
});

describe('failed jobs', () => {
  it('counts a job refused for its parameters under the action (its primary is not known)', async () => {
    await enableCdHandler(jobEvent({ PrimaryDistributionId: PRIMARY_ID }));
    expect(values()).toEqual([{ Action: 'enable-cd', Failures: 1 }]);
  });

  it('counts a failed abort job under the primary of its parameters', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand).rejects(new Error('boom'));
    await abortHandler(jobEvent({ PrimaryDistributionId: PRIMARY_ID, Mode: 'disable' }));
    expect(values()).toEqual([{ PrimaryDistributionId: PRIMARY_ID, Action: 'abort', Failures: 1 }]);
  });

  it('counts a watch tick that failed, under the primary of its input', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand).rejects(new Error('boom'));
    await expect(watchHandler({ PrimaryDistributionId: PRIMARY_ID, MaxStaging5xxErrorRate: '5' })).rejects.toThrow();
    expect(values()).toEqual([{ PrimaryDistributionId: PRIMARY_ID, Action: 'watch', Failures: 1 }]);
  });
});

describe('the watch', () => {
  it("shows the policy's state each tick: enabled with the staging's weight in percent, or off", () => {
    const live = (config = weightPolicyConfig()) => ({
      kind: 'live' as const,
      policy: policyState({ config }),
      stagingDomains: [],
    });
    expect(policyMetrics(live())).toEqual({ PolicyEnabled: 1, StagingWeight: 10 });
    expect(policyMetrics(live(headerPolicyConfig()))).toEqual({ PolicyEnabled: 1 });
    expect(policyMetrics({ kind: 'quiet', reason: 'disabled' })).toEqual({ PolicyEnabled: 0, StagingWeight: 0 });
  });

  it('counts each verdict on a live canary, a quiet tick in none, and a rollback only when it wrote', () => {
    const tick = { reason: '', primaryId: PRIMARY_ID, policyId: null, stagingId: null };
    expect(tickMetrics({ ...tick, decision: 'quiet' })).toEqual({});
    expect(tickMetrics({ ...tick, decision: 'healthy' })).toEqual({ TicksHealthy: 1 });
    expect(tickMetrics({ ...tick, decision: 'not-enough-traffic' })).toEqual({ TicksNotEnoughTraffic: 1 });
    expect(tickMetrics({ ...tick, decision: 'not-watched' })).toEqual({ TicksNotWatched: 1 });
    expect(tickMetrics({ ...tick, decision: 'unhealthy', rollback: { changes: ['disable-policy'] } })).toEqual({
      TicksUnhealthy: 1,
      Rollbacks: 1,
    });
    expect(tickMetrics({ ...tick, decision: 'unhealthy', rollback: { changes: [], error: 'AccessDenied' } })).toEqual({
      TicksUnhealthy: 1,
      Rollbacks: 0,
    });
  });

  it('writes the policy state and the verdict of a quiet tick as it runs', async () => {
    cf.on(GetContinuousDeploymentPolicyCommand).resolves(policyOutput(headerPolicyConfig({ Enabled: false })));
    await watchHandler({ PrimaryDistributionId: PRIMARY_ID, MaxStaging5xxErrorRate: '5' });
    expect(values()).toEqual([
      { PrimaryDistributionId: PRIMARY_ID, Action: 'watch', PolicyEnabled: 0, StagingWeight: 0 },
    ]);
  });
});
